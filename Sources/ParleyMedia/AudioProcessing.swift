/// What the capture-side audio processing does: echo cancellation, noise suppression,
/// automatic gain control and voice activity detection (speexdsp), and its tuning.
///
/// Two presets: `.device` (everything on: a microphone next to a loudspeaker needs it) and
/// `.file` (everything off: a file is already clean, and tests and measurements want the
/// signal untouched). Start from one and change what you need; `validate()` (called by
/// `EchoCanceller`, `AudioPreprocessor` and `CaptureProcessor`) says what is out of range.
///
/// All processing is mono at `sampleRate`, in frames of `frameMilliseconds`.
public struct AudioProcessing: Sendable, Hashable, Codable {
    /// Acoustic echo cancellation against the far-end (playback) signal.
    public var echoCancellation: Bool
    /// Stationary noise suppression (also applies the residual echo suppression after the canceller).
    public var noiseSuppression: Bool
    /// Automatic gain control towards `agcLevel`.
    public var automaticGainControl: Bool
    /// Voice activity detection: the per-frame "voice" flag that lets Opus DTX skip silence.
    public var voiceActivityDetection: Bool

    /// Sample rate in Hz, 8000...48000.
    public var sampleRate: Int
    /// Frame duration in milliseconds: 10 or 20.
    public var frameMilliseconds: Int
    /// Length of echo the canceller models, in milliseconds (20...500). Longer covers more
    /// reverberant rooms and more far-end/capture misalignment, at more CPU and slower convergence.
    public var echoTailMilliseconds: Int
    /// Most attenuation of noise, in dB (1...60).
    public var noiseSuppressionDecibels: Int
    /// Most attenuation of residual echo while the near end is silent, in dB (0...90).
    public var echoSuppressionDecibels: Int
    /// Most attenuation of residual echo while the near end talks (double talk), in dB (0...90).
    public var echoSuppressionActiveDecibels: Int
    /// AGC target loudness on the 16-bit sample scale, 1...32768 (speexdsp's default is 8000).
    public var agcLevel: Float
    /// Most gain the AGC applies, in dB (0...60).
    public var agcMaxGainDecibels: Int
    /// Speech probability (percent, 0...100) above which a frame starts a voice segment.
    public var vadProbabilityStart: Int
    /// Speech probability (percent, 0...`vadProbabilityStart`) above which a voice segment continues.
    public var vadProbabilityContinue: Int

    public init(echoCancellation: Bool, noiseSuppression: Bool, automaticGainControl: Bool,
                voiceActivityDetection: Bool, sampleRate: Int = 48000, frameMilliseconds: Int = 10,
                echoTailMilliseconds: Int = 150, noiseSuppressionDecibels: Int = 15,
                echoSuppressionDecibels: Int = 40, echoSuppressionActiveDecibels: Int = 15,
                agcLevel: Float = 8000, agcMaxGainDecibels: Int = 30,
                vadProbabilityStart: Int = 80, vadProbabilityContinue: Int = 60) {
        self.echoCancellation = echoCancellation
        self.noiseSuppression = noiseSuppression
        self.automaticGainControl = automaticGainControl
        self.voiceActivityDetection = voiceActivityDetection
        self.sampleRate = sampleRate
        self.frameMilliseconds = frameMilliseconds
        self.echoTailMilliseconds = echoTailMilliseconds
        self.noiseSuppressionDecibels = noiseSuppressionDecibels
        self.echoSuppressionDecibels = echoSuppressionDecibels
        self.echoSuppressionActiveDecibels = echoSuppressionActiveDecibels
        self.agcLevel = agcLevel
        self.agcMaxGainDecibels = agcMaxGainDecibels
        self.vadProbabilityStart = vadProbabilityStart
        self.vadProbabilityContinue = vadProbabilityContinue
    }

    /// For ALSA capture: echo cancellation, noise suppression, AGC and VAD all on,
    /// 48 kHz, 10 ms frames, 150 ms echo tail.
    public static let device = AudioProcessing(echoCancellation: true, noiseSuppression: true,
                                               automaticGainControl: true, voiceActivityDetection: true)

    /// For file sources: everything off (the samples pass through unchanged), 48 kHz, 10 ms frames.
    public static let file = AudioProcessing(echoCancellation: false, noiseSuppression: false,
                                             automaticGainControl: false, voiceActivityDetection: false)

    /// Samples per frame: `sampleRate * frameMilliseconds / 1000`.
    public var frameSize: Int { sampleRate * frameMilliseconds / 1000 }

    /// Echo canceller filter length in samples, a whole number of frames covering `echoTailMilliseconds`.
    public var echoFilterLength: Int {
        let samples = sampleRate * echoTailMilliseconds / 1000
        let frame = max(frameSize, 1)
        return (samples + frame - 1) / frame * frame
    }

    /// True when the speexdsp preprocessor has anything to do.
    public var needsPreprocessor: Bool {
        noiseSuppression || automaticGainControl || voiceActivityDetection
    }

    /// True when any stage is on; false means the capture passes through unchanged.
    public var isEnabled: Bool { echoCancellation || needsPreprocessor }

    /// Checks every setting.
    /// - Throws: `MediaError.invalidAudioProcessing` naming the first bad setting and its accepted range.
    public func validate() throws {
        func check(_ ok: Bool, _ setting: String, _ value: String, _ accepted: String) throws {
            if !ok { throw MediaError.invalidAudioProcessing(setting: setting, value: value, accepted: accepted) }
        }
        try check((8000...48000).contains(sampleRate), "sampleRate", "\(sampleRate)", "8000...48000 Hz")
        try check(frameMilliseconds == 10 || frameMilliseconds == 20, "frameMilliseconds", "\(frameMilliseconds)", "10 or 20")
        try check(sampleRate * frameMilliseconds % 1000 == 0, "sampleRate", "\(sampleRate)",
                  "a rate giving a whole number of samples per \(frameMilliseconds) ms frame, e.g. 48000, 16000 or 8000 Hz")
        try check((20...500).contains(echoTailMilliseconds), "echoTailMilliseconds", "\(echoTailMilliseconds)", "20...500 ms")
        try check((1...60).contains(noiseSuppressionDecibels), "noiseSuppressionDecibels", "\(noiseSuppressionDecibels)", "1...60 dB of attenuation")
        try check((0...90).contains(echoSuppressionDecibels), "echoSuppressionDecibels", "\(echoSuppressionDecibels)", "0...90 dB of attenuation")
        try check((0...90).contains(echoSuppressionActiveDecibels), "echoSuppressionActiveDecibels", "\(echoSuppressionActiveDecibels)", "0...90 dB of attenuation")
        try check(agcLevel.isFinite && agcLevel >= 1 && agcLevel <= 32768, "agcLevel", "\(agcLevel)", "1...32768 on the 16-bit scale, e.g. 8000")
        try check((0...60).contains(agcMaxGainDecibels), "agcMaxGainDecibels", "\(agcMaxGainDecibels)", "0...60 dB")
        try check((0...100).contains(vadProbabilityStart), "vadProbabilityStart", "\(vadProbabilityStart)", "0...100 percent")
        try check((0...vadProbabilityStart).contains(vadProbabilityContinue), "vadProbabilityContinue", "\(vadProbabilityContinue)",
                  "0...vadProbabilityStart (\(vadProbabilityStart)) percent")
    }
}
