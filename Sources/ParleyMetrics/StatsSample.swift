/// One snapshot of a call's webrtc-stats, taken every stats interval: the cumulative
/// stats of each stream at `timestamp`, and the live quality estimate.
///
/// Written by `StatsRecorder` as one JSON object per line. The first received audio and
/// video streams are the ones `StatsInterval`, the summary line and the report use.
public struct StatsSample: Sendable, Equatable, Codable {
    /// Seconds since the call (or loopback) started.
    public var timestamp: Double
    public var inboundAudio: [InboundAudioStats]
    public var inboundVideo: [InboundVideoStats]
    public var outbound: [OutboundStats]
    public var remoteInbound: [RemoteInboundStats]
    /// E-model estimate of the first received audio stream at this time.
    public var quality: CallQuality?
    /// Loopback only: mouth-to-ear delay found by cross-correlation, milliseconds.
    public var mouthToEarDelayMilliseconds: Double?

    public init(
        timestamp: Double, inboundAudio: [InboundAudioStats] = [], inboundVideo: [InboundVideoStats] = [],
        outbound: [OutboundStats] = [], remoteInbound: [RemoteInboundStats] = [],
        quality: CallQuality? = nil, mouthToEarDelayMilliseconds: Double? = nil
    ) {
        self.timestamp = timestamp
        self.inboundAudio = inboundAudio
        self.inboundVideo = inboundVideo
        self.outbound = outbound
        self.remoteInbound = remoteInbound
        self.quality = quality
        self.mouthToEarDelayMilliseconds = mouthToEarDelayMilliseconds
    }

    /// The first received audio stream, if any.
    public var audio: InboundAudioStats? { inboundAudio.first }
    /// The first received video stream, if any.
    public var video: InboundVideoStats? { inboundVideo.first }
    /// The most recent round-trip time reported for any of our streams, seconds.
    public var roundTripTime: Double? { remoteInbound.lazy.compactMap(\.roundTripTime).first }

    private enum CodingKeys: String, CodingKey {
        case timestamp, inboundAudio, inboundVideo, outbound, remoteInbound, quality, mouthToEarDelayMilliseconds
    }

    /// Stream lists left out of the JSON read as empty.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timestamp = try c.decode(Double.self, forKey: .timestamp)
        inboundAudio = try c.decodeIfPresent([InboundAudioStats].self, forKey: .inboundAudio) ?? []
        inboundVideo = try c.decodeIfPresent([InboundVideoStats].self, forKey: .inboundVideo) ?? []
        outbound = try c.decodeIfPresent([OutboundStats].self, forKey: .outbound) ?? []
        remoteInbound = try c.decodeIfPresent([RemoteInboundStats].self, forKey: .remoteInbound) ?? []
        quality = try c.decodeIfPresent(CallQuality.self, forKey: .quality)
        mouthToEarDelayMilliseconds = try c.decodeIfPresent(Double.self, forKey: .mouthToEarDelayMilliseconds)
    }
}
