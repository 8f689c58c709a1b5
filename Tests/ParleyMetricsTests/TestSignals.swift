import Foundation
import ParleyCore

/// A deterministic 64-bit linear congruential generator (Knuth's MMIX constants).
struct LCG {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }

    /// Uniform in −1..<1.
    mutating func nextSigned() -> Double {
        Double(next() >> 11) / Double(1 << 52) - 1
    }

    /// Uniform integer in −amplitude...amplitude.
    mutating func nextInt(amplitude: Int) -> Int {
        Int((next() >> 33) % UInt64(2 * amplitude + 1)) - amplitude
    }
}

enum TestSignals {
    /// White noise in −0.5..<0.5.
    static func noise(count: Int, seed: UInt64) -> [Float] {
        var lcg = LCG(seed: seed)
        return (0..<count).map { _ in Float(0.5 * lcg.nextSigned()) }
    }

    static func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
        (0..<count).map { t in
            Float(amplitude * sin(2 * Double.pi * frequency * Double(t) / Double(sampleRate)))
        }
    }

    /// A textured I420 picture: gradients plus deterministic detail in every plane.
    static func texturedFrame(width: Int, height: Int, seed: UInt64 = 7) -> VideoFrame {
        var frame = VideoFrame(width: width, height: height)
        var lcg = LCG(seed: seed)
        for y in 0..<height {
            for x in 0..<width {
                let value = 40 + (x * 3 + y * 2) % 120 + lcg.nextInt(amplitude: 30)
                frame.data[y * width + x] = UInt8(clamping: value)
            }
        }
        for i in frame.uOffset..<frame.byteCount {
            frame.data[i] = UInt8(clamping: 128 + lcg.nextInt(amplitude: 40))
        }
        return frame
    }

    /// `frame` with LCG noise of ±`amplitude` added to every Y sample (clamped to 0...255).
    static func addingLumaNoise(to frame: VideoFrame, amplitude: Int, seed: UInt64 = 99) -> VideoFrame {
        var copy = frame
        var lcg = LCG(seed: seed)
        for i in 0..<frame.lumaCount {
            copy.data[i] = UInt8(clamping: Int(frame.data[i]) + lcg.nextInt(amplitude: amplitude))
        }
        return copy
    }
}
