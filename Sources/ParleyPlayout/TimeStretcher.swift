/// Pitch-preserving time-stretching in the manner of NetEq's accelerate and preemptive
/// expand: find the lag (2.5 ms up to half the frame) at which the start of the frame best
/// correlates with what follows — a pitch period or a multiple of it — and remove or
/// repeat one such period, cross-fading so the waveform stays continuous. Because whole
/// periods are cut or repeated, the pitch (frequency) is unchanged; only the duration
/// moves. Works in place on the caller's interleaved buffer; never allocates.
public struct TimeStretcher: Sendable {
    public let sampleRate: Int
    public let channels: Int
    /// Normalised correlation below which a frame is judged not periodic and left alone
    /// (unless it is near silence, which can always be stretched).
    public var correlationThreshold: Float = 0.9
    /// Mean square below which a frame counts as silence.
    public var silenceEnergy: Float = 1e-6
    public let minimumLag: Int
    public let maximumLag: Int

    public init(sampleRate: Int, channels: Int, maximumLagMilliseconds: Double = 15) {
        self.sampleRate = sampleRate
        self.channels = max(1, channels)
        minimumLag = max(1, Int(Double(sampleRate) * 0.0025))
        maximumLag = max(minimumLag, Int(Double(sampleRate) * maximumLagMilliseconds / 1000))
    }

    /// The lag (samples per channel) a stretch of the first `frames` samples would
    /// remove or insert, or nil when the audio is neither periodic nor silent.
    /// With `desired`, the periodic lag closest to it is preferred (among lags whose
    /// correlation is within 0.002 of the best); without, the longest such lag.
    public func bestLag(_ pcm: [Float], frames: Int, desired: Int? = nil, limit: Int? = nil) -> Int? {
        let ch = channels
        let hi = min(maximumLag, frames / 2, limit ?? Int.max)
        guard hi >= minimumLag else { return nil }
        var energy: Float = 0
        var i = 0
        while i < 2 * hi * ch { energy += pcm[i] * pcm[i]; i += 1 }
        if energy / Float(2 * hi * ch) < silenceEnergy { return min(hi, max(minimumLag, desired ?? hi)) }
        var bestCorrelation: Float = -2
        var bestLag = minimumLag
        var lag = minimumLag
        // First pass: best correlation; second: the lag nearest the goal within 0.002 of it
        // (a correlation is computed again only for a lag nearer the goal than the choice).
        while lag <= hi {
            let c = correlation(pcm, lag: lag)
            if c > bestCorrelation { bestCorrelation = c; bestLag = lag }
            lag += 1
        }
        guard bestCorrelation >= correlationThreshold else { return nil }
        var chosen = bestLag
        let goal = desired ?? hi
        lag = minimumLag
        while lag <= hi {
            if abs(lag - goal) < abs(chosen - goal), correlation(pcm, lag: lag) >= bestCorrelation - 0.002 { chosen = lag }
            lag += 1
        }
        return chosen
    }

    /// Removes one period from the first `frames` samples per channel of `pcm`.
    /// Returns the samples per channel removed (0 when the audio is not periodic).
    /// `limit` caps the samples removed.
    public func accelerate(_ pcm: inout [Float], frames: Int, desired: Int? = nil, limit: Int? = nil) -> Int {
        guard let lag = bestLag(pcm, frames: frames, desired: desired, limit: limit) else { return 0 }
        let ch = channels
        let l = lag * ch
        var i = 0
        while i < lag {
            let w = Float(i + 1) / Float(lag + 1)
            var c = 0
            while c < ch {
                let k = i * ch + c
                pcm[k] = pcm[k] * (1 - w) + pcm[k + l] * w
                c += 1
            }
            i += 1
        }
        var k = l
        let end = (frames - lag) * ch
        while k < end { pcm[k] = pcm[k + l]; k += 1 }
        return lag
    }

    /// Repeats one period within the first `frames` samples per channel of `pcm`, whose
    /// count must leave room for `frames + maximumLag` samples per channel. Returns the
    /// samples per channel inserted (0 when the audio is not periodic).
    public func preemptiveExpand(_ pcm: inout [Float], frames: Int, desired: Int? = nil) -> Int {
        guard pcm.count >= (frames + min(maximumLag, frames / 2)) * channels,
              let lag = bestLag(pcm, frames: frames, desired: desired) else { return 0 }
        let ch = channels
        let l = lag * ch
        // Shift x[L..<n] to [2L..<n+L], walking backwards.
        var k = frames * ch - 1
        while k >= l { pcm[k + l] = pcm[k]; k -= 1 }
        // Middle: fade from x[L+i] (now at 2L+i) to x[i].
        var i = 0
        while i < lag {
            let w = Float(i + 1) / Float(lag + 1)
            var c = 0
            while c < ch {
                let a = pcm[(2 * lag + i) * ch + c]
                let b = pcm[i * ch + c]
                pcm[(lag + i) * ch + c] = a * (1 - w) + b * w
                c += 1
            }
            i += 1
        }
        return lag
    }

    private func correlation(_ pcm: [Float], lag: Int) -> Float {
        let n = lag * channels
        guard 2 * n <= pcm.count else { return 0 }
        return pcm.withUnsafeBufferPointer { p -> Float in
            // Four running sums per product (independent chains the compiler can keep in
            // vector registers), then the rest one by one. (SIMD types allocate in
            // unoptimized builds, so plain scalars.)
            var ab0: Float = 0, ab1: Float = 0, ab2: Float = 0, ab3: Float = 0
            var aa0: Float = 0, aa1: Float = 0, aa2: Float = 0, aa3: Float = 0
            var bb0: Float = 0, bb1: Float = 0, bb2: Float = 0, bb3: Float = 0
            var i = 0
            while i + 4 <= n {
                let a0 = p[i], a1 = p[i + 1], a2 = p[i + 2], a3 = p[i + 3]
                let b0 = p[i + n], b1 = p[i + n + 1], b2 = p[i + n + 2], b3 = p[i + n + 3]
                ab0 += a0 * b0; ab1 += a1 * b1; ab2 += a2 * b2; ab3 += a3 * b3
                aa0 += a0 * a0; aa1 += a1 * a1; aa2 += a2 * a2; aa3 += a3 * a3
                bb0 += b0 * b0; bb1 += b1 * b1; bb2 += b2 * b2; bb3 += b3 * b3
                i += 4
            }
            var ab = (ab0 + ab1) + (ab2 + ab3), aa = (aa0 + aa1) + (aa2 + aa3), bb = (bb0 + bb1) + (bb2 + bb3)
            while i < n {
                let a = p[i], b = p[i + n]
                ab += a * b; aa += a * a; bb += b * b
                i += 1
            }
            let d = (aa * bb).squareRoot()
            return d > 0 ? ab / d : 0
        }
    }
}
