import COpus

/// What the Opus encoder is tuned for (`OPUS_APPLICATION_*`).
public enum OpusApplication: String, Sendable, Codable, CaseIterable {
    /// Speech: best intelligibility, the default for calls.
    case voip
    /// Music and mixed content, faithful to the input.
    case audio
    /// Lowest delay: CELT only, no speech modes.
    case restrictedLowDelay = "lowdelay"

    var cValue: Int32 {
        switch self {
        case .voip: return PARLEY_OPUS_APPLICATION_VOIP
        case .audio: return PARLEY_OPUS_APPLICATION_AUDIO
        case .restrictedLowDelay: return PARLEY_OPUS_APPLICATION_RESTRICTED_LOWDELAY
        }
    }
}

/// Every setting of an Opus encoder, validated before libopus sees it.
public struct OpusConfiguration: Sendable, Equatable, Codable {
    /// The rates libopus accepts.
    public static let supportedSampleRates = [8000, 12000, 16000, 24000, 48000]
    /// Frame durations Parley sends, in milliseconds (libopus also has 2.5 and 5 ms; calls do not use them).
    public static let supportedFrameDurations = [10, 20, 40, 60]
    public static let bitrateRange = 6_000...510_000

    public var sampleRate: Int
    public var channels: Int
    public var frameDurationMilliseconds: Int
    /// Target bitrate in bits per second.
    public var bitrate: Int
    /// 0 (cheapest) ... 10 (best).
    public var complexity: Int
    /// Variable bitrate; `false` gives constant bitrate.
    public var variableBitrate: Bool
    /// Constrained VBR (only meaningful with `variableBitrate`).
    public var constrainedVBR: Bool
    public var application: OpusApplication
    /// In-band forward error correction (LBRR): each packet carries a low-rate copy of the previous frame.
    public var inbandFEC: Bool
    /// The loss rate the encoder expects, 0...100 %, which sizes the in-band FEC.
    public var expectedPacketLossPercent: Int
    /// Discontinuous transmission: near-empty packets during silence.
    public var dtx: Bool

    public init(
        sampleRate: Int = 48000,
        channels: Int = 1,
        frameDurationMilliseconds: Int = 20,
        bitrate: Int = 32_000,
        complexity: Int = 10,
        variableBitrate: Bool = true,
        constrainedVBR: Bool = true,
        application: OpusApplication = .voip,
        inbandFEC: Bool = false,
        expectedPacketLossPercent: Int = 0,
        dtx: Bool = false
    ) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.frameDurationMilliseconds = frameDurationMilliseconds
        self.bitrate = bitrate
        self.complexity = complexity
        self.variableBitrate = variableBitrate
        self.constrainedVBR = constrainedVBR
        self.application = application
        self.inbandFEC = inbandFEC
        self.expectedPacketLossPercent = expectedPacketLossPercent
        self.dtx = dtx
    }

    /// Samples per channel in one frame.
    public var frameSize: Int { sampleRate * frameDurationMilliseconds / 1000 }

    /// Throws `CodecError.invalidParameter` naming the setting, its value and what is allowed.
    public func validate() throws {
        guard Self.supportedSampleRates.contains(sampleRate) else {
            throw CodecError.invalidParameter("Opus sample rate \(sampleRate) Hz is not supported; use one of \(Self.supportedSampleRates.map(String.init).joined(separator: ", ")) Hz")
        }
        guard channels == 1 || channels == 2 else {
            throw CodecError.invalidParameter("Opus channel count \(channels) is not supported; use 1 (mono) or 2 (stereo)")
        }
        guard Self.supportedFrameDurations.contains(frameDurationMilliseconds) else {
            throw CodecError.invalidParameter("Opus frame duration \(frameDurationMilliseconds) ms is not supported; use 10, 20, 40 or 60 ms")
        }
        guard Self.bitrateRange.contains(bitrate) else {
            throw CodecError.invalidParameter("Opus bitrate \(bitrate) bit/s is out of range; use 6000...510000 bit/s (e.g. 32000 for speech)")
        }
        guard (0...10).contains(complexity) else {
            throw CodecError.invalidParameter("Opus complexity \(complexity) is out of range; use 0...10")
        }
        guard (0...100).contains(expectedPacketLossPercent) else {
            throw CodecError.invalidParameter("Opus expected packet loss \(expectedPacketLossPercent) % is out of range; use 0...100")
        }
    }
}
