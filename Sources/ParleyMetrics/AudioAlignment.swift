import Foundation

/// Where a received signal lines up with its reference.
public struct AlignmentResult: Sendable, Codable, Equatable {
    /// Delay of `received` relative to `reference`, in samples: positive when `received`
    /// is later (received[t + lag] ≈ reference[t]).
    public var lagSamples: Int
    /// `lagSamples` in milliseconds.
    public var delayMilliseconds: Double
    /// Normalised cross-correlation at that lag, −1...1, over the overlapping samples:
    /// Σ ref[t]·rec[t+lag] / √(Σ ref[t]² · Σ rec[t+lag]²). 0 when either side is silent.
    public var correlation: Double

    public init(lagSamples: Int, delayMilliseconds: Double, correlation: Double) {
        self.lagSamples = lagSamples
        self.delayMilliseconds = delayMilliseconds
        self.correlation = correlation
    }
}

/// Audio comparisons for loopback tests and call-quality reports: delay, tone frequency,
/// signal-to-noise ratio and level, on mono 32-bit float samples.
public enum AudioAlignment {
    /// Longest stretch of audio analysed by `delay`, in seconds (the start of the signals).
    public static let maximumAnalysisSeconds: Double = 20

    /// Largest FFT `dominantFrequency` uses: longer inputs are analysed over their start.
    public static let maximumSpectrumSize = 1 << 20

    /// The delay of `received` relative to `reference`: the lag within ±`maxLagSeconds`
    /// that maximises their cross-correlation, computed with an FFT.
    ///
    /// Only the first `maximumAnalysisSeconds` of `reference` (and as much of `received`,
    /// plus the maximum lag) are analysed. The lag is the argmax of the raw
    /// cross-correlation Σ ref[t]·rec[t+lag] (the correlation normalised by the energies
    /// of the two whole signals, which keeps short overlaps at the edges of the search
    /// from winning); `correlation` reports that peak normalised over the overlapping
    /// samples. Empty or silent input, or a non-positive `sampleRate`, gives lag 0 and
    /// correlation 0.
    public static func delay(
        reference: [Float], received: [Float], sampleRate: Int, maxLagSeconds: Double = 0.5
    ) -> AlignmentResult {
        let none = AlignmentResult(lagSamples: 0, delayMilliseconds: 0, correlation: 0)
        guard sampleRate > 0, !reference.isEmpty, !received.isEmpty else { return none }

        let rate = Double(sampleRate)
        let lagLimitSeconds = maxLagSeconds.isFinite ? Swift.max(0, maxLagSeconds) : 0
        let analysisSamples = Int(maximumAnalysisSeconds * rate)
        let n0 = Swift.min(reference.count, analysisSamples)
        // No lag beyond the signals themselves is meaningful.
        let maxLag = Int(Swift.min(lagLimitSeconds * rate, Double(Swift.max(n0, received.count))).rounded())
        let n = n0
        let m = Swift.min(received.count, analysisSamples + maxLag)

        // A circular correlation of size ≥ max(n, m) + maxLag holds every lag in
        // −maxLag...maxLag without wrap-around.
        let size = FFT.size(atLeast: Swift.max(n, m) + maxLag + 1)
        let fft = FFT(validatedSize: size)
        var re = [Double](repeating: 0, count: size)
        var im = [Double](repeating: 0, count: size)

        let bestLag: Int? = re.withUnsafeMutableBufferPointer { reBuffer in
            im.withUnsafeMutableBufferPointer { imBuffer in
                let zr = reBuffer.baseAddress!, zi = imBuffer.baseAddress!
                // Both real signals in one complex transform: z = ref + i·rec.
                reference.withUnsafeBufferPointer { r in
                    for t in 0..<n { zr[t] = Double(r[t]) }
                }
                received.withUnsafeBufferPointer { r in
                    for t in 0..<m { zi[t] = Double(r[t]) }
                }
                fft.transform(zr, zi, inverse: false)

                // Split Z into A (reference) and B (received) with the conjugate symmetry
                // of real signals, then form the cross spectrum C = conj(A)·B. C is
                // Hermitian, so C[N−k] = conj(C[k]).
                var k = 0
                while k <= size / 2 {
                    let mk = (size - k) & (size - 1)
                    let ar = 0.5 * (zr[k] + zr[mk]), ai = 0.5 * (zi[k] - zi[mk])
                    let br = 0.5 * (zi[k] + zi[mk]), bi = 0.5 * (zr[mk] - zr[k])
                    let cr = ar * br + ai * bi
                    let ci = ar * bi - ai * br
                    zr[k] = cr
                    zi[k] = ci
                    zr[mk] = cr
                    zi[mk] = -ci
                    k += 1
                }
                fft.transform(zr, zi, inverse: true)

                // zr[lag mod N] is Σ ref[t]·rec[t+lag].
                var best: Int?
                var bestValue = -Double.infinity
                for lag in -maxLag...maxLag {
                    let value = zr[lag >= 0 ? lag : size + lag]
                    if value > bestValue {
                        bestValue = value
                        best = lag
                    }
                }
                return best
            }
        }
        guard let lag = bestLag else { return none }
        let correlation = overlapCorrelation(reference, n: n, received, m: m, lag: lag)
        return AlignmentResult(
            lagSamples: lag,
            delayMilliseconds: Double(lag) * 1000 / rate,
            correlation: correlation)
    }

    /// Normalised correlation of ref[t] and rec[t + lag] over the samples both hold.
    private static func overlapCorrelation(_ reference: [Float], n: Int, _ received: [Float], m: Int, lag: Int) -> Double {
        let start = Swift.max(0, -lag)
        let end = Swift.min(n, m - lag)
        guard start < end else { return 0 }
        var dot = 0.0, refEnergy = 0.0, recEnergy = 0.0
        reference.withUnsafeBufferPointer { r in
            received.withUnsafeBufferPointer { s in
                let rp = r.baseAddress!, sp = s.baseAddress!
                for t in start..<end {
                    let a = Double(rp[t]), b = Double(sp[t + lag])
                    dot += a * b
                    refEnergy += a * a
                    recEnergy += b * b
                }
            }
        }
        guard refEnergy > 0, recEnergy > 0 else { return 0 }
        return Swift.min(1, Swift.max(-1, dot / (refEnergy * recEnergy).squareRoot()))
    }

    /// The frequency, in Hz, of the strongest spectral peak of `samples` (DC excluded):
    /// the mean is removed, a Hann window applied, the magnitude spectrum computed with a
    /// zero-padded FFT, and the peak refined by parabolic interpolation of the log
    /// magnitudes around the largest bin. Inputs longer than `maximumSpectrumSize` samples
    /// are analysed over their start. 0 for silence, fewer than 4 samples, or a
    /// non-positive `sampleRate`.
    public static func dominantFrequency(_ samples: [Float], sampleRate: Int) -> Double {
        let count = Swift.min(samples.count, maximumSpectrumSize)
        guard sampleRate > 0, count >= 4 else { return 0 }
        let size = FFT.size(atLeast: count)
        let fft = FFT(validatedSize: size)
        var re = [Double](repeating: 0, count: size)
        var im = [Double](repeating: 0, count: size)

        let peak: Double? = re.withUnsafeMutableBufferPointer { reBuffer in
            im.withUnsafeMutableBufferPointer { imBuffer in
                let xr = reBuffer.baseAddress!, xi = imBuffer.baseAddress!
                samples.withUnsafeBufferPointer { s in
                    let p = s.baseAddress!
                    var mean = 0.0
                    for t in 0..<count { mean += Double(p[t]) }
                    mean /= Double(count)
                    let step = 2 * Double.pi / Double(count)
                    for t in 0..<count {
                        let window = 0.5 - 0.5 * cos(step * Double(t))
                        xr[t] = (Double(p[t]) - mean) * window
                    }
                }
                fft.transform(xr, xi, inverse: false)

                // Power spectrum of the bins 0 ... N/2, into xr.
                let half = size / 2
                var best = 1
                var bestPower = 0.0
                for k in 0...half {
                    let power = xr[k] * xr[k] + xi[k] * xi[k]
                    xr[k] = power
                    if k >= 1, power > bestPower {
                        bestPower = power
                        best = k
                    }
                }
                guard bestPower > 0 else { return nil }
                var offset = 0.0
                if best > 1, best < half, xr[best - 1] > 0, xr[best + 1] > 0 {
                    // Log power is a parabola near the peak of a Hann-windowed tone.
                    let a = log(xr[best - 1]), b = log(xr[best]), c = log(xr[best + 1])
                    let curvature = a - 2 * b + c
                    if curvature < 0 {
                        offset = Swift.min(0.5, Swift.max(-0.5, 0.5 * (a - c) / curvature))
                    }
                }
                return Double(best) + offset
            }
        }
        guard let bin = peak else { return 0 }
        return bin * Double(sampleRate) / Double(size)
    }

    /// 10·log10(Σ ref² / Σ (ref − test)²) in dB over the first min(count) samples of the
    /// two slices, capped to −100...100: 100 means `test` equals `reference` (including
    /// two empty or silent slices), −100 a silent reference against a non-silent test.
    public static func signalToNoiseRatio(reference: ArraySlice<Float>, test: ArraySlice<Float>) -> Double {
        let count = Swift.min(reference.count, test.count)
        var signal = 0.0, noise = 0.0
        reference.withUnsafeBufferPointer { r in
            test.withUnsafeBufferPointer { s in
                guard count > 0 else { return }
                let rp = r.baseAddress!, sp = s.baseAddress!
                for t in 0..<count {
                    let a = Double(rp[t])
                    let d = a - Double(sp[t])
                    signal += a * a
                    noise += d * d
                }
            }
        }
        guard noise > 0 else { return 100 }
        guard signal > 0 else { return -100 }
        return Swift.min(100, Swift.max(-100, 10 * log10(signal / noise)))
    }

    /// Mean square of the samples (0 when empty).
    public static func energy(_ samples: ArraySlice<Float>) -> Double {
        guard !samples.isEmpty else { return 0 }
        var total = 0.0
        samples.withUnsafeBufferPointer { s in
            let p = s.baseAddress!
            for t in 0..<s.count {
                let x = Double(p[t])
                total += x * x
            }
        }
        return total / Double(samples.count)
    }

    /// Root mean square of the samples (0 when empty).
    public static func rms(_ samples: ArraySlice<Float>) -> Double {
        energy(samples).squareRoot()
    }
}
