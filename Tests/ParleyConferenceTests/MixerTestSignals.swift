/// Deterministic test signals for the mixer tests: tones and seeded noise, 48 kHz frames.
enum MixerTestSignals {
    static let sampleRate: Float = 48_000

    /// Frame `frame` of participant `who`'s signal: a tone at a frequency of its own, plus
    /// seeded noise for odd participants, at linear peak amplitude about `amplitude`.
    static func frame(participant who: Int, frame: Int, frameSize: Int, channels: Int, amplitude: Float) -> [Float] {
        // Whole cycles in every 20 ms frame, so the tones are orthogonal frame by frame.
        let frequency = 200 + Float(who) * 150
        var state = UInt64(0x9E37_79B9_7F4A_7C15) &* UInt64(who + 1) &+ UInt64(frame) &* 0xD1B5_4A32_D192_ED03
        var samples = [Float](repeating: 0, count: frameSize * channels)
        for n in 0..<frameSize {
            let t = Float(frame * frameSize + n) / sampleRate
            var x = sine(2 * Float.pi * frequency * t)
            if who % 2 == 1 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Float(state >> 40) / Float(1 << 24) * 2 - 1
                x = 0.6 * x + 0.4 * noise
            }
            for c in 0..<channels { samples[n * channels + c] = amplitude * x * (c == 0 ? 1 : 0.8) }
        }
        return samples
    }

    /// sin without Foundation: range reduction and a Taylor series (error < 1e-6).
    static func sine(_ x: Float) -> Float {
        let twoPi = 2 * Double.pi
        var r = Double(x).truncatingRemainder(dividingBy: twoPi)
        if r > Double.pi { r -= twoPi }
        if r < -Double.pi { r += twoPi }
        var term = r, sum = 0.0, k = 1.0
        while k < 30 {
            sum += term
            term *= -r * r / ((k + 1) * (k + 2))
            k += 2
        }
        return Float(sum)
    }

    /// Normalized correlation of two equal-length signals (0 when either is silent).
    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<min(a.count, b.count) {
            ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i])
        }
        return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
    }

    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        var worst: Float = 0
        for i in 0..<min(a.count, b.count) { worst = max(worst, abs(a[i] - b[i])) }
        return a.count == b.count ? worst : .infinity
    }

    /// Σ weights[j]·frames[j] over `who`.
    static func sum(_ frames: [[Float]], of who: [Int], weights: [Float]? = nil) -> [Float] {
        var out = [Float](repeating: 0, count: frames[0].count)
        for j in who {
            let w = weights?[j] ?? 1
            for i in out.indices { out[i] += w * frames[j][i] }
        }
        return out
    }
}
