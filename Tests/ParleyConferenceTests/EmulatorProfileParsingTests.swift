import ParleyConference
import Testing

/// The profile syntax, the presets, and the errors for nonsense, negative or absurd input
/// and malformed trace files.
@Suite struct EmulatorProfileParsingTests {
    @Test func everyPresetParsesWithItsDocumentedValues() throws {
        #expect(NetworkPresets.names == ["clean", "wifi", "4g", "congested", "lossy-burst"])
        for preset in NetworkPresets.all {
            let profile = try NetworkProfile(parsing: preset.name)
            #expect(profile.segments.count == 1)
            #expect(profile.segments[0].parameters == NetworkPresets.parameters(named: preset.name))
        }
        #expect(try NetworkProfile(parsing: "clean").segments[0].parameters == NetworkParameters())
        let fourG = try NetworkProfile(parsing: "4g").segments[0].parameters
        #expect(fourG.delay == 0.05 && fourG.jitter == 0.015 && fourG.jitterDistribution == .normal)
        #expect(fourG.loss == 0.01 && fourG.rate == 10e6 && fourG.queue == .time(0.2))
        let burst = try #require(try NetworkProfile(parsing: "lossy-burst").segments[0].parameters.burst)
        #expect(abs(burst.lossRate - 0.05) < 1e-12 && abs(burst.meanBurstLength - 3) < 1e-12)
        let congested = try NetworkProfile(parsing: "congested").segments[0].parameters
        #expect(congested.rate == 1e6 && congested.queue == .time(0.15))
        #expect(try NetworkProfile(parsing: "wifi").segments[0].parameters.jitterDistribution == .pareto(shape: 3))
    }

    @Test func keyValueSyntaxReadsEveryField() throws {
        let text = "delay=40ms,jitter=10ms:normal,loss=2%,burst=5%:3,rate=1mbit,queue=50ms,reorder=1%,dup=0.5%,blackout=5s+2s"
        let profile = try NetworkProfile(parsing: text)
        let p = profile.segments[0].parameters
        #expect(p.delay == 0.04 && p.jitter == 0.01 && p.jitterDistribution == .normal)
        #expect(p.loss == 0.02 && p.duplicate == 0.005 && p.reorder == 0.01 && p.reorderDelay == 0.03)
        #expect(p.rate == 1e6 && p.queue == .time(0.05) && p.fifo)
        #expect(abs((p.burst?.lossRate ?? 0) - 0.05) < 1e-12)
        #expect(profile.blackouts == [NetworkProfile.Blackout(start: 5, duration: 2)])
        #expect(profile.name == text)

        let q = try NetworkProfile(parsing: " 4g , loss=3% ,jitter=2ms:pareto:2.5,queue=64KB,fifo=off,reorder=2%:15ms,rate=500k").segments[0].parameters
        #expect(q.delay == 0.05 && q.loss == 0.03 && q.jitterDistribution == .pareto(shape: 2.5))
        #expect(q.queue == .bytes(65_536) && !q.fifo && q.reorderDelay == 0.015 && q.rate == 500_000)
        #expect(try NetworkProfile(parsing: "delay=250us").segments[0].parameters.delay == 0.00025)
        #expect(try NetworkProfile(parsing: "delay=0,loss=0").segments[0].parameters == NetworkParameters())
    }

    @Test func canonicalTextParsesBackToTheSameProfile() throws {
        for text in NetworkPresets.names + [
            "delay=40ms,jitter=10ms:normal,loss=2%,burst=5%:3,rate=1mbit,queue=50ms,reorder=1%,dup=0.5%,blackout=5s+2s",
            "gilbert=1%:30%:0.5%:80%,rate=2.5mbit,queue=3000B,fifo=off",
            "wifi;at=10s,congested;at=20.5s,delay=80ms,loss=2%",
        ] {
            let profile = try NetworkProfile(parsing: text)
            let again = try NetworkProfile(parsing: profile.canonicalText)
            #expect(again.canonicalText == profile.canonicalText)
            #expect(again.segments.map(\.start) == profile.segments.map(\.start))
            for (a, b) in zip(again.segments, profile.segments) {
                #expect(a.parameters.delay == b.parameters.delay && a.parameters.loss == b.parameters.loss
                        && a.parameters.rate == b.parameters.rate && a.parameters.queue == b.parameters.queue
                        && a.parameters.fifo == b.parameters.fifo && a.parameters.jitterDistribution == b.parameters.jitterDistribution)
                #expect(abs((a.parameters.burst?.lossRate ?? 0) - (b.parameters.burst?.lossRate ?? 0)) < 1e-9)
            }
            #expect(again.blackouts == profile.blackouts)
        }
    }

    /// (profile text, what the message must contain).
    static let badProfiles: [(String, String)] = [
        ("", "neither a preset nor key=value"),
        ("satellite", "'satellite' is neither a preset nor key=value; give one of clean, wifi, 4g, congested, lossy-burst"),
        ("speed=3", "unknown field 'speed'"),
        ("delay=-5ms", "delay=-5ms is not valid: give 0ms to 60s"),
        ("delay=40", "delay=40 is not valid: give a unit, e.g. delay=40ms"),
        ("delay=1e300s", "delay=1e+300s is not valid: give 0ms to 60s"),
        ("delay=nans", "delay=nans is not valid: give a duration"),
        ("delay=fast", "delay=fast is not valid: give a duration"),
        ("jitter=10ms:cauchy", "jitter=10ms:cauchy is not valid: the distribution is uniform, normal or pareto"),
        ("jitter=10ms:pareto:0.5", "jitter=pareto:0.5 is not valid: the Pareto shape must be more than 1"),
        ("jitter=20s", "jitter=20s is not valid: give 0ms to 10s"),
        ("loss=150%", "loss=150% is not valid: give 0% to 100%"),
        ("loss=0.5", "loss=0.5 is not valid: give a percentage such as loss=2%"),
        ("loss=-1%", "loss=-1% is not valid: give 0% to 100%"),
        ("loss=inf%", "loss=inf% is not valid: give a percentage"),
        ("burst=5%", "burst=5% is not valid: give RATE%:LENGTH"),
        ("burst=100%:3", "burst=100%:3 is not valid: the loss rate must be more than 0% and less than 100%"),
        ("burst=5%:0.5", "burst=5%:0.5 is not valid: the mean burst length is a number of packets from 1 to 10000"),
        ("gilbert=1%:0%", "gilbert=0% is not valid: r (Bad→Good) must be more than 0%"),
        ("burst=5%:3,gilbert=1%:30%", "give burst or gilbert, not both"),
        ("reorder=1%:0ms", "reorder=0s is not valid: the hold-back delay must be more than 0ms"),
        ("dup=200%", "dup=200% is not valid: give 0% to 100%"),
        ("rate=0", "rate=0bit is not valid: give 1kbit to 100gbit"),
        ("rate=1mbps", "rate=1mbps is not valid: write bits per second as bit, kbit, mbit or gbit"),
        ("rate=1tbit", "rate=1tbit is not valid: give bits per second"),
        ("rate=1mbit,queue=10", "queue=10 is not valid: give a time such as queue=50ms or a size such as queue=64KB"),
        ("rate=1mbit,queue=10B", "queue=10B is not valid: give 64B to 1GB"),
        ("rate=1mbit,queue=5m", "queue=5m is not valid: give a time such as queue=50ms"),
        ("fifo=maybe", "fifo=maybe is not valid: give on or off"),
        ("blackout=5s", "blackout=5s is not valid: give START+DURATION"),
        ("blackout=5s+0s", "blackout=5s+0s is not valid: START must be 0 or more and DURATION more than 0"),
        ("delay=40ms,delay=50ms", "delay is given twice"),
        ("wifi,4g", "preset=wifi and 4g is not valid: give one preset per segment"),
        ("clean;loss=1%", "segment 2 ('loss=1%') needs at=TIME"),
        ("clean;at=5s,loss=1%;at=2s,loss=2%", "at=2s does not come after at=5s"),
        ("at=3s,loss=1%", "the first segment starts at 0"),
        ("trace:", "trace= is not valid: give trace:FILE"),
    ]

    @Test(arguments: badProfiles)
    func badProfilesGiveErrorsNamingTheField(text: String, message: String) {
        do {
            _ = try NetworkProfile(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch let error as ConferenceError {
            #expect("\(error)".contains(message), "'\(text)': \(error)")
        } catch {
            Issue.record("'\(text)': unexpected \(error)")
        }
    }

    /// (trace text, line, field).
    static let badTraces: [(String, Int, String)] = [
        ("0 10 0\n0.02 10\n", 2, "line"),
        ("# header\n\n0 10 0 7\n", 3, "line"),
        ("0 10 0\nsoon 10 0\n", 2, "time_s"),
        ("-1 10 0\n", 1, "time_s"),
        ("1 10 0\n0.5 10 0\n", 2, "time_s"),
        ("0 ten 0\n", 1, "delay_ms"),
        ("0 -3 0\n", 1, "delay_ms"),
        ("0 99999999 0\n", 1, "delay_ms"),
        ("0 10 0\n0.02 10 yes\n", 2, "lost"),
        ("0 10 2\n", 1, "lost"),
        ("0 nan 0\n", 1, "delay_ms"),
    ]

    @Test(arguments: badTraces)
    func malformedTraceLinesAreReportedByLineAndField(text: String, line: Int, field: String) {
        #expect(throws: ConferenceError.self) { try NetworkTrace(parsing: text, source: "t.trace") }
        do {
            _ = try NetworkTrace(parsing: text, source: "t.trace")
        } catch let error as ConferenceError {
            guard case .malformedTrace(let source, let badLine, let badField, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(source == "t.trace" && badLine == line && badField == field, "\(error)")
            #expect("\(error)".hasPrefix("trace t.trace line \(line): \(field): "))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func emptyOrUnreadableTracesSaySo() {
        #expect(throws: ConferenceError.emptyTrace(source: "t")) { try NetworkTrace(parsing: "# only a comment\n\n", source: "t") }
        #expect(throws: ConferenceError.unreadableTrace(path: "missing.trace", reason: "no such file")) {
            try NetworkProfile(parsing: "trace:missing.trace") { path in
                throw ConferenceError.unreadableTrace(path: path, reason: "no such file")
            }
        }
    }
}
