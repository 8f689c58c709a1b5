/// A memoryless soft limiter: samples whose magnitude is at or below `threshold` pass
/// unchanged (bit-exact), and above it a smooth knee bends them toward ±1 without ever
/// reaching past it:
///
///     y = sign(x) * (t + (1 - t) * u / (1 + u)),   u = (|x| - t) / (1 - t)
///
/// The curve is continuous with slope 1 at the knee (no corner, so no harsh harmonics the
/// way hard clipping makes them), saturates like tanh, and needs no libm. The default
/// threshold is -3 dBFS (0.708). Non-finite samples become 0.
public struct SoftLimiter: Sendable, Equatable {
    /// Magnitude below which the limiter is transparent, in (0, 1).
    public let threshold: Float

    /// -3 dBFS.
    public static let defaultThreshold: Float = 0.707_945_8

    /// The limiter with the default -3 dBFS knee.
    public static let standard = SoftLimiter(checkedThreshold: defaultThreshold)

    private init(checkedThreshold: Float) { threshold = checkedThreshold }

    public init(threshold: Float = SoftLimiter.defaultThreshold) throws(ConferenceError) {
        guard threshold.isFinite, threshold > 0, threshold < 1 else {
            throw .invalidAudioSetting(field: "limiter threshold", value: "\(threshold)",
                                       expected: "a linear amplitude between 0 and 1 (exclusive), e.g. 0.708 for -3 dBFS")
        }
        self.threshold = threshold
    }

    /// The limited value of one sample; always within [-1, 1].
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        guard x.isFinite else { return 0 }
        let magnitude = Swift.abs(x)
        if magnitude <= threshold { return x }
        let headroom = 1 - threshold
        let u = (magnitude - threshold) / headroom
        let ratio: Float = u < 1e6 ? u / (1 + u) : 1
        let limited = Swift.min(1, threshold + headroom * ratio)
        return x < 0 ? -limited : limited
    }

    /// Limits `samples` in place.
    @inline(__always)
    public func apply(_ samples: UnsafeMutableBufferPointer<Float>) {
        var index = 0
        let count = samples.count
        while index < count {
            samples[index] = apply(samples[index])
            index += 1
        }
    }
}
