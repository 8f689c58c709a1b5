import ParleyMetrics

/// Everything `parley loopback` measured, written as `report.json`.
/// Names follow the W3C webrtc-stats vocabulary where one exists.
public struct LoopbackReport: Codable, Sendable {
    public struct Inputs: Codable, Sendable {
        public var audio: String?
        public var video: String?
    }

    public struct Outputs: Codable, Sendable {
        public var directory: String
        public var audio: String?
        public var video: String?
        public var encodedVideo: String?
        /// The pcap capture, with `--pcap`.
        public var capture: String?
        public var report: String
        /// The webrtc-stats samples as JSON lines, with `--stats-json`.
        public var stats: String? = nil
    }

    public struct Audio: Codable, Sendable {
        public var codec = "opus"
        public var sourceSampleRate: Int
        public var sourceChannels: Int
        public var sourceSampleFormat: String
        public var sampleRate: Int
        public var channels: Int
        public var frameDurationMilliseconds: Int
        public var targetBitrate: Int
        public var complexity: Int
        public var inbandFEC: Bool
        public var dtx: Bool
        public var durationSeconds: Double
        public var framesEncoded: Int
        public var framesDecoded: Int
        /// Packets of 2 bytes or less that DTX lets a sender skip (not sent).
        public var discontinuousPackets: Int
        public var packetsSent: Int
        public var packetsReceived: Int
        /// Frames the receiver filled by concealment (lost packets, DTX gaps).
        public var concealedFrames: Int
        public var bytesSent: Int
        /// Mean bitrate of the encoded packets, bit/s.
        public var bitrate: Double
        public var packetSizeBytes: RunningSummary
        public var encodeCPUSeconds: Double
        public var decodeCPUSeconds: Double
        public var encodeMicrosecondsPerFrame: Double
        public var decodeMicrosecondsPerFrame: Double
        /// The received audio's delay against the source, found by cross-correlation.
        public var alignment: AlignmentResult
        /// The encoder's algorithmic delay (lookahead), for comparison with the alignment.
        public var codecDelayMilliseconds: Double
        /// The adaptive jitter buffer (over an emulated network): mean delay of the played
        /// samples and mean target, ms; time-stretching and FEC; nil over the perfect link.
        public var jitterBuffer: JitterBufferSummary? = nil
    }

    public struct JitterBufferSummary: Codable, Sendable {
        public var meanDelayMilliseconds: Double
        public var meanTargetDelayMilliseconds: Double
        public var removedSamplesForAcceleration: Int
        public var insertedSamplesForDeceleration: Int
        public var concealedSamples: Int
        public var fecPacketsRecovered: Int
        public var packetsDiscarded: Int
    }

    public struct VideoFrameStats: Codable, Sendable {
        public var index: Int
        public var bytes: Int
        public var keyframe: Bool
        public var psnrY: Double
        public var psnr: Double
        public var ssim: Double
    }

    public struct Video: Codable, Sendable {
        public var codec: String
        public var source: String
        public var width: Int
        public var height: Int
        public var frameRate: Double
        public var targetBitrateKbps: Int
        public var cpuUsed: Int
        public var threads: Int
        public var keyframeInterval: Int
        public var errorResilient: Bool
        public var framesEncoded: Int
        public var framesDecoded: Int
        public var keyFramesEncoded: Int
        public var packetsSent: Int
        public var packetsReceived: Int
        /// Frames reassembled from their RTP packets, and frames given up as incomplete.
        public var framesAssembled: Int
        public var framesIncomplete: Int
        /// Frames the decoder could not decode (a keyframe was asked for each time).
        public var decodeErrors: Int
        public var bytesSent: Int
        /// Mean bitrate of the encoded frames, kbit/s.
        public var bitrateKbps: Double
        public var frameSizeBytes: RunningSummary
        public var encodeCPUSeconds: Double
        public var decodeCPUSeconds: Double
        /// Process CPU time around encode and decode calls, which includes libvpx worker threads.
        public var encodeProcessCPUSeconds: Double
        public var decodeProcessCPUSeconds: Double
        public var encodeMillisecondsPerFrame: Double
        public var decodeMillisecondsPerFrame: Double
        /// PSNR of the Y plane per frame (dB; 100 means identical).
        public var psnrY: RunningSummary
        /// PSNR over all three planes per frame.
        public var psnr: RunningSummary
        /// SSIM of the Y plane per frame.
        public var ssim: RunningSummary
        public var frames: [VideoFrameStats]
        /// webrtc-stats of the receiving side: frames not decoded (after a loss until a
        /// keyframe), freezes, NACK messages and keyframe requests (PLI) sent.
        public var framesDropped: Int? = nil
        public var freezeCount: Int? = nil
        public var totalFreezesDuration: Double? = nil
        public var nackCount: Int? = nil
        public var pliCount: Int? = nil
    }

    public struct Transport: Codable, Sendable {
        public var kind: String
        public var srtpSuite: String
        public var streams: [SecureRTPSender.StreamStatistics]
        public var receiver: SecureRTPReceiver.Counters
        public var rtcp: RTCPSession.Statistics
        /// SRTP bytes on the wire per second of media, all streams, bit/s.
        public var wireBitrate: Double
        /// Where the SRTP keys came from.
        public var keys: Keys?
        /// The emulated network, when there was one.
        public var network: Network?
    }

    /// The emulated network of a loopback (`--network`): its profile, seed and what it did.
    public struct Network: Codable, Sendable {
        /// The profile as given (a preset name, parameters or a trace).
        public var profile: String
        public var seed: UInt64
        public var statistics: EmulatedLinkModel.Statistics
        /// Mean one-way network delay of the packets that arrived, seconds.
        public var meanDelay: Double
    }

    /// The key schedule of the call (design.md, "Keys"): the two simulated participants
    /// became contacts through an invitation and acceptance, set the call up over their
    /// sealed signaling channel, and keyed every stream from the call key schedule.
    public struct Keys: Codable, Sendable {
        /// "contact-session": per-SSRC SRTP keys from the call key schedule.
        public var source: String
        public var caller: String
        public var callee: String
        /// The call id, hex (not secret).
        public var callID: String
        /// The short authentication string both sides show (equal on both sides).
        public var shortAuthenticationString: String
        public var signalingAEAD: String
    }

    public var parleyVersion: String
    public var kind = "loopback"
    /// False when the run stopped on an error; `error` says why. What was written up to
    /// then is kept and valid.
    public var completed: Bool
    public var error: String?
    public var inputs: Inputs
    public var outputs: Outputs
    public var audio: Audio?
    public var video: Video?
    /// The secure RTP path between the two halves.
    public var transport: Transport?
    public var wallSeconds: Double
    /// Media seconds processed per wall-clock second.
    public var realtimeFactor: Double
}
