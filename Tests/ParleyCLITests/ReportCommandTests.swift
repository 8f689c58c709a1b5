import Foundation
import ParleyMetrics
import ParleyTestSupport
import Testing

/// `parley report` run as a subprocess on real inputs: a `parley loopback` report.json,
/// a stats JSON-lines file written by `StatsRecorder`, and broken files.
@Suite struct ReportCommandTests {
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-report-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Samples of a 6 s call with a loss burst at 3–4 s.
    static func writeStats(to url: URL, seconds: Int = 6) throws {
        let recorder = try StatsRecorder(url: url)
        var audio = InboundAudioStats(ssrc: 1)
        var video = InboundVideoStats(ssrc: 2)
        for t in 1...seconds {
            let lost = (t == 3 || t == 4) ? 4 : 0
            audio.packetsReceived += 50 - lost
            audio.packetsLost += lost
            audio.jitter = 0.003 + 0.002 * Double(lost)
            audio.bytesReceived += (50 - lost) * 80
            audio.jitterBufferEmittedCount += 48_000
            audio.jitterBufferDelay += 48_000 * (0.050 + 0.005 * Double(lost))
            audio.jitterBufferTargetDelay += 48_000 * (0.045 + 0.005 * Double(lost))
            audio.totalSamplesReceived += 48_000
            audio.concealedSamples += lost * 960
            audio.concealmentEvents += lost > 0 ? 2 : 0
            video.framesDecoded += 30
            video.bytesReceived += 95_000
            video.packetsReceived += 80
            if t == 4 { video.freezeCount += 1; video.totalFreezesDuration += 0.3; video.pliCount += 1 }
            var runs = LossRunStatistics()
            for i in 0..<(50 * t) { runs.record(lost: i % 50 < lost) }
            let quality = CallQuality(oneWayDelayMilliseconds: 70, lossRatio: Double(lost) / 50, burstRatio: runs.burstRatio,
                                      codec: .opus(bitrate: 32_000))
            try recorder.record(StatsSample(timestamp: Double(t), inboundAudio: [audio], inboundVideo: [video], quality: quality))
        }
        try recorder.close()
    }

    @Test func reportOfARealLoopbackRun() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("run")
        let loopback = try ParleyExecutable.run(["loopback", "--duration", "1", "--out", out.path])
        try #require(loopback.status == 0, "loopback failed: \(loopback.stderr)")
        let html = dir.appendingPathComponent("report.html")
        let result = try ParleyExecutable.run(["report", out.appendingPathComponent("report.json").path, "--html", html.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("wrote \(html.path)"))
        let page = try String(contentsOf: html, encoding: .utf8)
        for id in ["summary", "packets", "psnr", "ssim", "video-bitrate"] {
            #expect(page.contains("<section id=\"\(id)\">"), "missing section \(id)")
        }
        for text in ["Parley loopback report", "PSNR", "SSIM", "MOS (E-model)", "Audio delay", "Freezes", "Video feedback", "<svg", "</html>"] {
            #expect(page.contains(text), "missing \(text)")
        }
        #expect(!page.contains("<script"))
        #expect(!page.contains("src="))
        // 30 frames in a second of video: PSNR Y, PSNR, SSIM and frame-size series, one
        // unbroken path of 30 points each.
        let paths = page.components(separatedBy: "<path d=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(paths.count == 4)
        for d in paths {
            #expect(d.filter { $0 == "M" }.count == 1 && d.filter { $0 == "L" }.count == 29, "path \(d)")
        }
    }

    @Test func reportOfAStatsFileAndOfOneCutShort() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stats = dir.appendingPathComponent("call.jsonl")
        try Self.writeStats(to: stats)
        let result = try ParleyExecutable.run(["report", stats.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let html = dir.appendingPathComponent("call.html")   // default: RUN with .html
        let page = try String(contentsOf: html, encoding: .utf8)
        for id in ["summary", "jitter-buffer", "packets", "concealment", "delay", "mos", "bitrate", "video"] {
            #expect(page.contains("<section id=\"\(id)\">"), "missing section \(id)")
        }
        #expect(page.contains("6.0 s (6 samples)"))
        #expect(page.contains("292 received, 8 lost (2.67%)"))
        #expect(!page.contains("cut short"))

        // Kill-like truncation: the last line loses its end.
        var data = try Data(contentsOf: stats)
        data.removeLast(25)
        try data.write(to: stats)
        let cut = try ParleyExecutable.run(["report", stats.path, "--html", html.path])
        #expect(cut.status == 0, "stderr: \(cut.stderr)")
        #expect(cut.stderr.contains("Line 6 of \(stats.path) was cut short"))
        let cutPage = try String(contentsOf: html, encoding: .utf8)
        #expect(cutPage.contains("was cut short"))
        #expect(cutPage.contains("5.0 s (5 samples)"))
    }

    @Test func missingAndGarbageFilesAreClearErrors() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.json")
        let r1 = try ParleyExecutable.run(["report", missing.path, "--html", dir.appendingPathComponent("x.html").path])
        #expect(r1.status != 0)
        #expect(r1.stderr.hasPrefix("parley: error: cannot read \(missing.path): no such file"), "stderr: \(r1.stderr)")

        let garbage = dir.appendingPathComponent("garbage.json")
        try Data("this is not json\n".utf8).write(to: garbage)
        let r2 = try ParleyExecutable.run(["report", garbage.path])
        #expect(r2.status != 0)
        #expect(r2.stderr.hasPrefix("parley: error: \(garbage.path) line 1: "), "stderr: \(r2.stderr)")

        // A bad line in the middle of a stats file: the error names that line.
        let stats = dir.appendingPathComponent("stats.jsonl")
        try Self.writeStats(to: stats, seconds: 3)
        var lines = try String(contentsOf: stats, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = "{\"timestamp\": 2, \"inboundAudio\": 7}"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: stats)
        let r3 = try ParleyExecutable.run(["report", stats.path])
        #expect(r3.status != 0)
        #expect(r3.stderr.hasPrefix("parley: error: \(stats.path) line 2: not a stats sample"), "stderr: \(r3.stderr)")

        // A report.json cut short.
        let report = dir.appendingPathComponent("report.json")
        try Data("{\n  \"kind\" : \"loopback\",\n  \"audio\" : {\n".utf8).write(to: report)
        let r4 = try ParleyExecutable.run(["report", report.path])
        #expect(r4.status != 0)
        #expect(r4.stderr.contains("\(report.path) line"), "stderr: \(r4.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.html").path))
    }
}
