import ArgumentParser
import Foundation
import ParleyEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `parley bench`: what Parley's codec wrappers cost over the bare C calls.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the codec wrappers' per-frame cost against the bare libopus and libvpx calls.",
        discussion: """
            Runs, in one process, the bare C calls and Parley's wrappers doing the same work, \
            alternately (bare, wrapper, bare, wrapper, …), and reports the microseconds per \
            frame of each (minimum and median over the repetitions) and the ratio wrapper/bare \
            of the minima. The goal is a ratio of at most 1.05.

            Cases: Opus encode at complexity 10 and 5, Opus decode and packet-loss concealment \
            (48 kHz mono, 20 ms frames, 32 kbit/s, synthetic speech), VP8 and VP9 realtime \
            encode and decode (640x360, 30 fps, 800 kbit/s, one thread, a synthetic moving \
            clip). Times are wall-clock (CLOCK_MONOTONIC) around each per-frame call; video \
            cases also report process CPU time, which counts libvpx's worker threads.

            This is a measurement, not a test: the exit status is 0 even when a ratio is above \
            the goal. Only a release build gives meaningful numbers: \
            swift build -c release && .build/release/parley bench
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print only the JSON report on standard output.")
    var json = false

    @Flag(help: "Fewer frames and repetitions: a quick smoke run (CI).")
    var quick = false

    @Option(name: .long, help: ArgumentHelp("Also write the JSON report to this file.", valueName: "file"))
    var output: String?

    func run() throws {
        logging.bootstrap()
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
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                standardError("parley: error: cannot write the report to \(output): \(error.localizedDescription); "
                    + "check that its directory exists and is writable")
                throw ExitCode.failure
            }
        }
    }

    /// The human-readable report.
    static func table(_ report: BenchmarkReport) -> String {
        var lines: [String] = []
        let m = report.machine
        lines.append("parley bench (\(report.buildConfiguration) build, \(report.date))")
        lines.append("machine: \(m.cpuModel), \(m.coreCount) cores, \(m.architecture), \(m.operatingSystem)")
        lines.append("libraries: \(report.libraries.opus), libvpx \(report.libraries.vpx)")
        lines.append("µs per frame, min / median over \(report.parameters.repetitions) repetitions; "
            + "ratio = wrapper min / bare min")
        lines.append("")
        let header = [
            pad("case", 16), pad("frames", 6, right: true), pad("bare min", 11, right: true),
            pad("median", 11, right: true), pad("wrapper min", 11, right: true), pad("median", 11, right: true),
            pad("ratio", 7, right: true), "  goal",
        ]
        lines.append(header.joined(separator: "  "))
        for c in report.cases {
            let row = [
                pad(c.name, 16), pad("\(c.frames)", 6, right: true),
                pad(format(c.bareMicrosecondsPerFrame.min), 11, right: true),
                pad(format(c.bareMicrosecondsPerFrame.median), 11, right: true),
                pad(format(c.wrapperMicrosecondsPerFrame.min), 11, right: true),
                pad(format(c.wrapperMicrosecondsPerFrame.median), 11, right: true),
                pad(String(format: "%.3f", c.ratio), 7, right: true),
                c.withinGoal ? "  ✓ ≤ \(format(c.goal, 2))" : "  ✗ > \(format(c.goal, 2))",
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
            lines.append("all wrappers within \(format(s.goal, 2))× the bare calls (worst: \(s.worstCase), "
                + "\(String(format: "%.3f", s.worstRatio)))")
        } else {
            let over = report.cases.filter { !$0.withinGoal }.map(\.name).joined(separator: ", ")
            lines.append("ABOVE GOAL: \(over) (worst: \(s.worstCase), \(String(format: "%.3f", s.worstRatio)) > "
                + "\(format(s.goal, 2)))")
        }
        return lines.joined(separator: "\n")
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
