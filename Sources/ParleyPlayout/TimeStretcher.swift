/// Pitch-preserving time-stretching in the manner of NetEq's accelerate and preemptive
/// expand: find the lag (2.5 ms up to half the frame) at which the start of the frame best
/// correlates with what follows — a pitch period or a multiple of it — and remove or
/// repeat one such period, cross-fading so the waveform stays continuous. Because whole
/// periods are cut or repeated, the pitch (frequency) is unchanged; only the duration
/// moves. Works in place on the caller's interleaved buffer; never allocates after `init`.
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
    /// Frames per coarse sample of the pitch search (about 4 kHz).
    public let decimation: Int
    /// The decimated signal and the coarse lags' scores (allocated once).
    private var coarse: [Float]
    private var coarseCount = 0
    private var coarseScores: [Float]

    public init(sampleRate: Int, channels: Int, maximumLagMilliseconds: Double = 15) {
        self.sampleRate = sampleRate
        self.channels = max(1, channels)
        minimumLag = max(1, Int(Double(sampleRate) * 0.0025))
        maximumLag = max(minimumLag, Int(Double(sampleRate) * maximumLagMilliseconds / 1000))
        decimation = max(1, sampleRate / 4000)
        coarse = [Float](repeating: 0, count: 2 * (maximumLag / decimation) + 2)
        coarseScores = [Float](repeating: -2, count: maximumLag / decimation + 2)
    }

    /// The lag (samples per channel) a stretch of the first `frames` samples would
    /// remove or insert, or nil when the audio is neither periodic nor silent.
    /// With `desired`, the periodic lag closest to it is preferred (among lags whose
    /// correlation is within 0.002 of the best); without, the longest such lag.
    ///
    /// Coarse to fine, as NetEq does: the lags are first scored on a copy decimated to
    /// about 4 kHz (block means, channels mixed), then only around the best coarse
    /// peaks at the full rate — about a sixth of the work of scoring every lag at 48 kHz.
    public mutating func bestLag(_ pcm: [Float], frames: Int, desired: Int? = nil, limit: Int? = nil) -> Int? {
        let ch = channels
        let hi = min(maximumLag, frames / 2, limit ?? Int.max)
        guard hi >= minimumLag else { return nil }
        var energy: Float = 0
        var i = 0
        while i < 2 * hi * ch { energy += pcm[i] * pcm[i]; i += 1 }
        if energy / Float(2 * hi * ch) < silenceEnergy { return min(hi, max(minimumLag, desired ?? hi)) }
        let d = decimation
        let coarseLow = max(1, minimumLag / d), coarseHigh = hi / d
        guard d > 1, coarseHigh > coarseLow + 1 else { return fineLag(pcm, low: minimumLag, high: hi, desired: desired) }
        decimate(pcm, blocks: 2 * coarseHigh)
        var m = coarseLow
        while m <= coarseHigh { coarseScores[m] = coarseCorrelation(lag: m); m += 1 }
        // The two best coarse local maxima (a pitch period and its multiple score alike).
        var first = (lag: 0, score: Float(-2)), second = (lag: 0, score: Float(-2))
        m = coarseLow
        while m <= coarseHigh {
            let score = coarseScores[m]
            if (m == coarseLow || score >= coarseScores[m - 1]) && (m == coarseHigh || score >= coarseScores[m + 1]) {
                if score > first.score { second = first; first = (m, score) } else if score > second.score { second = (m, score) }
            }
            m += 1
        }
        var best = refine(pcm, around: first.lag * d, low: minimumLag, high: hi)
        if second.lag > 0 {
            let other = refine(pcm, around: second.lag * d, low: minimumLag, high: hi)
            if other.correlation > best.correlation { best = other }
        }
        guard best.correlation >= correlationThreshold else { return nil }
        // The lag nearest the goal whose correlation is within 0.002 of the best: coarse
        // lags outward from the goal, each near-best one refined, until one qualifies or
        // none can be nearer than the choice.
        let goal = desired ?? hi
        var chosen = best.lag
        let centre = min(coarseHigh, max(coarseLow, (goal + d / 2) / d))
        var step = 0, tries = 0
        while tries < 4, centre - step >= coarseLow || centre + step <= coarseHigh {
            // The nearest a full lag around a coarse lag this far out can be to the goal.
            if max(0, abs(centre * d - goal) + (step - 1) * d) >= abs(chosen - goal) { break }
            var side = step == 0 ? 1 : 0
            while side < 2 {
                let candidate = side == 0 ? centre - step : centre + step
                side += 1
                guard candidate >= coarseLow, candidate <= coarseHigh, coarseScores[candidate] >= first.score - 0.05 else { continue }
                tries += 1
                var lag = max(minimumLag, candidate * d - d)
                while lag <= min(hi, candidate * d + d) {
                    if abs(lag - goal) < abs(chosen - goal), correlation(pcm, lag: lag) >= best.correlation - 0.002 { chosen = lag }
                    lag += 1
                }
            }
            if chosen != best.lag { break }
            step += 1
        }
        return chosen
    }

    /// Every lag in `low...high` at the full rate (short lags or low sample rates).
    private func fineLag(_ pcm: [Float], low: Int, high: Int, desired: Int?) -> Int? {
        var bestCorrelation: Float = -2
        var bestLag = low
        var lag = low
        while lag <= high {
            let c = correlation(pcm, lag: lag)
            if c > bestCorrelation { bestCorrelation = c; bestLag = lag }
            lag += 1
        }
        guard bestCorrelation >= correlationThreshold else { return nil }
        var chosen = bestLag
        let goal = desired ?? high
        lag = low
        while lag <= high {
            if abs(lag - goal) < abs(chosen - goal), correlation(pcm, lag: lag) >= bestCorrelation - 0.002 { chosen = lag }
            lag += 1
        }
        return chosen
    }

    /// The best full-rate lag within one coarse step of `centre`.
    private func refine(_ pcm: [Float], around centre: Int, low: Int, high: Int) -> (lag: Int, correlation: Float) {
        var best = (lag: max(low, centre), correlation: Float(-2))
        var lag = max(low, centre - decimation)
        while lag <= min(high, centre + decimation) {
            let c = correlation(pcm, lag: lag)
            if c > best.correlation { best = (lag, c) }
            lag += 1
        }
        return best
    }

    /// Block means of `blocks` blocks of `decimation` frames (all channels) into `coarse`.
    private mutating func decimate(_ pcm: [Float], blocks: Int) {
        let per = decimation * channels
        let n = min(blocks, coarse.count, pcm.count / per)
        coarse.withUnsafeMutableBufferPointer { out in
            pcm.withUnsafeBufferPointer { p in
                var b = 0
                while b < n {
                    var sum: Float = 0
                    var k = b * per
                    let end = k + per
                    while k < end { sum += p[k]; k += 1 }
                    out[b] = sum
                    b += 1
                }
            }
        }
        coarseCount = n
    }

    private func coarseCorrelation(lag: Int) -> Float {
        guard 2 * lag <= coarseCount else { return -2 }
        return coarse.withUnsafeBufferPointer { normalizedCorrelation($0, count: lag) }
    }

    /// Removes one period from the first `frames` samples per channel of `pcm`.
    /// Returns the samples per channel removed (0 when the audio is not periodic).
    /// `limit` caps the samples removed.
    public mutating func accelerate(_ pcm: inout [Float], frames: Int, desired: Int? = nil, limit: Int? = nil) -> Int {
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
    public mutating func preemptiveExpand(_ pcm: inout [Float], frames: Int, desired: Int? = nil) -> Int {
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
        return pcm.withUnsafeBufferPointer { normalizedCorrelation($0, count: n) }
    }
}

/// The normalised correlation of `p[0..<n]` with `p[n..<2n]`.
private func normalizedCorrelation(_ p: UnsafeBufferPointer<Float>, count n: Int) -> Float {
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
