/// Counters a jitter buffer reports, named as in W3C webrtc-stats
/// (RTCInboundRtpStreamStats) where a name exists.
public struct JitterBufferStatistics: Sendable, Equatable, Codable {
    /// Sum over emitted samples of the seconds each spent in the buffer (arrival to playout).
    public var jitterBufferDelay: Double = 0
    /// Sum over emitted samples of the target (slack) when they were emitted.
    public var jitterBufferTargetDelay: Double = 0
    /// Samples (per channel) emitted from decoded packets.
    public var jitterBufferEmittedCount: Int = 0
    /// Samples synthesised by loss concealment (expand), including silent ones.
    public var concealedSamples: Int = 0
    /// Concealed samples that were (near) silent.
    public var silentConcealedSamples: Int = 0
    /// Runs of consecutive concealment.
    public var concealmentEvents: Int = 0
    public var insertedSamplesForDeceleration: Int = 0
    public var removedSamplesForAcceleration: Int = 0
    /// Packets dropped by the buffer: late, duplicate, malformed or overflow.
    public var packetsDiscarded: Int = 0
    /// Frames recovered from the next packet's in-band FEC.
    public var fecPacketsRecovered: Int = 0
    /// Samples (per channel) handed out by `pull`, whatever their origin.
    public var totalSamplesReceived: Int = 0
    /// Packets passed to `insert`.
    public var packetsReceived: Int = 0

    // Detail behind packetsDiscarded.
    public var latePacketsDiscarded: Int = 0
    public var duplicatePacketsDiscarded: Int = 0
    public var malformedPacketsDiscarded: Int = 0
    public var overflowPacketsDiscarded: Int = 0
    /// Samples of comfort noise played during DTX gaps.
    public var comfortNoiseSamples: Int = 0
    /// Stream resets (SSRC change, timestamp jump).
    public var resets: Int = 0

    public init() {}
}
