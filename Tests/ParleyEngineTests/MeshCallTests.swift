import Foundation
import ParleyCodecs
import ParleyConference
import ParleyCore
import ParleyEngine
import ParleyMedia
import ParleyMetrics
import ParleyTestSupport
import Testing

/// Synthetic, deterministic inputs for the mesh tests: 48 kHz mono (unless told).
enum MeshSignals {
    static let rate = 48_000

    /// A repeatable hash of (a, b) in 0..<2^32.
    static func hash(_ a: Int, _ b: Int) -> UInt64 {
        var x = UInt64(truncatingIfNeeded: a &* 0x9E37_79B9 &+ b &* 0x85EB_CA6B &+ 0x1234_5678)
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x = (x ^ (x >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return (x ^ (x >> 33)) & 0xFFFF_FFFF
    }

    /// A "talker": a tone of its own (not harmonically related to the others'), amplitude
    /// modulated at a syllable-like rate and gated on and off in 150 ms segments in a
    /// pattern of its own, over a little seeded noise. Peak about `amplitude`.
    static func talker(_ who: Int, seconds: Double, amplitude: Float = 0.3, rate: Int = MeshSignals.rate,
                       talks: ((Double) -> Bool)? = nil) -> [Float] {
        let frequencies = [230.0, 370.0, 530.0, 710.0, 890.0, 1_070.0, 1_270.0, 1_490.0]
        let f = frequencies[who % frequencies.count]
        let count = Int(seconds * Double(rate))
        var out = [Float](repeating: 0, count: count)
        var state = hash(who, 99)
        for n in 0..<count {
            let t = Double(n) / Double(rate)
            let segment = Int(t / 0.150)
            let on: Bool = talks.map { $0(t) } ?? (hash(who, segment) % 10 < 7)
            // 5 ms ramps at each segment edge: no clicks.
            let inSegment = t - Double(segment) * 0.150
            let ramp = min(1, min(inSegment, 0.150 - inSegment) / 0.005)
            let envelope = on ? (0.6 + 0.4 * sin(2 * .pi * 4 * t + Double(who))) * ramp : 0
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = Double(state >> 40) / Double(1 << 24) * 2 - 1
            out[n] = Float(envelope * sin(2 * .pi * f * t) * Double(amplitude) + noise * 0.003)
        }
        return out
    }

    /// Seeded white noise at linear RMS `level`.
    static func noise(seed: Int, seconds: Double, level: Float) -> [Float] {
        var state = hash(seed, 7)
        return (0..<Int(seconds * Double(rate))).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1) * level * 1.732
        }
    }

    static func writeWAV(_ samples: [Float], to path: String, rate: Int = MeshSignals.rate) throws {
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: rate, channels: 1))
        try writer.write(samples)
        try writer.close()
    }

    static func readWAV(_ path: String) throws -> [Float] {
        let reader = try WAVReader(path: path)
        var all: [Float] = []
        var buffer = [Float](repeating: 0, count: 4_800 * reader.outputFormat.channels)
        while true {
            let n = try reader.read(into: &buffer, frames: 4_800)
            if n == 0 { break }
            all.append(contentsOf: buffer[0..<(n * reader.outputFormat.channels)])
        }
        return all
    }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        guard !x.isEmpty else { return 0 }
        return (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
    }

    /// The largest normalized cross-correlation of `reference` with `received` delayed by
    /// 0…`maxLag` seconds (the mix comes out later than the input, by the jitter buffer).
    /// The lag search (FFT) is ±maxLag, which only makes the "near zero" checks stricter.
    static func correlation(_ reference: [Float], _ received: [Float], maxLag: Double = 0.3) -> AlignmentResult {
        AudioAlignment.delay(reference: reference, received: received, sampleRate: rate, maxLagSeconds: maxLag)
    }

    /// A small Y4M of `frames` moving-gradient pictures.
    static func writeY4M(_ path: String, width: Int, height: Int, frames: Int, seed: Int, rate: Int = 15) throws {
        let writer = try Y4MWriter(path: path, width: width, height: height, frameRateNumerator: rate)
        for i in 0..<frames {
            var frame = VideoFrame(width: width, height: height, timestamp: Int64(i))
            for y in 0..<height {
                for x in 0..<width { frame.data[y * width + x] = UInt8(truncatingIfNeeded: x * 2 + y + i * 3 + seed * 40) }
            }
            for k in frame.uOffset..<frame.byteCount { frame.data[k] = UInt8(truncatingIfNeeded: 100 + (k + seed * 7 + i) % 56) }
            try writer.write(frame)
        }
        try writer.close()
    }
}

/// One mesh loopback run in a scratch directory.
struct MeshRun {
    var report: MeshReport
    var directory: URL
    var inputs: [[Float]]
    func mix(_ p: Int) throws -> [Float] { try MeshSignals.readWAV(directory.appendingPathComponent("p\(p)/mix.wav").path) }
    func link(from: Int, to: Int) -> MeshReport.Link? { report.links.first { $0.from == from && $0.to == to } }
}

/// Writes `inputs` as WAVs and runs a `MeshLoopback` of them.
func runMesh(_ inputs: [[Float]], label: String, configure: (inout MeshLoopbackOptions) -> Void = { _ in }) throws -> MeshRun {
    let directory = try Fixtures.scratchDirectory("parley-mesh-\(label)")
    var paths: [String] = []
    for (i, samples) in inputs.enumerated() {
        let path = directory.appendingPathComponent("in\(i).wav").path
        try MeshSignals.writeWAV(samples, to: path)
        paths.append(path)
    }
    let out = directory.appendingPathComponent("out")
    var options = MeshLoopbackOptions(participants: inputs.count, audioPaths: paths, outputDirectory: out.path,
                                      configuration: MeshConfiguration(participants: inputs.count))
    configure(&options)
    let report = try MeshLoopback(options: options).run()
    return MeshRun(report: report, directory: out, inputs: inputs)
}

@Suite("Mesh group calls")
struct MeshCallTests {
    // MARK: 1. Nobody hears themself

    @Test("each mix holds the other three talkers and never its listener's own voice")
    func neverHearsItself() throws {
        let n = 4
        let inputs = (0..<n).map { MeshSignals.talker($0, seconds: 3) }
        let run = try runMesh(inputs, label: "self")
        #expect(run.report.completed)
        for p in 0..<n {
            let mix = try run.mix(p)
            for q in 0..<n {
                let c = MeshSignals.correlation(inputs[q], mix)
                if q == p {
                    // Measured: |own| ≤ 0.005 (the talkers' tones are at distinct frequencies,
                    // so with the own voice absent the correlation is at noise level); 0.2
                    // leaves a wide margin and is still far below the others' ≥ 0.43.
                    #expect(abs(c.correlation) < 0.2, "p\(p) hears itself: correlation \(c.correlation)")
                } else {
                    // Measured: 0.43–0.51 (one of three equally loud talkers in the mix:
                    // 1/√3 ≈ 0.58, a little less after Opus and the limiter). The lag is not
                    // asserted: these tonal signals correlate almost as well 30–130 ms apart.
                    #expect(c.correlation > 0.3, "p\(p) does not hear p\(q): correlation \(c.correlation)")
                    #expect(c.lagSamples >= 0, "p\(p) hears p\(q) before it spoke: lag \(c.lagSamples)")
                }
            }
        }
    }

    // MARK: 2. Limiter

    @Test("four near-full-scale talkers mixed: no mixed sample beyond ±1")
    func limiterBoundsTheMix() throws {
        let n = 4
        let seconds = 2.0
        let inputs = (0..<n).map { who -> [Float] in
            // Continuous, near full scale: every mix sums three of these (peak ≈ 2.9).
            let f = [230.0, 370.0, 530.0, 710.0][who]
            return (0..<Int(seconds * 48_000)).map { Float(0.95 * sin(2 * .pi * f * Double($0) / 48_000)) }
        }
        var configuration = MeshConfiguration(participants: n)
        configuration.maximumMixed = 3
        final class Sink { var mixes: [[Float]] = [] }
        let sink = Sink()
        sink.mixes = Array(repeating: [], count: n)
        var ios: [MeshMemberIO] = []
        for i in 0..<n {
            var position = 0
            ios.append(MeshMemberIO(
                name: meshParticipantNames[i],
                readAudio: { frame in
                    let input = inputs[i]
                    guard position < input.count else { return 0 }
                    let count = min(frame.count, input.count - position)
                    for k in 0..<frame.count { frame[k] = k < count ? input[position + k] : 0 }
                    position += count
                    return count
                },
                writeMix: { samples in sink.mixes[i].append(contentsOf: samples) }))
        }
        let session = try MeshSession(configuration: configuration, members: ios)
        try session.join(Array(0..<n))
        try session.run(until: seconds)
        try session.run(until: seconds + 0.5, sending: false)
        session.hangUp()
        for p in 0..<n {
            let mix = sink.mixes[p]
            #expect(mix.count >= Int(seconds * 48_000))
            let peak = mix.reduce(Float(0)) { max($0, abs($1)) }
            let overKnee = mix.filter { abs($0) > 0.708 }.count
            #expect(mix.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 }, "p\(p) mix peak \(peak)")
            // The inputs really were loud enough to need the limiter.
            #expect(overKnee > 0)
        }
    }

    // MARK: 3. Active speaker

    @Test("the active speaker follows a scripted talker")
    func activeSpeakerFollowsTalker() throws {
        let seconds = 3.0
        let quiet = MeshSignals.noise(seed: 0, seconds: seconds, level: 0.001)  // -60 dBFS
        let one = zip(MeshSignals.talker(1, seconds: seconds, talks: { $0 < 1.5 }),
                      MeshSignals.noise(seed: 1, seconds: seconds, level: 0.001)).map { $0 + $1 }
        let two = zip(MeshSignals.talker(2, seconds: seconds, talks: { $0 >= 1.5 }),
                      MeshSignals.noise(seed: 2, seconds: seconds, level: 0.001)).map { $0 + $1 }
        let run = try runMesh([quiet, one, two], label: "speaker")
        #expect(run.report.completed)
        let changes = run.report.members[0].speakerChanges
        #expect(changes.map(\.participant) == [1, 2], "\(changes)")
        if changes.count == 2 {
            #expect(changes[0].time < 1.5)
            #expect(changes[1].time >= 1.5 && changes[1].time <= 2.3, "changed to p2 at \(changes[1].time) s")
        }
        // Participant 1 and 2 hear each other too: each one's detector picks the other.
        #expect(run.report.members[1].speakerChanges.first?.participant == 2)
        #expect(run.report.members[2].speakerChanges.first?.participant == 1)
    }

    // MARK: 4. Join and leave

    @Test("participant 3 joins at 1 s and participant 1 leaves at 2 s")
    func joinAndLeaveMidCall() throws {
        let n = 4
        let inputs = (0..<n).map { MeshSignals.talker($0, seconds: 3) }
        let run = try runMesh(inputs, label: "joinleave") { options in
            options.joins = [3: 1.0]
            options.leaves = [1: 2.0]
            options.maximumSeconds = 3.0
        }
        let report = run.report
        #expect(report.completed, "\(report.error ?? "")")
        // Start (0, 1, 2), 3 joins, 1 leaves.
        #expect(report.rosterVersions >= 3, "roster versions \(report.rosterVersions)")
        for other in [0, 1, 2] {
            for (from, to) in [(3, other), (other, 3)] {
                let link = try #require(run.link(from: from, to: to), "no link \(from)->\(to)")
                #expect(abs(link.openedAt - 1.0) < 0.05, "\(from)->\(to) opened at \(link.openedAt)")
            }
        }
        for other in [0, 2, 3] {
            for (from, to) in [(1, other), (other, 1)] {
                let link = try #require(run.link(from: from, to: to), "no link \(from)->\(to)")
                let closed = try #require(link.closedAt, "\(from)->\(to) never closed")
                #expect(abs(closed - 2.0) <= 0.5, "\(from)->\(to) closed at \(closed)")
                #expect(!(link.closeReason ?? "").isEmpty)
            }
        }
        // Links that stayed open through both roster changes kept receiving, with no SRTP failures.
        for a in [0, 2, 3] {
            for b in [0, 2, 3] where a != b {
                let link = try #require(run.link(from: a, to: b))
                #expect(link.closedAt == nil, "\(a)->\(b) closed: \(link.closeReason ?? "")")
                #expect(link.receiver.srtpAuthenticationFailures == 0, "\(a)->\(b) SRTP failures \(link.receiver.srtpAuthenticationFailures)")
                // 3 joined at 1 s: links with it carry ~2 s (100 packets), the others ~3 s (150).
                let expected = a == 3 || b == 3 ? 90 : 140
                #expect((link.audio?.packetsReceived ?? 0) >= expected, "\(a)->\(b) received \(link.audio?.packetsReceived ?? 0)")
            }
        }
        let mix0 = try run.mix(0)
        let mix3 = try run.mix(3)
        #expect(mix3.count == mix0.count, "p3's mix has \(mix3.count) samples, p0's \(mix0.count)")
        let before = MeshSignals.rms(mix3[0..<min(mix3.count, 48_000)])
        let after = MeshSignals.rms(mix3[min(mix3.count, 60_000)..<min(mix3.count, 140_000)])
        #expect(before < 1e-4, "p3 heard something before joining: rms \(before)")
        #expect(after > 0.05, "p3 hears nothing after joining: rms \(after)")
        // After 2.5 s p0 hears nothing of p1 (gone since 2 s; the jitter buffer is well under 0.5 s).
        let tail = Array(mix0[min(mix0.count, 120_000)..<min(mix0.count, 144_000)])
        let reference = Array(inputs[1][120_000 - 14_400..<144_000])
        let c = MeshSignals.correlation(reference, tail, maxLag: 0.3)
        // And p2's voice is still there, as a control.
        let control = MeshSignals.correlation(Array(inputs[2][120_000 - 14_400..<144_000]), tail, maxLag: 0.3)
        #expect(abs(c.correlation) < 0.2, "p0 still hears p1 after 2.5 s: \(c.correlation)")
        #expect(control.correlation > 0.3, "control: p0 should still hear p2: \(control.correlation)")
    }

    // MARK: 5. Vanish

    @Test("participant 2 vanishes without a goodbye: the others time it out")
    func vanishedPeerTimesOut() throws {
        let inputs = (0..<3).map { MeshSignals.talker($0, seconds: 3) }
        let run = try runMesh(inputs, label: "vanish") { options in
            options.vanishes = [2: 1.0]
            options.configuration.silentPeerTimeout = 0.5
        }
        let report = run.report
        #expect(report.completed, "\(report.error ?? "")")
        for to in [0, 1] {
            let link = try #require(run.link(from: 2, to: to))
            let closed = try #require(link.closedAt)
            // Its last packet left at 0.98 s (the last 20 ms frame before 1.0 s) and arrived at
            // once (perfect links): the timeout fires 0.5 s later, at the next 10 ms tick.
            // Measured: 1.48 s.
            #expect(closed >= 1.45 && closed <= 1.6, "2->\(to) closed at \(closed)")
            #expect((link.closeReason ?? "").contains("nothing arrived"), "\(link.closeReason ?? "")")
        }
        let timeouts = report.events.filter { $0.kind == .timedOut }
        #expect(timeouts.contains { $0.participant == 2 && $0.observer == 0 })
        #expect(timeouts.contains { $0.participant == 2 && $0.observer == 1 })
        #expect(!report.events.contains { $0.kind == .left && $0.participant == 2 && $0.observer != 2 }, "a BYE was seen from p2")
        // 0 and 1 went on talking to each other.
        #expect(run.link(from: 0, to: 1)?.closedAt == nil)
        #expect(run.link(from: 1, to: 0)?.closedAt == nil)
    }

    // MARK: 6. Eight people

    @Test("8 people over emulated Wi-Fi: 56 links, all received, all rated")
    func eightParty() throws {
        let n = 8
        let inputs = (0..<n).map { MeshSignals.talker($0, seconds: 2) }
        let run = try runMesh(inputs, label: "eight") { options in
            options.configuration.network = try? NetworkProfile(parsing: "wifi")
            options.configuration.networkSeed = 7
        }
        let report = run.report
        #expect(report.completed, "\(report.error ?? "")")
        #expect(report.network == "wifi")
        #expect(report.links.count == 56)
        #expect(Set(report.links.map { "\($0.from)->\($0.to)" }).count == 56)
        #expect(report.links.allSatisfy { $0.from != $0.to })
        for link in report.links {
            #expect((link.audio?.packetsReceived ?? 0) > 0, "\(link.from)->\(link.to)")
            #expect(link.quality?.mos != nil, "\(link.from)->\(link.to) has no MOS")
        }
        let mos = report.links.compactMap { $0.quality?.mos }
        // Measured: MOS 2.89–3.58 per link with 23 of 5600 packets lost (wifi's jitter
        // makes the jitter buffers conceal and stretch now and then).
        #expect(mos.allSatisfy { $0 >= 2.5 && $0 <= 5 }, "MOS per link \(mos.min() ?? 0)…\(mos.max() ?? 0)")
    }

    /// Nothing lost means nothing concealed: at the end of the call the loopback drains
    /// one 20 ms pull at a time, without new RTCP, and stops when the jitter buffers and
    /// links are empty, so no pull after the last packet is counted as a lost frame. (It
    /// once drained in 0.1 s steps while RTCP kept some packet in flight: 19 concealed
    /// frames per link, MOS 1.6, with 0 packets lost.)
    @Test("a lossless delayed network rates every link as (nearly) lossless")
    func losslessLinksAreRatedLossless() throws {
        let n = 8
        let inputs = (0..<n).map { MeshSignals.talker($0, seconds: 2) }
        let run = try runMesh(inputs, label: "lossless") { options in
            options.configuration.network = try? NetworkProfile(parsing: "delay=5ms")
            // The seed also drives the RTCP intervals: with seed 1 the drain ends in time
            // (4 concealed frames per link, lossRatio 0.04, MOS 3.85); with seed 7 it does not.
            options.configuration.networkSeed = 7
        }
        let ratios = run.report.links.map { $0.quality?.lossRatio ?? 1 }
        #expect(run.report.completed)
        #expect(run.report.summary.audioPacketsLost == 0)
        // Measured after the fix: lossRatio 0 and 0 concealed frames on all 56 links.
        #expect(run.report.summary.concealedSamples == 0, "\(run.report.summary.concealedSamples) samples concealed")
        let bad = run.report.links.filter { ($0.quality?.lossRatio ?? 1) > 0.01 }
        #expect(bad.isEmpty, "\(bad.count) of 56 lossless links rated with lossRatio up to \(ratios.max() ?? 0), MOS down to \(run.report.summary.minimumMOS ?? 0)")
    }

    // MARK: 7. Bad input

    @Test("refused inputs say why")
    func badInputIsRefused() throws {
        let directory = try Fixtures.scratchDirectory("parley-mesh-bad")
        let wav = directory.appendingPathComponent("a.wav").path
        try MeshSignals.writeWAV(MeshSignals.talker(0, seconds: 0.5), to: wav)
        let out = directory.appendingPathComponent("out").path
        func options(_ n: Int, _ paths: [String]) -> MeshLoopbackOptions {
            MeshLoopbackOptions(participants: n, audioPaths: paths, outputDirectory: out, configuration: MeshConfiguration(participants: n))
        }
        func message(_ o: MeshLoopbackOptions) -> String? {
            do { _ = try MeshLoopback(options: o); return nil } catch { return "\(error)" }
        }
        let nine = message(options(9, [wav]))
        #expect(nine?.contains("2 to 8") == true, "\(nine ?? "accepted")")
        let one = message(options(1, [wav]))
        #expect(one?.contains("2 to 8") == true, "\(one ?? "accepted")")
        let count = message(options(3, [wav, wav]))
        #expect(count?.contains("2 files for 3 participants") == true, "\(count ?? "accepted")")
        let missingPath = directory.appendingPathComponent("no-such.wav").path
        let missing = message(options(2, [wav, missingPath]))
        #expect(missing?.contains(missingPath) == true, "\(missing ?? "accepted")")
        var host = options(3, [wav])
        host.joins = [0: 0.5]
        let hostMessage = message(host)
        #expect(hostMessage?.contains("hosts") == true, "\(hostMessage ?? "accepted")")
        // Nothing was written for any refused run.
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("video inputs of different sizes are scaled into the configured grid")
    func mismatchedVideoSizes() throws {
        let directory = try Fixtures.scratchDirectory("parley-mesh-video")
        let wav = directory.appendingPathComponent("a.wav").path
        try MeshSignals.writeWAV(MeshSignals.talker(0, seconds: 1), to: wav)
        let big = directory.appendingPathComponent("big.y4m").path
        let small = directory.appendingPathComponent("small.y4m").path
        try MeshSignals.writeY4M(big, width: 160, height: 96, frames: 15, seed: 1)
        try MeshSignals.writeY4M(small, width: 128, height: 72, frames: 15, seed: 2)
        var configuration = MeshConfiguration(participants: 2)
        configuration.gridWidth = 320
        configuration.gridHeight = 180
        configuration.cpuUsed = 8
        configuration.videoBitrateKbps = 200
        var options = MeshLoopbackOptions(participants: 2, audioPaths: [wav], outputDirectory: directory.appendingPathComponent("out").path,
                                          configuration: configuration)
        options.videoPaths = [big, small]
        let report = try MeshLoopback(options: options).run()
        #expect(report.completed, "\(report.error ?? "")")
        #expect(report.members[0].inputs?.videoSize == "160x96" && report.members[1].inputs?.videoSize == "128x72")
        for p in 0..<2 {
            let grid = try #require(report.members[p].outputs?.grid)
            let reader = try Y4MReader(path: grid)
            #expect(reader.header.width == 320 && reader.header.height == 180)
            var frame = VideoFrame(width: 320, height: 180)
            var frames = 0
            var lit = 0
            while try reader.read(into: &frame) {
                frames += 1
                if frame.data[0..<frame.lumaCount].contains(where: { $0 > 40 }) { lit += 1 }
            }
            // Measured: 17 grid frames each, all showing the other's picture; 15 frames decoded.
            #expect(frames > 0 && frames == report.members[p].gridFramesWritten)
            #expect(lit > 0, "p\(p)'s grid never showed the other's picture")
            #expect((report.links.first { $0.to == p }?.video?.framesDecoded ?? 0) > 0)
        }
    }

    @Test("a 16 kHz input among 48 kHz ones is resampled")
    func mixedSampleRates() throws {
        let directory = try Fixtures.scratchDirectory("parley-mesh-rates")
        var paths: [String] = []
        for i in 0..<3 {
            let path = directory.appendingPathComponent("in\(i).wav").path
            let rate = i == 1 ? 16_000 : 48_000
            try MeshSignals.writeWAV(MeshSignals.talker(i, seconds: 2, rate: rate), to: path, rate: rate)
            paths.append(path)
        }
        let out = directory.appendingPathComponent("out")
        let options = MeshLoopbackOptions(participants: 3, audioPaths: paths, outputDirectory: out.path,
                                          configuration: MeshConfiguration(participants: 3))
        let report = try MeshLoopback(options: options).run()
        #expect(report.completed, "\(report.error ?? "")")
        #expect(report.members[1].inputs?.audioSampleRate == 16_000)
        // p0 hears p1's 370 Hz talker at the right pitch (resampled, not played 3x fast).
        // Measured: correlation 0.57 with the 48 kHz rendering of the same talker.
        let mix0 = try MeshSignals.readWAV(out.appendingPathComponent("p0/mix.wav").path)
        let reference = MeshSignals.talker(1, seconds: 2)
        let c = MeshSignals.correlation(reference, mix0)
        #expect(c.correlation > 0.3, "\(c.correlation)")
        let mixInfo = try WAVReader(path: out.appendingPathComponent("p0/mix.wav").path).info
        #expect(mixInfo.format.sampleRate == 48_000)
    }
}
