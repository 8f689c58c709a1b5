import Foundation
import ParleyTestSupport
import Testing

@Suite("parley loopback --network and --stats-* from the command line")
struct LoopbackNetworkCLITests {
    @Test func badProfilesTracesAndIntervalsAreClearErrorsAndNothingRuns() throws {
        let out = try Fixtures.scratchDirectory("parley-netcli").appendingPathComponent("out")
        let cases: [([String], String)] = [
            (["--network", "delay=-5ms"], "delay=-5ms is not valid"),
            (["--network", "fast"], "neither a preset nor key=value"),
            (["--network", "loss=150%"], "loss"),
            (["--network", "trace:/nonexistent/trace.txt"], "/nonexistent/trace.txt"),
            (["--stats-interval", "0s"], "--stats-interval"),
            (["--stats-interval", "soon"], "--stats-interval"),
        ]
        for (arguments, words) in cases {
            let result = try ParleyExecutable.run(["loopback", "--duration", "1", "--out", out.path] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.hasPrefix("parley: error: ") && result.stderr.contains(words), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
        }
        // A malformed trace names its line.
        let trace = out.deletingLastPathComponent().appendingPathComponent("bad.trace")
        try "0 40 0\n1.0 abc 0\n".write(to: trace, atomically: true, encoding: .utf8)
        let result = try ParleyExecutable.run(["loopback", "--duration", "1", "--out", out.path, "--network", "trace:\(trace.path)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("line 2"), "\(result.stderr)")
    }

    @Test func aNetworkRunPrintsStatsLinesAndReportsTheNetwork() throws {
        let dir = try Fixtures.scratchDirectory("parley-netcli")
        let out = dir.appendingPathComponent("out")
        let stats = dir.appendingPathComponent("stats.jsonl")
        let result = try ParleyExecutable.run([
            "loopback", "--duration", "2", "--out", out.path, "--network", "4g", "--seed", "9",
            "--stats-interval", "500ms", "--stats-json", stats.path, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("t=") }
        #expect(lines.count >= 4, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let transport = try #require(report["transport"] as? [String: Any])
        let network = try #require(transport["network"] as? [String: Any])
        #expect(network["profile"] as? String == "4g")
        #expect(network["seed"] as? Int == 9)
        #expect((network["meanDelay"] as? Double ?? 0) > 0.04, "4g has 50 ms base delay")
        let outputs = try #require(report["outputs"] as? [String: Any])
        #expect(outputs["stats"] as? String == stats.path)
        let html = dir.appendingPathComponent("report.html")
        let drawn = try ParleyExecutable.run(["report", out.appendingPathComponent("report.json").path, "--html", html.path])
        #expect(drawn.status == 0, "\(drawn.stderr)")
        let page = try String(contentsOf: html, encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("MOS"))
    }
}
