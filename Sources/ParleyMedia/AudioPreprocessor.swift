import CSpeexDSP

/// speexdsp's preprocessor for one mono capture stream: noise suppression, automatic gain
/// control, voice activity detection, and, when given the `EchoCanceller` that ran before
/// it, suppression of the echo the canceller left (residual echo).
///
/// `process` works in place on one frame and returns whether the frame holds voice, for
/// Opus DTX: a voice segment starts when speexdsp's speech probability for the frame
/// exceeds `vadProbabilityStart` and goes on while it exceeds `vadProbabilityContinue`.
/// (This is speexdsp's own VAD rule, applied here to the probability it computes for every
/// frame, so that enabling its VAD, which prints a warning on stderr, is not needed.)
/// speexdsp applies the residual echo suppression only as part of noise
/// suppression, so it needs `noiseSuppression` on.
///
/// Buffers are allocated at init: `process` does no heap allocation. Not thread-safe:
/// use one instance from one media thread (the same one as its echo canceller).
public final class AudioPreprocessor {
    public let configuration: AudioProcessing
    public let sampleRate: Int
    /// Samples per frame.
    public let frameSize: Int
    /// The echo canceller whose residual this preprocessor suppresses (kept alive here).
    public let echoCanceller: EchoCanceller?
    private let state: OpaquePointer
    private let frame16: UnsafeMutableBufferPointer<Int16>
    private var inVoiceSegment = false

    /// - Parameters:
    ///   - configuration: `noiseSuppression`, `automaticGainControl`, `voiceActivityDetection`
    ///     and their tuning; `echoCancellation` is ignored here (pass `echoCanceller` instead).
    ///   - echoCanceller: the canceller that processes the capture before this preprocessor,
    ///     for residual echo suppression; it must use the same sample rate and frame size.
    /// - Throws: `MediaError.invalidAudioProcessing` for out-of-range settings, a mismatched
    ///   canceller, or AGC on a speexdsp built without it (fixed-point builds).
    public init(configuration: AudioProcessing = .device, echoCanceller: EchoCanceller? = nil) throws {
        try configuration.validate()
        let frameSize = configuration.frameSize
        if let aec = echoCanceller, aec.frameSize != frameSize || aec.sampleRate != configuration.sampleRate {
            throw MediaError.invalidAudioProcessing(
                setting: "echoCanceller", value: "\(aec.frameSize) samples at \(aec.sampleRate) Hz",
                accepted: "the preprocessor's \(frameSize) samples at \(configuration.sampleRate) Hz; create both from the same AudioProcessing")
        }
        guard let state = speex_preprocess_state_init(Int32(frameSize), Int32(configuration.sampleRate)) else {
            throw MediaError.invalidAudioProcessing(setting: "sampleRate", value: "\(configuration.sampleRate)",
                                                    accepted: "a rate speexdsp's preprocessor accepts")
        }
        self.state = state
        self.configuration = configuration
        self.sampleRate = configuration.sampleRate
        self.frameSize = frameSize
        self.echoCanceller = echoCanceller
        frame16 = .allocate(capacity: frameSize)
        frame16.initialize(repeating: 0)

        let c = configuration
        _ = parley_speex_preprocess_set_denoise(state, c.noiseSuppression ? 1 : 0)
        _ = parley_speex_preprocess_set_noise_suppress(state, Int32(-c.noiseSuppressionDecibels))
        if c.automaticGainControl {
            guard parley_speex_preprocess_set_agc(state, 1) == 0 else {
                throw MediaError.invalidAudioProcessing(
                    setting: "automaticGainControl", value: "on",
                    accepted: "off: this speexdsp is a fixed-point build without AGC; turn AGC off or install a floating-point libspeexdsp")
            }
            _ = parley_speex_preprocess_set_agc_level(state, c.agcLevel)
            _ = parley_speex_preprocess_set_agc_max_gain(state, Int32(c.agcMaxGainDecibels))
        }
        if let aec = echoCanceller {
            _ = parley_speex_preprocess_set_echo_state(state, aec.state)
            _ = parley_speex_preprocess_set_echo_suppress(state, Int32(-c.echoSuppressionDecibels))
            _ = parley_speex_preprocess_set_echo_suppress_active(state, Int32(-c.echoSuppressionActiveDecibels))
        }
    }

    deinit {
        speex_preprocess_state_destroy(state)
        frame16.deallocate()
    }

    /// Processes one frame of exactly `frameSize` samples in place.
    /// - Returns: true when voice activity detection is on and found voice in the frame;
    ///   always true when it is off (so DTX never drops a frame it was not asked to judge).
    /// - Throws: `MediaError.audioFrameSizeMismatch` (nothing is processed).
    @discardableResult
    public func process(_ frame: UnsafeMutableBufferPointer<Int16>) throws -> Bool {
        guard frame.count == frameSize else { throw mismatch(frame.count) }
        guard let base = frame.baseAddress else { return true }
        _ = speex_preprocess_run(state, base)
        return voiceDecision()
    }

    /// Float version of `process` (samples in -1...1, values beyond saturate).
    /// - Throws: `MediaError.audioFrameSizeMismatch`, or `MediaError.nonFiniteSample`
    ///   (nothing is processed and `frame` is unchanged).
    @discardableResult
    public func process(_ frame: UnsafeMutableBufferPointer<Float>) throws -> Bool {
        guard frame.count == frameSize else { throw mismatch(frame.count) }
        try PCM16.convert(UnsafeBufferPointer(frame), into: frame16, buffer: "capture")
        _ = speex_preprocess_run(state, frame16.baseAddress)
        PCM16.convert(UnsafeBufferPointer(frame16), into: frame)
        return voiceDecision()
    }

    /// Array version of the Float `process`.
    @discardableResult
    public func process(_ frame: inout [Float]) throws -> Bool {
        try frame.withUnsafeMutableBufferPointer { try process($0) }
    }

    /// Array version of the 16-bit `process`.
    @discardableResult
    public func process(_ frame: inout [Int16]) throws -> Bool {
        try frame.withUnsafeMutableBufferPointer { try process($0) }
    }

    /// The speech probability (percent) speexdsp estimated for the last frame.
    public var speechProbability: Int {
        var percent: Int32 = 0
        _ = parley_speex_preprocess_get_prob(state, &percent)
        return Int(percent)
    }

    /// The gain (dB) the AGC applied to the last frame; 0 when AGC is off.
    public var agcGainDecibels: Int {
        guard configuration.automaticGainControl else { return 0 }
        var db: Int32 = 0
        _ = parley_speex_preprocess_get_agc_gain(state, &db)
        return Int(db)
    }

    /// speexdsp's VAD rule with hysteresis, on the last frame's speech probability.
    private func voiceDecision() -> Bool {
        guard configuration.voiceActivityDetection else { return true }
        let percent = speechProbability
        inVoiceSegment = percent > configuration.vadProbabilityStart
            || (inVoiceSegment && percent > configuration.vadProbabilityContinue)
        return inVoiceSegment
    }

    private func mismatch(_ count: Int) -> MediaError {
        .audioFrameSizeMismatch(buffer: "capture", expected: frameSize, got: count, sampleRate: sampleRate)
    }
}
