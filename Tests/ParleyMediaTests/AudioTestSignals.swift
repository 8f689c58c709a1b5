import Foundation
import ParleyCore
@testable import ParleyMedia
import ParleyTestSupport

/// Signals and measurements shared by the audio-processing tests (echo canceller,
/// preprocessor): the speech fixture, seeded noise, a synthetic room impulse response,
/// convolution, energies, and a frame-by-frame driver.
enum AudioTestSignals {
    static let rate = 48000
    static let frame = 480

    /// The 10 s, 48 kHz mono speech fixture as Float samples.
    static func speech() throws -> [Float] {
        let reader = try WAVReader(path: Fixtures.path("speech-48k-mono.wav"), output: AudioFormat(sampleRate: rate, channels: 1))
        return try MediaTestHelpers.readAll(reader, chunk: 4800)
    }

    /// Seeded Gaussian noise with standard deviation `sigma`.
    static func noise(count: Int, sigma: Float, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = max(Double.random(in: 0..<1, using: &generator), 1e-12)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let r = (-2 * log(u1)).squareRoot()
            out[i] = sigma * Float(r * cos(2 * .pi * u2))
            if i + 1 < count { out[i + 1] = sigma * Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }

    /// A synthetic room impulse response: silence for `delayMilliseconds` (the direct path's
    /// travel), a direct-path tap, then exponentially decaying Gaussian noise whose energy falls
    /// 60 dB in `rt60Milliseconds`, cut at `lengthMilliseconds`, scaled so that its energy
    /// (the echo path's gain) is `gainDecibels`.
    static func roomImpulseResponse(delayMilliseconds: Double = 4, rt60Milliseconds: Double = 200,
                                    lengthMilliseconds: Double = 120, gainDecibels: Double = -6,
                                    seed: UInt64 = 7) -> [Float] {
        let delay = Int(delayMilliseconds * Double(rate) / 1000)
        let length = Int(lengthMilliseconds * Double(rate) / 1000)
        let tail = noise(count: length, sigma: 1, seed: seed)
        var h = [Float](repeating: 0, count: length)
        h[delay] = 4   // the direct path stands out of the diffuse tail
        for n in (delay + 1)..<length {
            let t = Double(n - delay) / Double(rate)
            // Amplitude falls 60 dB (a factor 1000) over RT60.
            h[n] = tail[n] * Float(pow(10, -3 * t * 1000 / rt60Milliseconds))
        }
        let energy = h.reduce(0) { $0 + Double($1) * Double($1) }
        let scale = Float(pow(10, gainDecibels / 20) / energy.squareRoot())
        return h.map { $0 * scale }
    }

    /// `x` convolved with `h`, cut to `x.count` samples (direct form, skipping zero taps).
    static func convolve(_ x: [Float], _ h: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        let taps = h.enumerated().filter { $0.element != 0 }
        let offsets = taps.map(\.offset)
        let gains = taps.map(\.element)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                offsets.withUnsafeBufferPointer { op in
                    gains.withUnsafeBufferPointer { gp in
                        let n = xp.count
                        for k in 0..<op.count {
                            let offset = op[k], g = gp[k]
                            if offset >= n { continue }
                            let src = xp.baseAddress!, dst = yp.baseAddress! + offset
                            for i in 0..<(n - offset) { dst[i] += g * src[i] }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Sum of squares over `range`.
    static func energy(_ x: [Float], _ range: Range<Int>) -> Double {
        var sum = 0.0
        for i in range { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }

    static func decibels(_ ratio: Double) -> Double { 10 * log10(max(ratio, 1e-30)) }

    /// RMS of `x` over `range` in dBFS.
    static func rmsDecibels(_ x: [Float], _ range: Range<Int>) -> Double {
        decibels(energy(x, range) / Double(max(range.count, 1)))
    }

    /// Runs `body` on consecutive whole frames of `count` samples; returns what it returns per frame.
    static func frames<T>(count: Int, _ body: (Range<Int>) throws -> T) rethrows -> [T] {
        var out: [T] = []
        var start = 0
        while start + frame <= count {
            out.append(try body(start..<(start + frame)))
            start += frame
        }
        return out
    }

    /// Runs an echo canceller over whole signals, frame by frame.
    static func cancel(_ canceller: EchoCanceller, capture: [Float], farEnd: [Float]) throws -> [Float] {
        var output = [Float](repeating: 0, count: capture.count)
        var c = [Float](repeating: 0, count: frame), f = c, o = c
        try frames(count: capture.count) { r in
            for i in 0..<frame { c[i] = capture[r.lowerBound + i]; f[i] = farEnd[r.lowerBound + i] }
            try canceller.process(capture: c, farEnd: f, into: &o)
            for i in 0..<frame { output[r.lowerBound + i] = o[i] }
        }
        return output
    }

    /// Runs a capture processor over whole signals; returns the output and the per-frame voice flags.
    static func run(_ processor: CaptureProcessor, capture: [Float], farEnd: [Float]) throws -> (output: [Float], voice: [Bool]) {
        var output = [Float](repeating: 0, count: capture.count)
        var c = [Float](repeating: 0, count: frame), f = c, o = c
        let voice = try frames(count: capture.count) { r -> Bool in
            for i in 0..<frame { c[i] = capture[r.lowerBound + i]; f[i] = farEnd[r.lowerBound + i] }
            let v = try processor.process(capture: c, farEnd: f, into: &o)
            for i in 0..<frame { output[r.lowerBound + i] = o[i] }
            return v
        }
        return (output, voice)
    }

    /// Runs a preprocessor over a whole signal; returns the output and the per-frame voice flags.
    static func preprocess(_ preprocessor: AudioPreprocessor, _ input: [Float]) throws -> (output: [Float], voice: [Bool]) {
        var output = [Float](repeating: 0, count: input.count)
        var buffer = [Float](repeating: 0, count: frame)
        let voice = try frames(count: input.count) { r -> Bool in
            for i in 0..<frame { buffer[i] = input[r.lowerBound + i] }
            let v = try preprocessor.process(&buffer)
            for i in 0..<frame { output[r.lowerBound + i] = buffer[i] }
            return v
        }
        return (output, voice)
    }
}
