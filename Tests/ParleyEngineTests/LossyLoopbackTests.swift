import Foundation
import ParleyConference
import ParleyCodecs
import ParleyMetrics
import ParleyTestSupport
import Testing

@testable import ParleyEngine

private func lossyRun(_ profile: String, seed: UInt64, seconds: Double = 3, fec: Bool = false, video: Bool = true) throws -> LoopbackReport {
    let directory = try Fixtures.scratchDirectory("parley-lossy").appendingPathComponent("out")
    var opus = OpusConfiguration()
    opus.inbandFEC = fec
    opus.expectedPacketLossPercent = fec ? 10 : 0
    var options = LoopbackOptions(
        audioPath: Fixtures.path("speech-48k-mono.wav"), videoPath: video ? Fixtures.path("motion-640x360.ivf") : nil,
        outputDirectory: directory.path, opus: opus, maximumSeconds: seconds)
    options.network = try NetworkProfile(parsing: profile)
    options.networkSeed = seed
    return try FileLoopback(options: options).run()
}

@Suite("A loopback over the emulated network reports what the network did")
struct LossyLoopbackTests {
    @Test func lossAndConcealmentMatchWhatTheEmulatorDropped() throws {
        let report = try lossyRun("delay=30ms,jitter=5ms:normal,loss=5%", seed: 7)
        let transport = try #require(report.transport)
        let network = try #require(transport.network)
        let audio = try #require(report.audio)
        let video = try #require(report.video)
        #expect(network.statistics.packetsLost > 10, "about 5 % of some 600 packets")
        #expect(network.statistics.lostRandom == network.statistics.packetsLost)
        #expect(abs(network.meanDelay - 0.030) < 0.005, "mean delay \(network.meanDelay)")
        // Every audio packet the network lost was concealed (the last one may have no
        // successor to reveal it).
        let audioLost = audio.packetsSent - audio.packetsReceived
        #expect(audioLost > 0)
        #expect(audio.concealedFrames >= audioLost - 1 && audio.concealedFrames <= audioLost)
        #expect(audio.framesDecoded + audio.concealedFrames >= audio.framesEncoded - 1)
        // Video asked for the lost packets again; what could not be recovered was dropped
        // until a keyframe, and nothing was decoded that was never sent.
        #expect(video.nackCount ?? 0 > 0)
        #expect(transport.rtcp.retransmissionsSent > 0)
        #expect(video.framesDecoded + (video.framesDropped ?? 0) <= video.framesEncoded)
        #expect(video.framesDecoded > video.framesEncoded / 2)
        // The link delivered exactly what the model let through.
        #expect(transport.receiver.packetsReceived + transport.receiver.dropped
                <= network.statistics.packetsSent - network.statistics.packetsLost + network.statistics.packetsDuplicated)
    }

    @Test func theSameSeedGivesTheSameNetworkAndAnotherSeedAnother() throws {
        let a = try #require(try lossyRun("lossy-burst", seed: 11, seconds: 1.5).transport?.network)
        let b = try #require(try lossyRun("lossy-burst", seed: 11, seconds: 1.5).transport?.network)
        let c = try #require(try lossyRun("lossy-burst", seed: 12, seconds: 1.5).transport?.network)
        #expect(a.statistics == b.statistics)
        #expect(a.statistics != c.statistics)
        #expect(a.profile == "lossy-burst" && a.seed == 11)
    }

    @Test func statsSamplesAreWrittenEveryIntervalWithCumulativeCountersAndAQualityEstimate() throws {
        let directory = try Fixtures.scratchDirectory("parley-lossy-stats")
        let statsPath = directory.appendingPathComponent("stats.jsonl").path
        var options = LoopbackOptions(
            audioPath: Fixtures.path("speech-48k-mono.wav"), videoPath: Fixtures.path("motion-640x360.ivf"),
            outputDirectory: directory.appendingPathComponent("out").path, maximumSeconds: 3)
        options.network = try NetworkProfile(parsing: "delay=40ms,loss=5%")
        options.networkSeed = 5
        options.statsInterval = 1
        options.statsJSONPath = statsPath
        var lines: [String] = []
        let report = try FileLoopback(options: options).run(stats: { lines.append($0) })
        #expect(report.outputs.stats == statsPath)
        let samples = try StatsLog.read(URL(fileURLWithPath: statsPath)).samples
        #expect(samples.count == lines.count)
        #expect(samples.count >= 3 && samples.count <= 4, "one per second of media, and the last")
        #expect(lines.allSatisfy { $0.contains("audio:") && $0.contains("MOS") })
        for (a, b) in zip(samples, samples.dropFirst()) {
            #expect(b.timestamp > a.timestamp)
            #expect((b.audio?.packetsReceived ?? 0) >= (a.audio?.packetsReceived ?? 0), "counters are cumulative")
        }
        let last = try #require(samples.last)
        let audio = try #require(last.audio)
        #expect(audio.concealedSamples == (report.audio?.concealedFrames ?? -1) * 960)
        let quality = try #require(last.quality)
        #expect(quality.lossRatio > 0 && quality.mos < 4.40, "5 % loss costs MOS (\(quality.mos))")
        #expect(quality.oneWayDelayMilliseconds > 60, "frame + lookahead + 40 ms network")
        #expect((last.video?.bytesReceived ?? 0) > 100_000)
    }

    @Test func overANetworkTheJitterBufferPlaysAndItsDelayIsPartOfMouthToEar() throws {
        let report = try lossyRun("delay=60ms,jitter=10ms:normal", seed: 2, seconds: 6, video: false)
        let audio = try #require(report.audio)
        let buffer = try #require(audio.jitterBuffer, "the adaptive jitter buffer played the audio")
        #expect(buffer.meanDelayMilliseconds > 5 && buffer.meanDelayMilliseconds < 200)
        // Mouth to ear: codec + 60 ms of network + the buffer, measured on the output.
        #expect(audio.alignment.delayMilliseconds > 60 + audio.codecDelayMilliseconds,
                "mouth to ear \(audio.alignment.delayMilliseconds) ms")
        #expect(audio.alignment.delayMilliseconds < 60 + audio.codecDelayMilliseconds + buffer.meanDelayMilliseconds + 100)
        #expect(audio.alignment.correlation > 0.5)
        #expect(audio.concealedFrames <= 3, "jitter alone, absorbed by the buffer: \(audio.concealedFrames) concealed")
    }

    @Test func inBandFECLowersConcealmentOnALossyLink() throws {
        let without = try #require(try lossyRun("delay=30ms,loss=8%", seed: 4, seconds: 8, fec: false, video: false).audio)
        let with = try #require(try lossyRun("delay=30ms,loss=8%", seed: 4, seconds: 8, fec: true, video: false).audio)
        #expect(without.jitterBuffer?.fecPacketsRecovered == 0, "no FEC in the stream, none claimed")
        #expect((with.jitterBuffer?.fecPacketsRecovered ?? 0) > 0)
        #expect(with.concealedFrames < without.concealedFrames,
                "FEC: \(with.concealedFrames) concealed, without: \(without.concealedFrames)")
    }

    @Test func aPerfectLinkReportsNoNetwork() throws {
        let directory = try Fixtures.scratchDirectory("parley-lossy").appendingPathComponent("out")
        let report = try FileLoopback(options: LoopbackOptions(
            audioPath: Fixtures.path("speech-48k-mono.wav"), outputDirectory: directory.path, maximumSeconds: 0.5)).run()
        #expect(report.transport?.network == nil)
    }
}
