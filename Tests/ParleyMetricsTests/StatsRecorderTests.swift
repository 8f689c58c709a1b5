import Foundation
import ParleyMetrics
import Testing

/// Samples shaped like the engine's: 50 audio packets and 30 video frames a second.
enum StatsFixtures {
    static func sample(second t: Int, lostAudio: Int = 0, concealed: Int = 0, mos: Double? = 4.3) -> StatsSample {
        var audio = InboundAudioStats(ssrc: 0x1111)
        audio.packetsReceived = 50 * t - lostAudio
        audio.packetsLost = lostAudio
        audio.jitter = 0.004 + 0.001 * Double(t % 3)
        audio.bytesReceived = 50 * t * 80
        audio.jitterBufferEmittedCount = 48_000 * t
        audio.jitterBufferDelay = 0.060 * Double(48_000 * t)
        audio.jitterBufferTargetDelay = 0.055 * Double(48_000 * t)
        audio.totalSamplesReceived = 48_000 * t
        audio.concealedSamples = concealed
        audio.concealmentEvents = concealed > 0 ? 1 : 0
        audio.insertedSamplesForDeceleration = 12 * t
        audio.removedSamplesForAcceleration = 7 * t
        var video = InboundVideoStats(ssrc: 0x2222)
        video.framesDecoded = 30 * t
        video.packetsReceived = 90 * t
        video.bytesReceived = 100_000 * t
        video.freezeCount = t >= 3 ? 1 : 0
        video.totalFreezesDuration = t >= 3 ? 0.4 : 0
        var remote = RemoteInboundStats(kind: "audio", ssrc: 0x3333)
        remote.roundTripTime = 0.040
        var out = OutboundStats(kind: "audio", ssrc: 0x3333)
        out.packetsSent = 50 * t
        let quality = mos.map { CallQuality(r: 88, mos: $0, ieEff: 1, id: 0.5, oneWayDelayMilliseconds: 80, lossRatio: 0, burstRatio: 1) }
        return StatsSample(timestamp: Double(t), inboundAudio: [audio], inboundVideo: [video], outbound: [out],
                           remoteInbound: [remote], quality: quality)
    }

    static func scratch(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-stats-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }
}

@Suite struct StatsRecorderTests {
    @Test func jsonLinesRoundTripWithW3CNames() throws {
        let url = try StatsFixtures.scratch("stats.jsonl")
        let recorder = try StatsRecorder(url: url)
        let samples = (1...5).map { StatsFixtures.sample(second: $0, lostAudio: $0 / 2) }
        for sample in samples { try recorder.record(sample) }
        try recorder.close()
        #expect(recorder.samples == samples)

        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 6 && lines.last == "", "one object per line, newline-terminated")
        for line in lines.dropLast() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["timestamp"] != nil)
        }
        for name in ["packetsReceived", "packetsLost", "jitter", "jitterBufferDelay", "jitterBufferTargetDelay",
                     "jitterBufferEmittedCount", "concealedSamples", "silentConcealedSamples", "concealmentEvents",
                     "insertedSamplesForDeceleration", "removedSamplesForAcceleration", "packetsDiscarded",
                     "fecPacketsReceived", "framesDecoded", "framesDropped", "freezeCount", "totalFreezesDuration",
                     "nackCount", "pliCount", "roundTripTime"] {
            #expect(lines[0].contains("\"\(name)\":"), "missing \(name)")
        }
        let log = try StatsLog.read(url)
        #expect(log.samples == samples)
        #expect(log.truncatedLastLine == nil)
    }

    @Test func eachLineIsOnDiskBeforeTheNextSample() throws {
        let url = try StatsFixtures.scratch("live.jsonl")
        let recorder = try StatsRecorder(url: url, durableWrites: true)
        for t in 1...3 {
            try recorder.record(StatsFixtures.sample(second: t))
            // Read back while the recorder is still open: every sample so far is there.
            #expect(try StatsLog.read(url).samples.count == t)
        }
    }

    @Test func truncatedLastLineIsLeftOutAndReported() throws {
        let url = try StatsFixtures.scratch("killed.jsonl")
        let recorder = try StatsRecorder(url: url)
        for t in 1...3 { try recorder.record(StatsFixtures.sample(second: t)) }
        try recorder.close()
        var data = try Data(contentsOf: url)
        data.removeLast(40)   // the third line loses its end and its newline
        try data.write(to: url)
        let log = try StatsLog.read(url)
        #expect(log.samples.count == 2)
        #expect(log.truncatedLastLine == 3)
        #expect(log.samples[1] == StatsFixtures.sample(second: 2))
    }

    @Test func badLinesAreErrorsNamingFileAndLine() throws {
        let good = try StatsRecorder(url: nil).jsonLine(StatsFixtures.sample(second: 1))
        let path = "/runs/call.jsonl"
        // Garbage in the middle (a complete line) is an error, not a truncation.
        #expect(throws: MetricsError.self) { try StatsLog.parse(Data("\(good)\nnot json\n\(good)\n".utf8), path: path) }
        do {
            _ = try StatsLog.parse(Data("\(good)\n{\"timestamp\": \"soon\"}\n".utf8), path: path)
            Issue.record("a bad line was accepted")
        } catch let error as MetricsError {
            guard case .statsLineInvalid(let p, let line, _) = error else { Issue.record("\(error)"); return }
            #expect(p == path && line == 2)
            #expect(error.description.hasPrefix("/runs/call.jsonl line 2: "))
        }
        // A file whose only line is cut short holds nothing to draw.
        #expect(throws: MetricsError.statsLineInvalid(path: path, line: 1, reason: "not a JSON object")) {
            try StatsLog.parse(Data(good.prefix(30).utf8), path: path)
        }
        #expect(throws: MetricsError.statsFileEmpty(path: path)) { try StatsLog.parse(Data("\n\n".utf8), path: path) }
        // Blank lines are skipped.
        #expect(try StatsLog.parse(Data("\(good)\n\n\(good)\n".utf8), path: path).samples.count == 2)
    }

    @Test func unwritableFileIsAnError() {
        let url = URL(fileURLWithPath: "/nonexistent-parley-dir/stats.jsonl")
        #expect(throws: MetricsError.statsFileUnwritable(path: url.path)) { try StatsRecorder(url: url) }
    }

    @Test func summaryLineFormat() throws {
        var previous = StatsSample(timestamp: 2)
        var before = InboundAudioStats(ssrc: 1)
        before.jitterBufferEmittedCount = 96_000
        before.jitterBufferDelay = 5
        before.jitterBufferTargetDelay = 4
        before.totalSamplesReceived = 96_000
        var beforeVideo = InboundVideoStats(ssrc: 2)
        beforeVideo.framesDecoded = 60
        beforeVideo.bytesReceived = 200_000
        previous.inboundAudio = [before]
        previous.inboundVideo = [beforeVideo]

        var audio = before
        audio.packetsReceived = 150
        audio.packetsLost = 2
        audio.jitter = 0.0041
        audio.jitterBufferEmittedCount = 144_000               // 48 000 samples in the interval
        audio.jitterBufferDelay = 5 + 48_000 * 0.062           // played 62 ms after arrival
        audio.jitterBufferTargetDelay = 4 + 48_000 * 0.060
        audio.totalSamplesReceived = 144_000
        audio.concealedSamples = 1_728                          // 1.2 % of 144 000
        var video = beforeVideo
        video.framesDecoded = 90
        video.bytesReceived = 200_000 + 97_500                  // 780 kbit in 1 s
        video.nackCount = 1
        let current = StatsSample(
            timestamp: 3, inboundAudio: [audio], inboundVideo: [video],
            quality: CallQuality(r: 85, mos: 4.21, ieEff: 2, id: 1, oneWayDelayMilliseconds: 90, lossRatio: 0.013, burstRatio: 1))
        #expect(StatsSummaryLine.format(current, previous: previous)
            == "t=3.0s audio: recv 150 lost 2 (1.3%) jitter 4.1ms jb 62/60ms conceal 1.2% MOS 4.21 | video: 30 fps 780 kbit/s frozen 0 nack 1 pli 0")

        // Audio only, first sample, nothing played yet: unknown values print "-".
        var fresh = InboundAudioStats(ssrc: 1)
        fresh.packetsReceived = 3
        #expect(StatsSummaryLine.format(StatsSample(timestamp: 0.5, inboundAudio: [fresh]), previous: nil)
            == "t=0.5s audio: recv 3 lost 0 (0.0%) jitter 0.0ms jb -/-ms conceal 0.0%")
        #expect(StatsSummaryLine.format(StatsSample(timestamp: 1), previous: nil) == "t=1.0s (no received streams)")
        // The recorder returns the same line.
        let recorder = try StatsRecorder(url: nil)
        try recorder.record(previous)
        #expect(try recorder.record(current) == StatsSummaryLine.format(current, previous: previous))
    }

    @Test func intervalsDeriveRatesFromCumulativeCounters() {
        let samples = (1...4).map { StatsFixtures.sample(second: $0, lostAudio: $0 == 4 ? 5 : 0, concealed: $0 == 4 ? 960 : 0) }
        let intervals = StatsInterval.intervals(samples)
        #expect(intervals.count == 4)
        #expect(intervals[0].start == 0 && intervals[0].end == 1)
        for i in intervals {
            #expect(abs((i.jitterBufferDelayMilliseconds ?? 0) - 60) < 1e-9)
            #expect(abs((i.jitterBufferTargetDelayMilliseconds ?? 0) - 55) < 1e-9)
            #expect(abs((i.framesPerSecond ?? 0) - 30) < 1e-9)
            #expect(abs((i.videoBitrate ?? 0) - 800_000) < 1e-6)
            #expect(abs((i.audioBitrate ?? 0) - 32_000) < 1e-6)
            #expect(i.roundTripTimeMilliseconds == 40)
        }
        #expect(intervals[3].audioPacketsLostInInterval == 5)
        #expect(intervals[3].audioPacketsReceivedInInterval == 45)
        #expect(abs((intervals[3].concealedRatioInInterval ?? 0) - 0.02) < 1e-12)
        #expect(intervals[3].freezeCount == 1)
    }
}
