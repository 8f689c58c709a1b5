import ParleyCore

/// Settings of a realtime VP8/VP9 encoder.
///
/// Time base: the encoder's time base is one frame period,
/// `frameRateDenominator / frameRateNumerator` seconds, so the `pts` given to
/// `VideoEncoder.encode` counts frames (0, 1, 2, …) and every frame lasts one unit.
public struct VideoEncoderConfiguration: Sendable, Equatable {
    /// How the encoder spends bits over time.
    public enum RateControl: String, Sendable, Equatable, CaseIterable {
        /// Constant bitrate: the realtime choice, keeps the sender's queue short.
        case cbr
        /// Variable bitrate: better quality for the same average, with bursts.
        case vbr
    }

    /// Allowed ranges, used by `validate()` and named in its messages.
    public static let bitrateRange = 10...100_000
    public static let threadsRange = 1...16
    public static let dimensionRange = 1...16_383
    public static let keyframeIntervalRange = 0...100_000
    public static let frameRateRange = 1...1000

    /// The `cpuUsed` values the codec accepts.
    public static func cpuUsedRange(for codec: VideoCodecKind) -> ClosedRange<Int> {
        switch codec {
        case .vp8: return -16...16
        case .vp9: return -9...9
        }
    }

    /// The realtime default `cpuUsed`: -6 (fixed speed) for VP8, 7 for VP9.
    public static func defaultCPUUsed(for codec: VideoCodecKind) -> Int {
        switch codec {
        case .vp8: return -6
        case .vp9: return 7
        }
    }

    public var codec: VideoCodecKind
    public var width: Int
    public var height: Int
    public var frameRateNumerator: Int
    public var frameRateDenominator: Int
    /// Target bitrate in kbit/s, 10...100_000.
    public var bitrateKbps: Int
    /// Speed/quality trade-off. VP8: -16...16 (negative = fixed speed); VP9: -9...9.
    public var cpuUsed: Int
    /// Encoder threads, 1...16. VP9 also derives its tile columns from it.
    public var threads: Int
    /// Maximum frames between keyframes (`kf_max_dist`); 0 = keyframes only on the first
    /// frame and when forced.
    public var keyframeInterval: Int
    /// Makes each frame decodable with fewer dependencies on lost ones.
    public var errorResilient: Bool
    /// VP9 row-based multithreading (ignored for VP8).
    public var rowMultithreading: Bool
    public var rateControl: RateControl

    public init(
        codec: VideoCodecKind,
        width: Int,
        height: Int,
        frameRateNumerator: Int = 30,
        frameRateDenominator: Int = 1,
        bitrateKbps: Int = 800,
        cpuUsed: Int? = nil,
        threads: Int = 1,
        keyframeInterval: Int = 300,
        errorResilient: Bool = false,
        rowMultithreading: Bool = true,
        rateControl: RateControl = .cbr
    ) {
        self.codec = codec
        self.width = width
        self.height = height
        self.frameRateNumerator = frameRateNumerator
        self.frameRateDenominator = frameRateDenominator
        self.bitrateKbps = bitrateKbps
        self.cpuUsed = cpuUsed ?? Self.defaultCPUUsed(for: codec)
        self.threads = threads
        self.keyframeInterval = keyframeInterval
        self.errorResilient = errorResilient
        self.rowMultithreading = rowMultithreading
        self.rateControl = rateControl
    }

    /// Frames per second, `frameRateNumerator / frameRateDenominator`.
    public var frameRate: Double {
        frameRateDenominator == 0 ? 0 : Double(frameRateNumerator) / Double(frameRateDenominator)
    }

    /// Throws `CodecError.invalidParameter` naming the first field outside its range.
    public func validate() throws(CodecError) {
        try Self.check("width", width, Self.dimensionRange, unit: " pixels")
        try Self.check("height", height, Self.dimensionRange, unit: " pixels")
        try Self.check("frameRateNumerator", frameRateNumerator, 1...1_000_000)
        try Self.check("frameRateDenominator", frameRateDenominator, 1...1_000_000)
        let fps = frameRate
        if fps < Double(Self.frameRateRange.lowerBound) || fps > Double(Self.frameRateRange.upperBound) {
            throw CodecError.invalidParameter(
                "frame rate \(frameRateNumerator)/\(frameRateDenominator) is outside the allowed range "
                    + "\(Self.frameRateRange.lowerBound)...\(Self.frameRateRange.upperBound) frames per second; "
                    + "set frameRateNumerator/frameRateDenominator within it")
        }
        try Self.checkBitrate(bitrateKbps)
        let cpuRange = Self.cpuUsedRange(for: codec)
        if !cpuRange.contains(cpuUsed) {
            throw CodecError.invalidParameter(
                "cpuUsed \(cpuUsed) is outside the allowed range \(cpuRange.lowerBound)...\(cpuRange.upperBound) "
                    + "for \(codec.rawValue); choose a value within it")
        }
        try Self.check("threads", threads, Self.threadsRange)
        try Self.check("keyframeInterval", keyframeInterval, Self.keyframeIntervalRange, unit: " frames")
    }

    static func checkBitrate(_ kbps: Int) throws(CodecError) {
        try check("bitrateKbps", kbps, bitrateRange, unit: " kbps")
    }

    private static func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>, unit: String = "") throws(CodecError) {
        if !range.contains(value) {
            throw CodecError.invalidParameter(
                "\(field) \(value) is outside the allowed range \(range.lowerBound)...\(range.upperBound)\(unit); "
                    + "choose a value within it")
        }
    }
}
