import ArgumentParser
import Foundation
import ParleyEngine
import ParleyPlayout

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `parley bench`: what Parley's codec wrappers cost over the bare C calls.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the media path's cost against the bare libopus, libvpx and libsrtp2 calls.",
        discussion: """
            Runs, in one process, the bare C calls and Parley's wrappers doing the same work, \
            alternately (bare, wrapper, bare, wrapper, …), and reports the microseconds per \
            frame (SRTP: per round trip; RTP: per packet; call setup: per call) of each, minimum and median over the \
            repetitions, and the ratio wrapper/bare of the minima. The goal is a ratio of at \
            most 1.05 for the codecs and 1.10 for SRTP and the whole audio path.

            Cases: Opus encode at complexity 10 and 5, Opus decode and packet-loss concealment \
            (48 kHz mono, 20 ms frames, 32 kbit/s, synthetic speech); SRTP protect + unprotect \
            of a 128-byte audio RTP packet (12-byte header, audio level, abs-send-time and \
            transport-wide sequence number extensions, 100-byte payload) with AES-128-GCM \
            (srtp-gcm) and AES-CM + HMAC-SHA1-80 (srtp-aes-cm), SRTPSession against bare \
            libsrtp2; RTP serialization and parsing (plus one extension lookup) of that packet, \
            which have no C counterpart: absolute time, goal at most 0.3 µs per packet, "—" in \
            the bare and ratio columns; call-setup, the key work of one call for both sides, \
            keyed as a real call is (two X25519 ephemeral key pairs, both call key schedules, \
            and on each side an outbound SRTPSession for its RTCP, audio and video SSRCs and \
            an inbound one for the peer's, every stream with its own AES-128-GCM keying \
            material: four sessions and twelve streams, created and destroyed), absolute like \
            RTP: goal under 1000 µs per call; audio-path, a 20 ms frame through Opus encode, RTP \
            payload and packet, SRTP (GCM) protect and unprotect, parse, depayload and Opus \
            decode, against the sum of the bare libopus encode and decode and libsrtp2 \
            protect + unprotect calls on the same frames and packets; VP8 and VP9 realtime \
            encode and decode (640x360, 30 fps, 800 kbit/s, one thread, a synthetic moving \
            clip). Times are wall-clock (CLOCK_MONOTONIC) around each per-frame call (around \
            the whole loop for the RTP cases, around each call for call-setup); video cases also report process CPU time, \
            which counts libvpx's worker threads.

            --jitter runs the jitter-buffer benchmark instead: the adaptive audio jitter buffer \
            simulated on a virtual playout clock over seeded traces (clean, 30 ms normal jitter, \
            Pareto tail, 5 % Gilbert–Elliott burst loss with and without FEC, a 400 ms spike, \
            ±100 ppm drift over 10 minutes), reporting mean playout delay, late loss, concealment \
            and FEC recoveries against the oracle fixed delay that reaches the same late loss \
            (on the same 20 ms playout clock; "ideal" plays each packet the instant it is due) \
            and a fixed 200 ms buffer. Goal: at most 1.15× the oracle with late loss at most 1 %. \
            Deterministic; any build.

            --bwe runs the bandwidth-estimation benchmark instead: a sender paced at the \
            estimator's target (20 ms audio packets, 1200-byte video packets, probe clusters) \
            through the emulator capped at 300 kbit/s, then 1 Mbit/s, then 500 kbit/s (20 s each, \
            10 s with --quick; 250 ms drop-tail queue, 20 ms base delay), transport-wide feedback \
            every 50 ms. Per step: convergence time, link utilisation, mean and p95 queueing \
            delay. Goal: converged within 5 s, p95 queueing delay under 100 ms. Deterministic; \
            any build.

            --setup measures call setup instead: real `parley call` and `parley listen \
            --auto-answer` processes on loopback (this executable, a `parley relay` it starts \
            on 127.0.0.1, two fresh profiles in a temporary directory), N rounds (--rounds, \
            default 5; 2 with --quick) of 2 s calls, reporting from `parley call`'s start \
            the ms to ICE connected and to the first audio played, min / median / max, on \
            the direct path and with a coturn TURN server (`turnserver`, skipped when not \
            installed) given to both sides; on loopback ICE still picks a host pair there, \
            and the report names the pair chosen. Goal: first audio under 1000 ms in every \
            round. A call that fails ends the bench with its output and a non-zero status.

            This is a measurement, not a test: the exit status is 0 even when a ratio is above \
            the goal. Only a release build gives meaningful numbers: \
            swift build -c release && .build/release/parley bench
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print only the JSON report on standard output.")
    var json = false

    @Flag(help: "Run the jitter-buffer benchmark (virtual clock, seeded traces) instead of the codec cases.")
    var jitter = false

    @Flag(help: "Run the bandwidth-estimation benchmark (virtual clock, emulated cap stepping 300 kbit/s → 1 Mbit/s → 500 kbit/s).")
    var bwe = false

    @Flag(help: "Run the mesh group-call benchmark (6-party audio at complexity 10 and 5, 4-party VP8 640x360) against the bare library calls.")
    var mesh = false

    @Flag(help: "Run the call-setup benchmark: real `parley call` → `parley listen` processes on loopback, direct and with a TURN server.")
    var setup = false

    @Option(help: ArgumentHelp("With --setup: calls per case (default 5, 2 with --quick).", valueName: "N"))
    var rounds: Int?

    @Flag(help: "With --mesh: only the audio cases.")
    var audioOnly = false

    @Flag(help: "Fewer frames and repetitions: a quick smoke run (CI).")
    var quick = false

    @Option(name: .long, help: ArgumentHelp("Also write the JSON report to this file.", valueName: "file"))
    var output: String?

    func run() throws {
        logging.bootstrap()
        if jitter { return try runJitter() }
        if bwe { return try runBandwidth() }
        if mesh { return try runMesh() }
        if setup { return try runSetup() }
        let interactive = isatty(2) != 0
        if BenchmarkReport.currentBuildConfiguration == "debug" {
            standardError("parley: warning: this is a debug build; benchmark numbers are only meaningful from "
                + "`swift build -c release`")
        }
        let benchmark = CodecBenchmark(parameters: quick ? .quick : .standard)
        let report: BenchmarkReport
        do {
            report = try benchmark.run { step, repetition, repetitions in
                if interactive { standardError("bench: \(step) \(repetition)/\(repetitions)") }
            }
        } catch {
            standardError("parley: error: the benchmark failed: \(error)")
            throw ExitCode.failure
        }
        let data = try report.jsonData()
        // Print first: a file that cannot be written does not lose the measurement.
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(Self.table(report))
        }
        try writeOutput(data)
    }

    /// Writes the JSON report to `--output`, if given (after it was printed: a file that
    /// cannot be written does not lose the measurement).
    private func writeOutput(_ data: Data) throws {
        guard let output else { return }
        do {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            standardError("parley: error: cannot write the report to \(output): \(error.localizedDescription); "
                + "check that its directory exists and is writable")
            throw ExitCode.failure
        }
    }

    /// `--mesh`: the mesh call against the bare calls, a table or the JSON report.
    private func runMesh() throws {
        if BenchmarkReport.currentBuildConfiguration == "debug" {
            standardError("parley: warning: this is a debug build; benchmark numbers are only meaningful from "
                + "`swift build -c release`")
        }
        let report: MeshBenchmarkReport
        do {
            report = try MeshBenchmark.run(quick: quick, audioOnly: audioOnly) { step in
                if !json { standardError("parley bench --mesh: \(step)…") }
            }
        } catch {
            standardError("parley: error: the mesh benchmark failed: \(error)")
            throw ExitCode.failure
        }
        try publish(report) {
            func f(_ v: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", v) }
            print("parley bench --mesh (\(report.buildConfiguration) build, \(report.machine.cpuModel), \(report.machine.coreCount) cores)")
            print("audio: one thread; bare = libopus + libsrtp2 calls only (N encodes, N(N-1) protects, unprotects, decodes per 20 ms tick);")
            print("       bare and mesh alternate in rounds of \(report.audio.first?.ticks ?? 0) ticks; µs/tick = fastest round; ratio = median of each round's mesh/bare")
            for c in report.audio {
                print("  \(c.parties)-party complexity \(c.complexity): mesh \(f(c.meshMicrosecondsPerTick, 0)) µs/tick (\(f(c.mesh.realtimeFactor, 1))x real time), "
                    + "bare \(f(c.bareMicrosecondsPerTick, 0)) µs/tick (\(f(c.bare.realtimeFactor, 1))x), ratio \(f(c.ratio, 3)) (of minima \(f(c.ratioOfMinima, 3))) "
                    + (c.ratio <= 1.10 ? "(goal ≤ 1.10 met)" : "(ABOVE the 1.10 goal)"))
            }
            if let v = report.video {
                print("video: \(v.parties)-party VP8 \(v.width)x\(v.height) \(f(v.frameRate, 0)) fps, \(v.threads) libvpx threads, \(v.frames) frames")
                print("  mesh \(f(v.mesh.realtimeFactor, 2))x real time " + (v.mesh.realtimeFactor >= 1.5 ? "(goal ≥ 1.5 met)" : "(BELOW the 1.5 goal)")
                    + ", bare libvpx \(f(v.bare.realtimeFactor, 2))x, ratio \(f(v.ratio, 3))")
            }
            if let rss = report.residentMegabytesAfterAudioMesh {
                print("memory: \(f(rss, 1)) MB resident after the audio mesh " + (rss <= 64 ? "(goal ≤ 64 MB met)" : "(ABOVE 64 MB)")
                    + (report.peakResidentMegabytes.map { ", peak \(f($0, 1)) MB" } ?? ""))
            }
        }
    }

    /// `--setup`: real calls between processes on loopback, a table or the JSON report.
    private func runSetup() throws {
        let count = rounds ?? (quick ? 2 : 5)
        guard count >= 1 else {
            throw CLIError.invalidValue(option: "--rounds", value: "\(count)", expected: "give at least 1")
        }
        if BenchmarkReport.currentBuildConfiguration == "debug" {
            standardError("parley: warning: this is a debug build; call-setup times are only meaningful from "
                + "`swift build -c release`")
        }
        let json = self.json
        let report: SetupBench.Report
        do {
            report = try SetupBench(rounds: count) { step in
                if !json { standardError("parley bench --setup: \(step)…") }
            }.run()
        } catch let interrupted as SetupBench.Interrupted {
            // Everything is stopped and removed by now; the shell's status for a signal.
            standardError("parley bench --setup: \(interrupted)")
            Foundation.exit(128 + interrupted.signal)
        } catch {
            // One "parley: error:" line (with the processes' output) and status 1.
            throw CLIError.failed("the call-setup benchmark failed: \(error)")
        }
        try publish(report) { print(SetupBench.table(report)) }
    }

    /// The JSON report on standard output with --json, otherwise `table()`; and the JSON
    /// in the --output file.
    private func publish<Report: Encodable>(_ report: Report, table: () -> Void) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            table()
        }
        try writeOutput(data)
    }

    /// `--bwe`: the bandwidth estimator against a stepping cap, table or the JSON report.
    private func runBandwidth() throws {
        let report: BandwidthBenchmark.Report
        do {
            var parameters = quick ? BandwidthBenchmark.Parameters.quick : BandwidthBenchmark.Parameters()
            parameters.recordTimeline = output != nil  // the 100 ms timeline goes with the JSON file
            report = try BandwidthBenchmark.run(parameters)
        } catch {
            standardError("parley: error: the bandwidth benchmark failed: \(error)")
            throw ExitCode.failure
        }
        try publish(report) {
            print("parley bench --bwe: send-side bandwidth estimation (TWCC feedback, trendline + AIMD, loss-based, probes)")
            print("link: \(report.profile); \(Int(report.stepDuration)) s per step, feedback every \(Int(report.feedbackIntervalMs)) ms, virtual clock, seed \(report.seed)")
            print("converged: send rate (1 s windows) within [\(report.convergenceBand[0]), \(report.convergenceBand[1])] x capacity until the step ends; "
                + "util: delivered / capacity after convergence; delay: queueing (one-way - base - serialization), steady = from convergence on")
            print("")
            print(BandwidthBenchmark.table(report), terminator: "")
            print("")
            print(report.meetsGoal ? "every step within the goal (converged within 5 s, p95 queueing delay < 100 ms)"
                : "ABOVE GOAL: " + report.steps.filter { !$0.meetsGoal }.map { "\(Int($0.capacityBitsPerSecond / 1000)) kbit/s" }.joined(separator: ", "))
        }
    }

    /// `--jitter`: the playout simulation, table or `{"jitter": [rows]}`.
    private func runJitter() throws {
        let rows: [JitterBufferBenchmark.Row]
        do {
            rows = try JitterBufferBenchmark.run(duration: quick ? 20 : 60, driftDuration: quick ? 60 : 600)
        } catch {
            standardError("parley: error: the jitter benchmark failed: \(error)")
            throw ExitCode.failure
        }
        struct Report: Encodable { var jitter: [JitterBufferBenchmark.Row] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(Report(jitter: rows))
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("parley bench --jitter: adaptive audio jitter buffer on seeded traces (virtual clock, 20 ms pulls)")
            print("delays in ms from the fastest possible arrival; oracle = smallest fixed delay with the same late loss "
                + "on the same playout clock, ideal = the same without the 20 ms pull granularity; ratio = delay / oracle")
            print("")
            print(JitterBufferBenchmark.table(rows), terminator: "")
            let missed = rows.filter { !JitterBufferBenchmark.meetsGoal($0) }.map(\.trace)
            print("")
            // Cost of the buffer itself: 48 kHz mono, 30 ms jitter (insert, decisions, time-stretch
            // pitch search, the synthetic decoder's table lookups).
            let trace = JitterTrace.normalJitter(seed: 1, duration: quick ? 10 : 60)
            var pulls = 0
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try JitterBufferSimulation.run(trace, sampleRate: 48000) { _ in pulls += 1 }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
            print("cost: \(String(format: "%.1f", elapsed / Double(max(1, pulls)))) µs per 20 ms pull at 48 kHz mono "
                + "(\(BenchmarkReport.currentBuildConfiguration) build; jitter buffer and synthetic decoder, no codec)")
            print(missed.isEmpty ? "every trace within the goal (≤ 1.15× oracle, late loss ≤ 1 %)"
                : "ABOVE GOAL: \(missed.joined(separator: ", "))")
        }
        try writeOutput(data)
    }

    /// The human-readable report.
    static func table(_ report: BenchmarkReport) -> String {
        var lines: [String] = []
        let m = report.machine
        lines.append("parley bench (\(report.buildConfiguration) build, \(report.date))")
        lines.append("machine: \(m.cpuModel), \(m.coreCount) cores, \(m.architecture), \(m.operatingSystem)")
        var libraries = "libraries: \(report.libraries.opus), libvpx \(report.libraries.vpx)"
        if let srtp = report.libraries.srtp { libraries += ", \(srtp)" }
        lines.append(libraries)
        lines.append("µs per unit (frame, SRTP round trip, RTP packet, call setup), min / median over "
            + "\(report.parameters.repetitions) repetitions; ratio = wrapper min / bare min; "
            + "RTP and call-setup cases have no bare call: absolute goal")
        lines.append("")
        let header = [
            pad("case", 16), pad("unit", 10), pad("count", 6, right: true), pad("bare min", 11, right: true),
            pad("median", 11, right: true), pad("wrapper min", 11, right: true), pad("median", 11, right: true),
            pad("ratio", 7, right: true), "  goal",
        ]
        lines.append(header.joined(separator: "  "))
        for c in report.cases {
            let goal: String
            if let ratioGoal = c.goal {
                goal = c.withinGoal ? "  ✓ ≤ \(format(ratioGoal, 2))" : "  ✗ > \(format(ratioGoal, 2))"
            } else if let absolute = c.absoluteGoalMicroseconds, c.name == "call-setup" {
                // "< 1 ms": strictly under.
                goal = c.withinGoal ? "  ✓ < \(format(absolute, 0)) µs" : "  ✗ ≥ \(format(absolute, 0)) µs"
            } else if let absolute = c.absoluteGoalMicroseconds {
                goal = c.withinGoal ? "  ✓ ≤ \(format(absolute, 2)) µs" : "  ✗ > \(format(absolute, 2)) µs"
            } else {
                goal = c.withinGoal ? "  ✓" : "  ✗"
            }
            let row = [
                pad(c.name, 16), pad(c.unit ?? "frame", 10), pad("\(c.frames)", 6, right: true),
                pad(c.bareMicrosecondsPerFrame.map { time($0.min) } ?? "—", 11, right: true),
                pad(c.bareMicrosecondsPerFrame.map { time($0.median) } ?? "—", 11, right: true),
                pad(time(c.wrapperMicrosecondsPerFrame.min), 11, right: true),
                pad(time(c.wrapperMicrosecondsPerFrame.median), 11, right: true),
                pad(c.ratio.map { String(format: "%.3f", $0) } ?? "—", 7, right: true),
                goal,
            ]
            lines.append(row.joined(separator: "  "))
        }
        var seen = Set<String>()
        let cpu = report.cases.compactMap { c -> String? in
            guard let p = c.processCPU else { return nil }
            let codec = String(c.name.prefix { $0 != "-" })
            guard seen.insert(codec).inserted else { return nil }
            return "  \(codec): bare \(format(p.bareMicrosecondsPerFrame.min)) µs/frame, wrapper "
                + "\(format(p.wrapperMicrosecondsPerFrame.min)) µs/frame (min), ratio \(String(format: "%.3f", p.ratio))"
        }
        if !cpu.isEmpty {
            lines.append("")
            lines.append("process CPU (all threads), video encode + decode including setup:")
            lines.append(contentsOf: cpu)
        }
        lines.append("")
        let s = report.summary
        if s.allWithinGoal {
            lines.append("every case within its goal (worst ratio: \(s.worstCase), "
                + "\(String(format: "%.3f", s.worstRatio)) ≤ \(format(s.goal, 2)))")
        } else {
            let over = report.cases.filter { !$0.withinGoal }.map(\.name).joined(separator: ", ")
            lines.append("ABOVE GOAL: \(over) (worst ratio: \(s.worstCase), \(String(format: "%.3f", s.worstRatio)), "
                + "goal \(format(s.goal, 2)))")
        }
        return lines.joined(separator: "\n")
    }

    /// µs: one decimal, three below 10 µs (SRTP and RTP cases).
    private static func time(_ value: Double) -> String {
        format(value, value < 10 ? 3 : 1)
    }

    private static func format(_ value: Double, _ decimals: Int = 1) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}

private func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
