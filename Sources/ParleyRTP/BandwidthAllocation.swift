/// How a bandwidth target is shared between audio and video, as a pure function
/// (`BandwidthAllocation.split`):
///
/// - audio: Opus at 10 % of the target within `audioRange` (16 … 64 kbit/s), never more than
///   the target; in-band FEC on when the loss is over 1 %, with the expected loss given to
///   the encoder (percent, at most 25);
/// - video: the rest, with VP8/VP9 resolution and frame-rate steps chosen by the target:
///   under 300 kbit/s 320x180@15, under 600 kbit/s 640x360@20, else 640x360@30; video is
///   suspended (zero rate) below `minimumVideoRate` (30 kbit/s).
public struct BandwidthAllocation: Equatable, Sendable, Codable {
    public struct VideoStep: Equatable, Sendable, Codable {
        /// The step applies when the target is under this (nil: any rate).
        public var below: Double?
        public var width: Int
        public var height: Int
        public var frameRate: Int

        public init(below: Double?, width: Int, height: Int, frameRate: Int) {
            self.below = below
            self.width = width
            self.height = height
            self.frameRate = frameRate
        }
    }

    public struct Policy: Equatable, Sendable {
        public var audioRange: ClosedRange<Double> = 16_000...64_000
        public var audioShare = 0.1
        public var fecLossThreshold = 0.01
        public var minimumVideoRate = 30_000.0
        /// By increasing `below`; the last has `below == nil`.
        public var videoSteps: [VideoStep] = [
            VideoStep(below: 300_000, width: 320, height: 180, frameRate: 15),
            VideoStep(below: 600_000, width: 640, height: 360, frameRate: 20),
            VideoStep(below: nil, width: 640, height: 360, frameRate: 30),
        ]
        public init() {}
    }

    public var audioBitrate: Int
    public var opusFEC: Bool
    /// For the encoder's expected packet loss setting (0 … 25).
    public var opusPacketLossPercent: Int
    /// 0 when video is suspended.
    public var videoBitrate: Int
    public var video: VideoStep?

    public init(audioBitrate: Int, opusFEC: Bool, opusPacketLossPercent: Int, videoBitrate: Int, video: VideoStep?) {
        self.audioBitrate = audioBitrate
        self.opusFEC = opusFEC
        self.opusPacketLossPercent = opusPacketLossPercent
        self.videoBitrate = videoBitrate
        self.video = video
    }

    /// The split of `target` (bit/s) at `lossFraction` (0 … 1).
    public static func split(target: Double, lossFraction: Double, policy: Policy = Policy()) -> BandwidthAllocation {
        let total = target.isFinite ? max(0, target) : 0
        let loss = lossFraction.isFinite ? min(max(lossFraction, 0), 1) : 0
        let audio = min(total, min(max(total * policy.audioShare, policy.audioRange.lowerBound), policy.audioRange.upperBound))
        let fec = loss > policy.fecLossThreshold
        let percent = fec ? min(25, Int((loss * 100).rounded(.up))) : 0
        let videoRate = total - audio
        guard videoRate >= policy.minimumVideoRate else {
            return BandwidthAllocation(audioBitrate: Int(audio), opusFEC: fec, opusPacketLossPercent: percent, videoBitrate: 0, video: nil)
        }
        let step = policy.videoSteps.first { step in step.below.map { total < $0 } ?? true } ?? policy.videoSteps.last
        return BandwidthAllocation(audioBitrate: Int(audio), opusFEC: fec, opusPacketLossPercent: percent,
                                   videoBitrate: Int(videoRate), video: step)
    }
}
