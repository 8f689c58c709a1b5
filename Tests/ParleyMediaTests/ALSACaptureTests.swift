import Foundation
@testable import ParleyMedia
import Testing

private typealias D = ALSATestDevices

/// Real ALSA capture from the `file` plugin's `infile` (see `ALSATestDevices`), audio checked.
@Suite struct ALSACaptureTests {
    static func twoTone(rate: Int, frames: Int) -> [Float] {
        (0..<frames).map { i in
            let t = Double(i) / Double(rate)
            return Float(0.3 * sin(2 * .pi * 440 * t) + 0.2 * sin(2 * .pi * 1250 * t))
        }
    }

    /// Reads from `capture` like the media thread (20 ms blocks) until `frames` frames came.
    static func collect(_ capture: ALSACapture, frames: Int, timeout: Double = 5) -> [Float] {
        var out = [Float]()
        var block = [Float](repeating: 0, count: 960 * capture.channels)
        let end = Date().addingTimeInterval(timeout)
        while out.count < frames * capture.channels && Date() < end {
            let n = block.withUnsafeMutableBufferPointer { capture.read(into: $0) }
            if n == 0 { usleep(5_000); continue }
            out += block[0..<(n * capture.channels)]
        }
        return out
    }

    /// A 44.1 kHz S16_LE two-tone file captured through ALSA arrives at 48 kHz matching the
    /// same two tones computed at 48 kHz (correlation, level, length).
    @Test func capturesTheInfileResampledFrom44100() throws {
        let devices = try D()
        try D.writeS16(devices.inPath, Self.twoTone(rate: 44_100, frames: 66_150)) // 1.5 s
        let capture = try ALSACapture(device: D.device("parley_in"), configuration: devices.configuration(rate: 44_100))
        #expect(capture.deviceRate == 44_100)
        #expect(capture.periodFrames == 441)
        try capture.start()
        let got = Self.collect(capture, frames: 60_000)
        capture.stop()
        let stats = capture.stats
        print("ALSA capture: rate \(capture.deviceRate) Hz, period \(capture.periodFrames), buffer \(capture.bufferFrames); \(stats); real time: \(capture.realTimeStatus ?? "?")")
        #expect(got.count >= 60_000)
        #expect(stats.xruns == 0)
        #expect(stats.overflowFrames == 0)

        let reference = Self.twoTone(rate: 48_000, frames: 72_000)
        let window = 2_000..<50_000
        var best = (lag: 0, r: -1.0)
        for lag in 0...100 {
            var xy = 0.0, xx = 0.0, yy = 0.0
            for i in window {
                let x = Double(got[i + lag]), y = Double(reference[i])
                xy += x * y; xx += x * x; yy += y * y
            }
            let r = xy / (xx * yy).squareRoot()
            if r > best.r { best = (lag, r) }
        }
        #expect(best.r > 0.995, "correlation \(best.r) at lag \(best.lag)")
        #expect(best.lag < 20, "lag \(best.lag)")
        #expect(abs(D.rms(got[window]) - 0.255) < 0.01, "rms \(D.rms(got[window]))")
    }

    /// At 48 kHz, stereo FLOAT_LE, nothing is converted: the captured frames are the file's, bit for bit.
    @Test func capturesStereoFloatAt48kBitExact() throws {
        let devices = try D()
        let frames = 24_000
        var samples = [Float](repeating: 0, count: frames * 2)
        for i in 0..<frames {
            samples[2 * i] = Float(sin(Double(i) * 0.05)) * 0.7
            samples[2 * i + 1] = Float(i % 97) / 97 - 0.5
        }
        try Data(samples.withUnsafeBytes { Array($0) }).write(to: URL(fileURLWithPath: devices.inPath))
        let capture = try ALSACapture(device: D.device("parley_in"),
                                      configuration: devices.configuration(channels: 2, formats: [.floatLE]))
        #expect(capture.sampleFormat == .floatLE)
        #expect(capture.deviceRate == 48_000)
        try capture.start()
        let got = Self.collect(capture, frames: frames)
        capture.stop()
        #expect(got.count >= frames * 2)
        #expect(Array(got.prefix(frames * 2)) == samples)
    }

    /// The `null` device paced at its nominal rate measures a clock ratio of about 1.
    @Test func measuresANominalClockAsOne() throws {
        let devices = try D()
        let capture = try ALSACapture(device: D.device("null"), configuration: devices.configuration(ringMilliseconds: 4_000))
        try capture.start()
        usleep(2_600_000)
        let ratio = try #require(capture.clockRatio)
        capture.stop()
        print("ALSA capture clock ratio (paced at 1.0): \(ratio)")
        #expect(abs(ratio - 1) < 0.004, "measured \(ratio)")
        #expect(capture.stats.deviceFrames > 100_000)
    }

    /// A stream stopped and started again captures again (the device is prepared anew).
    @Test func restartsAfterStop() throws {
        let devices = try D()
        let capture = try ALSACapture(device: D.device("null"), configuration: devices.configuration())
        try capture.start()
        #expect(D.wait(2) { capture.stats.deviceFrames > 4_800 })
        capture.stop()
        let before = capture.stats.deviceFrames
        try capture.start()
        #expect(D.wait(2) { capture.stats.deviceFrames > before + 4_800 })
        capture.stop()
        #expect(!capture.isLost)
    }

    /// When nobody reads, the ring fills and the surplus is counted as overflow, not blocked on.
    @Test func aFullRingCountsOverflow() throws {
        let devices = try D()
        let capture = try ALSACapture(device: D.device("null"), configuration: devices.configuration(ringMilliseconds: 50))
        try capture.start()
        #expect(D.wait(3) { capture.stats.overflowFrames > 0 })
        capture.stop()
        #expect(capture.availableFrames == 2_400)
        var block = [Float](repeating: 1, count: 4_000)
        #expect(block.withUnsafeMutableBufferPointer { capture.read(into: $0, padWithSilence: true) } == 2_400)
        #expect(block[2_400...].allSatisfy { $0 == 0 })
    }
}
