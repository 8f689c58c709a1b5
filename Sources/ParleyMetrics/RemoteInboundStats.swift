/// The W3C webrtc-stats `RTCRemoteInboundRtpStreamStats`: what the remote receiver of one
/// of our streams reported in RTCP receiver reports, and the round-trip time they give.
public struct RemoteInboundStats: Sendable, Equatable, Codable {
    /// "audio" or "video".
    public var kind: String
    /// SSRC of our stream that the report is about.
    public var ssrc: UInt32
    public var packetsLost: Int = 0
    /// Interarrival jitter the remote measured, seconds.
    public var jitter: Double = 0
    /// Fraction lost since the previous report (RTCP "fraction lost" / 256).
    public var fractionLost: Double = 0
    /// Most recent RTCP round-trip time, seconds (nil before the first measurement).
    public var roundTripTime: Double?
    /// Σ of every round-trip time measured, seconds, and how many there were.
    public var totalRoundTripTime: Double = 0
    public var roundTripTimeMeasurements: Int = 0

    public init(kind: String, ssrc: UInt32) {
        self.kind = kind
        self.ssrc = ssrc
    }
}
