import Foundation
@testable import ParleyMedia
import Testing

private typealias D = ALSATestDevices

/// Real ALSA playback into the `file` plugin (see `ALSATestDevices`), audio checked.
@Suite struct ALSAPlaybackTests {
    /// Feeds `seconds` of a 48 kHz mono sine the way the media thread would: 20 ms blocks, in time.
    static func feed(_ playback: ALSAPlayback, frequency: Double, seconds: Double) {
        let tone = MediaTestHelpers.sine(frequency: frequency, rate: 48_000, frames: Int(48_000 * seconds), amplitude: 0.5)
        var offset = 0
        while offset < tone.count {
            if playback.freeFrames >= 960 || playback.isLost {
                let n = min(960, tone.count - offset)
                tone.withUnsafeBufferPointer { _ = playback.write(UnsafeBufferPointer(rebasing: $0[offset..<(offset + n)])) }
                offset += n
            } else {
                usleep(2_000)
            }
        }
    }

    /// 1 s of 1 kHz at 48 kHz, played to a 44.1 kHz S16_LE device: the file holds 1 s of
    /// 1 kHz at 44.1 kHz, unbroken, at the right level.
    @Test func playsAToneResampledTo44100IntoTheFilePlugin() throws {
        let devices = try D()
        var obtained = (rate: 0, period: 0, buffer: 0)
        var stats: ALSAStreamStats?
        var realTime: String?
        do {
            let playback = try ALSAPlayback(device: D.device("parley_out"), configuration: devices.configuration(rate: 44_100))
            obtained = (playback.deviceRate, playback.periodFrames, playback.bufferFrames)
            #expect(playback.sampleFormat == .s16LE)
            try playback.start()
            Self.feed(playback, frequency: 1000, seconds: 1)
            #expect(D.wait(2) { playback.queuedFrames == 0 })
            usleep(100_000)
            playback.stop()
            stats = playback.stats
            realTime = playback.realTimeStatus
            print("ALSA playback: rate \(obtained.rate) Hz, period \(obtained.period), buffer \(obtained.buffer) frames; \(String(describing: stats)); real time: \(playback.realTimeStatus ?? "?")")
        } // closing the PCM flushes the file plugin
        #expect(obtained.rate == 44_100)
        #expect(obtained.period == 441)
        #expect(obtained.buffer == 4 * 441)
        #expect(stats?.xruns == 0)
        #expect(stats?.isLost == false)
        #expect(realTime != nil)
        #expect((stats?.underflows ?? 0) > 0) // silence before the first block and after the last

        let samples = try D.readS16(devices.outPath)
        let loud = samples.indices.filter { abs(samples[$0]) > 0.1 }
        let first = try #require(loud.first), last = try #require(loud.last)
        let span = samples[first...last]
        #expect(abs(span.count - 44_100) < 60, "tone lasts \(span.count) frames at 44.1 kHz")
        #expect(abs(D.rms(span) - 0.3536) < 0.01, "rms \(D.rms(span))")
        let crossings = ResamplerTests.zeroCrossings(span)
        let frequency = Double(crossings) / 2 / (Double(span.count) / 44_100)
        #expect(abs(frequency - 1000) < 5, "frequency \(frequency)")
        // No gap inside the tone: every 5 ms window has its energy.
        var quietWindows = 0
        for start in stride(from: first, to: last - 220, by: 220) where D.rms(samples[start..<(start + 220)]) < 0.3 { quietWindows += 1 }
        #expect(quietWindows == 0)
    }

    /// `stop(drain: true)` plays what is queued before stopping; at 48 kHz S16_LE nothing
    /// is resampled, so the file holds the queued samples exactly (to 16-bit rounding).
    @Test func stopWithDrainPlaysWhatIsQueued() throws {
        let devices = try D()
        let tone = MediaTestHelpers.sine(frequency: 750, rate: 48_000, frames: 14_400) // 0.3 s
        do {
            let playback = try ALSAPlayback(device: D.device("parley_out"), configuration: devices.configuration(ringMilliseconds: 500))
            #expect(tone.withUnsafeBufferPointer { playback.write($0) } == 14_400)
            try playback.start()
            playback.stop(drain: true)
            #expect(playback.queuedFrames == 0)
            #expect(playback.stats.engineFrames == 14_400)
        }
        let samples = try D.readS16(devices.outPath)
        #expect(samples.count == 14_400) // 30 whole periods: no silence padded after
        let played = Array(samples.prefix(14_400))
        #expect(zip(played, tone).allSatisfy { abs($0 - $1) < 1.0 / 16_000 })
    }

    /// The device fails for good mid-stream (`file` plugin writing to /dev/full: -EIO):
    /// the stream says it is lost and why, its thread ends, writes are discarded.
    @Test func aDeviceThatFailsIsMarkedLostAndTheMediaSideGoesOn() throws {
        let devices = try D()
        let playback = try ALSAPlayback(device: D.device("parley_full"), configuration: devices.configuration())
        try playback.start()
        #expect(D.wait(3) { playback.isLost })
        let reason = try #require(playback.lostReason)
        #expect(reason.contains("Input/output error"), "\(reason)")
        let block = [Float](repeating: 0.25, count: 960)
        #expect(block.withUnsafeBufferPointer { playback.write($0) } == 0)
        #expect(playback.stats.isLost)
        playback.stop() // returns: the thread already ended
    }

    /// A device clock 1 % fast (imitated by pacing the `null` device at 1.01 × its rate)
    /// is measured as such.
    @Test func measuresTheDeviceClockAgainstTheMonotonicClock() throws {
        let devices = try D()
        let playback = try ALSAPlayback(device: D.device("null"), configuration: devices.configuration(scale: 1.01))
        try playback.start()
        usleep(2_600_000)
        let ratio = try #require(playback.clockRatio)
        playback.stop()
        print("ALSA playback clock ratio (paced at 1.01): \(ratio)")
        #expect(abs(ratio - 1.01) < 0.004, "measured \(ratio)")
        #expect(playback.stats.xruns == 0)
    }
}
