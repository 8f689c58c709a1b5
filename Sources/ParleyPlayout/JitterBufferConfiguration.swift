/// Settings of an `AudioJitterBuffer`. Defaults follow WebRTC NetEq where it has one.
public struct JitterBufferConfiguration: Sendable, Equatable {
    /// Duration of one `pull` (10 or 20 ms).
    public var outputFrameMilliseconds: Int = 20
    /// Nominal duration of one packet, used to size concealment of a missing packet.
    public var packetMilliseconds: Int = 20
    /// RTP clock rate of the timestamps (48 000 for Opus); must be a multiple of the
    /// decoder's sample rate.
    public var rtpClockRate: Int = 48_000
    /// Floor and ceiling of the target delay, in seconds.
    public var minimumDelay: Double = 0
    public var maximumDelay: Double = 1.0
    /// Delay the buffer aims for before it has statistics.
    public var startDelay: Double = 0.08
    /// Quantile of the relative arrival delay the target covers (NetEq: 0.95–0.97; 0.99
    /// keeps late loss under 1 % on the benchmark traces).
    public var quantile: Double = 0.99
    /// Histogram forgetting factor per packet (NetEq: 0.983).
    public var forgetFactor: Double = 0.983
    /// Histogram bucket width in seconds.
    public var bucketWidth: Double = 0.001
    /// Window over which the fastest packet defines zero relative delay (NetEq: 2 s).
    public var relativeDelayWindow: Double = 2.0
    /// Packets the buffer holds at most (older ones are dropped on overflow).
    public var capacity: Int = 128
    /// Largest payload accepted, in bytes.
    public var maximumPayloadBytes: Int = 1500
    /// A timestamp this far (seconds) from the playout point resets the stream.
    public var timestampJumpThreshold: Double = 2.0
    /// Smoothing of the reported buffer level (`smoothedBufferLevel`).
    public var levelSmoothing: Double = 0.9
    /// With a packet's slack below `target - lowerBand` the buffer decelerates
    /// (preemptive expand); above `target + one pull + upperBand` it accelerates. Seconds.
    public var lowerBand: Double = 0
    public var upperBand: Double = 0.0025

    public init() {}

    public func validate(sampleRate: Int) throws {
        guard outputFrameMilliseconds == 10 || outputFrameMilliseconds == 20 else {
            throw PlayoutError.invalidConfiguration("output frame of \(outputFrameMilliseconds) ms")
        }
        guard [10, 20, 40, 60].contains(packetMilliseconds) else {
            throw PlayoutError.invalidConfiguration("packet duration of \(packetMilliseconds) ms")
        }
        guard sampleRate > 0, rtpClockRate > 0, rtpClockRate % sampleRate == 0 else {
            throw PlayoutError.invalidConfiguration("RTP clock \(rtpClockRate) Hz is not a multiple of the \(sampleRate) Hz decoder rate")
        }
        guard minimumDelay >= 0, maximumDelay >= minimumDelay, maximumDelay <= 10 else {
            throw PlayoutError.invalidConfiguration("delay range \(minimumDelay)…\(maximumDelay) s")
        }
        guard quantile > 0.5, quantile < 1, forgetFactor > 0.5, forgetFactor < 1, bucketWidth > 0 else {
            throw PlayoutError.invalidConfiguration("quantile \(quantile), forget factor \(forgetFactor)")
        }
        guard capacity >= 2, maximumPayloadBytes >= 1 else {
            throw PlayoutError.invalidConfiguration("capacity \(capacity) packets of \(maximumPayloadBytes) bytes")
        }
    }
}
