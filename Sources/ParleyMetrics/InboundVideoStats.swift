/// The W3C webrtc-stats `RTCInboundRtpStreamStats` of a received video stream, with the
/// spec's member names and units: counters cumulative, times in seconds.
public struct InboundVideoStats: Sendable, Equatable, Codable {
    /// "video".
    public var kind = "video"
    public var ssrc: UInt32
    public var packetsReceived: Int = 0
    public var packetsLost: Int = 0
    /// RFC 3550 interarrival jitter, in seconds.
    public var jitter: Double = 0
    public var bytesReceived: Int = 0
    public var packetsDiscarded: Int = 0
    public var fecPacketsReceived: Int = 0
    public var framesReceived: Int = 0
    public var framesDecoded: Int = 0
    public var keyFramesDecoded: Int = 0
    /// Frames dropped before decoding (incomplete, or decoded too late).
    public var framesDropped: Int = 0
    public var frameWidth: Int = 0
    public var frameHeight: Int = 0
    /// Frames decoded in the last second.
    public var framesPerSecond: Double = 0
    /// Σ time spent decoding, seconds.
    public var totalDecodeTime: Double = 0
    /// Video freezes (spec definition: an inter-frame gap > max(3 × mean, mean + 150 ms)),
    /// and their total length in seconds.
    public var freezeCount: Int = 0
    public var totalFreezesDuration: Double = 0
    public var jitterBufferDelay: Double = 0
    public var jitterBufferEmittedCount: Int = 0
    /// NACK, PLI and FIR messages sent by this receiver.
    public var nackCount: Int = 0
    public var pliCount: Int = 0
    public var firCount: Int = 0

    public init(ssrc: UInt32) { self.ssrc = ssrc }
}
