/// How an `ALSACapture` or `ALSAPlayback` opens and drives its device.
///
/// The media side always sees `engineRate` (48 kHz) interleaved float frames with
/// `channels` channels; when the device gives another rate the device thread resamples.
public struct ALSAConfiguration: Sendable, Equatable {
    /// A sample format Parley can exchange with ALSA (interleaved).
    public enum SampleFormat: String, Sendable, Equatable, CaseIterable {
        case s16LE = "S16_LE"
        case floatLE = "FLOAT_LE"

        var bytesPerSample: Int { self == .s16LE ? 2 : 4 }
    }

    /// How the device thread is paced.
    public enum Pacing: Sendable, Equatable {
        /// The device blocks `snd_pcm_readi`/`snd_pcm_writei` until a period is ready
        /// (every sound card, dmix, PulseAudio/PipeWire plugins).
        case device
        /// Devices that never block (ALSA's `null` and `file` plugins over `null`): the
        /// thread sleeps to a monotonic schedule of `rateScale` × the device's rate.
        /// `rateScale` ≠ 1 imitates a device clock that drifts (for tests).
        case monotonic(rateScale: Double)
    }

    /// Channels on the device and on the media side: 1 or 2.
    public var channels: Int
    /// The rate asked of the device; the nearest the device offers is used.
    public var preferredRate: Int
    /// The rate the media side exchanges (the engine's rate).
    public var engineRate: Int
    /// Formats to try, in order.
    public var formats: [SampleFormat]
    /// Period length asked of the device (≈ 10 ms).
    public var periodMilliseconds: Int
    /// Periods per device buffer (≈ 4).
    public var periods: Int
    /// Length of the ring between the device thread and the media thread.
    public var ringMilliseconds: Int
    /// SCHED_FIFO priority tried for the device thread (1…99); nil: do not try.
    /// Failure (no CAP_SYS_NICE, no rtprio limit) is tolerated and reported.
    public var realTimePriority: Int32?
    /// An extra ALSA configuration (asoundrc syntax) read on top of the system
    /// configuration for this device only; nil: the system configuration alone.
    public var configFile: String?
    public var pacing: Pacing
    /// speexdsp resampler quality 0…10.
    public var resamplerQuality: Int

    public init(channels: Int = 1, preferredRate: Int = 48_000, engineRate: Int = 48_000,
                formats: [SampleFormat] = [.s16LE, .floatLE], periodMilliseconds: Int = 10, periods: Int = 4,
                ringMilliseconds: Int = 200, realTimePriority: Int32? = 70, configFile: String? = nil,
                pacing: Pacing = .device, resamplerQuality: Int = 5) {
        self.channels = channels
        self.preferredRate = preferredRate
        self.engineRate = engineRate
        self.formats = formats
        self.periodMilliseconds = periodMilliseconds
        self.periods = periods
        self.ringMilliseconds = ringMilliseconds
        self.realTimePriority = realTimePriority
        self.configFile = configFile
        self.pacing = pacing
        self.resamplerQuality = resamplerQuality
    }

    /// Checks the values a caller chose.
    func validate() throws {
        guard channels == 1 || channels == 2 else {
            throw MediaError.invalidParameter("ALSA channels must be 1 or 2, got \(channels)")
        }
        guard (8_000...384_000).contains(preferredRate) else {
            throw MediaError.invalidParameter("ALSA rate must be 8000…384000 Hz, got \(preferredRate)")
        }
        guard (8_000...384_000).contains(engineRate) else {
            throw MediaError.invalidParameter("engine rate must be 8000…384000 Hz, got \(engineRate)")
        }
        guard !formats.isEmpty else {
            throw MediaError.invalidParameter("give at least one ALSA sample format (S16_LE or FLOAT_LE)")
        }
        guard (1...500).contains(periodMilliseconds) else {
            throw MediaError.invalidParameter("ALSA period must be 1…500 ms, got \(periodMilliseconds)")
        }
        guard (2...64).contains(periods) else {
            throw MediaError.invalidParameter("ALSA periods per buffer must be 2…64, got \(periods)")
        }
        guard (10...10_000).contains(ringMilliseconds) else {
            throw MediaError.invalidParameter("ALSA ring must hold 10…10000 ms, got \(ringMilliseconds)")
        }
        if let p = realTimePriority, !(1...99).contains(p) {
            throw MediaError.invalidParameter("real-time priority must be 1…99, got \(p)")
        }
        if case .monotonic(let scale) = pacing, !(scale > 0.5 && scale < 2) {
            throw MediaError.invalidParameter("monotonic pacing scale must be in 0.5…2, got \(scale)")
        }
        guard (0...10).contains(resamplerQuality) else {
            throw MediaError.invalidParameter("resampler quality must be 0…10, got \(resamplerQuality)")
        }
    }
}
