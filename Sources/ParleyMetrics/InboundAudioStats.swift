/// The W3C webrtc-stats `RTCInboundRtpStreamStats` of a received audio stream
/// (https://www.w3.org/TR/webrtc-stats/#inboundrtpstats-dict*), with the spec's member
/// names and units: counters are cumulative since the stream started, times in seconds.
///
/// The jitter-buffer members are cumulative too: the mean delay over an interval is
/// Δ`jitterBufferDelay` / Δ`jitterBufferEmittedCount` (see `StatsInterval`).
public struct InboundAudioStats: Sendable, Equatable, Codable {
    /// "audio".
    public var kind = "audio"
    public var ssrc: UInt32
    public var packetsReceived: Int = 0
    /// Expected minus received packets (RFC 3550 cumulative number of packets lost).
    public var packetsLost: Int = 0
    /// RFC 3550 interarrival jitter, in seconds.
    public var jitter: Double = 0
    public var bytesReceived: Int = 0
    /// Packets the jitter buffer dropped (late or early arrivals, overflow).
    public var packetsDiscarded: Int = 0
    /// Packets carrying FEC that arrived, and those not used.
    public var fecPacketsReceived: Int = 0
    public var fecPacketsDiscarded: Int = 0
    /// Σ (time a sample left the jitter buffer − time its packet arrived), seconds.
    public var jitterBufferDelay: Double = 0
    /// Σ target delay at each emission, seconds.
    public var jitterBufferTargetDelay: Double = 0
    /// Σ minimum delay at each emission, seconds.
    public var jitterBufferMinimumDelay: Double = 0
    /// Samples emitted by the jitter buffer (the divisor of the three sums above).
    public var jitterBufferEmittedCount: Int = 0
    /// Samples played out, concealed or not.
    public var totalSamplesReceived: Int = 0
    /// Samples produced by concealment (PLC), and those of them that were silent.
    public var concealedSamples: Int = 0
    public var silentConcealedSamples: Int = 0
    /// Runs of concealed samples (a run counts once).
    public var concealmentEvents: Int = 0
    /// Samples added by time-stretching to slow playout down, and removed to speed it up.
    public var insertedSamplesForDeceleration: Int = 0
    public var removedSamplesForAcceleration: Int = 0
    public var nackCount: Int = 0

    public init(ssrc: UInt32) { self.ssrc = ssrc }
}
