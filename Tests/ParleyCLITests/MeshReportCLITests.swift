import Foundation
import ParleyCore
import ParleyMedia
import ParleyTestSupport
import Testing

/// `parley report` on a group-call run: the report.json and the stats JSON lines of
/// `parley loopback --participants 2`, and a stats file cut short.
@Suite("parley report of a group-call (mesh) run")
struct MeshReportCLITests {
    private func expectMeshPage(_ page: String, _ what: String) {
        for text in ["Parley group call — 2 participants", "Alice", "Bob", "<td>Alice→Bob</td>", "<td>Bob→Alice</td>",
                     "MOS", "<svg", "<section id=\"links\">", "<section id=\"mos\">", "<section id=\"jitter\">",
                     "<section id=\"packets-lost\">", "<section id=\"active-speaker\">", "</html>"] {
            #expect(page.contains(text), "\(what): missing \(text)")
        }
        #expect(!page.contains("<script"), "\(what)")
        #expect(!page.contains("src="), "\(what)")
        #expect(!page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"), "\(what): refers to the network")
    }

    @Test func reportOfAMeshRunItsStatsAndAStatsFileCutShort() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let audio = try cli.talkWAV()
        let out = cli.root.appendingPathComponent("run")
        let stats = out.appendingPathComponent("stats.jsonl")
        let env = cli.home("Nobody")   // 2 participants need no license, not even a profile
        let run = try cli.parley(["loopback", "--participants", "2", "--duration", "2", "--audio", audio,
                                  "--stats-json", stats.path, "--out", out.path], env)
        try #require(run.status == 0, "loopback failed: \(run.stderr)")

        // The report.json, with the stats file it names.
        let x = cli.root.appendingPathComponent("x.html")
        let r1 = try cli.parley(["report", out.appendingPathComponent("report.json").path, "--html", x.path], env)
        #expect(r1.status == 0, "stderr: \(r1.stderr)")
        #expect(r1.stdout.contains("wrote \(x.path)"))
        let page1 = try String(contentsOf: x, encoding: .utf8)
        expectMeshPage(page1, "report.json")
        for text in ["<section id=\"membership\">", "joined", "<section id=\"speakers\">", "Roster versions", "SRTP drops", "real time"] {
            #expect(page1.contains(text), "report.json: missing \(text)")
        }
        #expect(!page1.contains("cut short"))

        // The stats file on its own (the report.json beside it gives the names and events).
        let y = cli.root.appendingPathComponent("y.html")
        let r2 = try cli.parley(["report", stats.path, "--html", y.path], env)
        #expect(r2.status == 0, "stderr: \(r2.stderr)")
        expectMeshPage(try String(contentsOf: y, encoding: .utf8), "stats.jsonl")

        // A stats file moved away from its report and cut mid-line, as a killed run leaves it.
        let alone = cli.root.appendingPathComponent("alone")
        try FileManager.default.createDirectory(at: alone, withIntermediateDirectories: true)
        let cutStats = alone.appendingPathComponent("stats.jsonl")
        var lines = try String(contentsOf: stats, encoding: .utf8).split(separator: "\n").map(String.init)
        try #require(lines.count >= 2, "too few stats lines: \(lines.count)")
        let last = lines.removeLast()
        let cutText = (lines + [String(last.prefix(last.count / 2))]).joined(separator: "\n")
        try Data(cutText.utf8).write(to: cutStats)
        let z = cli.root.appendingPathComponent("z.html")
        let r3 = try cli.parley(["report", cutStats.path, "--html", z.path], env)
        #expect(r3.status == 0, "stderr: \(r3.stderr)")
        #expect(r3.stderr.contains("Line \(lines.count + 1) of \(cutStats.path) was cut short"), "stderr: \(r3.stderr)")
        let page3 = try String(contentsOf: z, encoding: .utf8)
        expectMeshPage(page3, "cut stats")
        #expect(page3.contains("was cut short"))
        #expect(page3.contains("\(lines.count) stats samples"))

        // The report.json whose stats file was cut: still drawn, with the notice.
        try Data(cutText.utf8).write(to: stats)
        let r4 = try cli.parley(["report", out.appendingPathComponent("report.json").path, "--html", x.path], env)
        #expect(r4.status == 0, "stderr: \(r4.stderr)")
        #expect(r4.stderr.contains("was cut short"), "stderr: \(r4.stderr)")
        expectMeshPage(try String(contentsOf: x, encoding: .utf8), "report.json with cut stats")
    }
}
