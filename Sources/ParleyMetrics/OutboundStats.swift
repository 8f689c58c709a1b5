/// The W3C webrtc-stats `RTCOutboundRtpStreamStats` of a sent stream (audio or video),
/// with the spec's member names: counters cumulative.
public struct OutboundStats: Sendable, Equatable, Codable {
    /// "audio" or "video".
    public var kind: String
    public var ssrc: UInt32
    public var packetsSent: Int = 0
    public var bytesSent: Int = 0
    /// Packets sent again after a NACK, and their bytes.
    public var retransmittedPacketsSent: Int = 0
    public var retransmittedBytesSent: Int = 0
    /// The encoder's target bitrate, bit/s.
    public var targetBitrate: Double = 0
    /// Video only (0 for audio).
    public var framesEncoded: Int = 0
    public var keyFramesEncoded: Int = 0
    /// NACK, PLI and FIR messages received from the remote receiver.
    public var nackCount: Int = 0
    public var pliCount: Int = 0
    public var firCount: Int = 0

    public init(kind: String, ssrc: UInt32) {
        self.kind = kind
        self.ssrc = ssrc
    }
}
