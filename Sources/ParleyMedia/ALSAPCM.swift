import CALSA
import Glibc
import Synchronization

/// An open, configured ALSA PCM (the only type here that holds ALSA handles): opening with
/// the system or an extra configuration, hw/sw parameter negotiation, transfers, xrun
/// recovery, pacing for devices that never block. Used by `ALSACapture` and `ALSAPlayback`
/// from their device threads.
final class ALSAPCM {
    enum Recovery {
        /// A transient condition: try the transfer again.
        case retry
        /// An xrun (-EPIPE), recovered with snd_pcm_prepare.
        case xrun
        /// A suspend (-ESTRPIPE), recovered with snd_pcm_resume (or prepare).
        case suspend
        /// The device is gone or broken: stop using it.
        case lost(String)
    }

    let device: ALSADeviceName
    let isCapture: Bool
    let rate: Int
    let format: ALSAConfiguration.SampleFormat
    let channels: Int
    let periodFrames: Int
    let bufferFrames: Int
    let pacing: ALSAConfiguration.Pacing
    private let pcm: OpaquePointer
    private var localConfig: OpaquePointer?
    private var nextDue = 0.0

    /// snd_config_update and the global tree are not thread-safe: opens go one at a time.
    private static let openLock = Mutex(())

    init(device: ALSADeviceName, capture: Bool, configuration c: ALSAConfiguration) throws {
        try c.validate()
        self.device = device
        self.isCapture = capture
        self.pacing = c.pacing
        let name = device.pcmName
        let stream = capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK

        var handle: OpaquePointer?
        var lconf: OpaquePointer?
        try Self.openLock.withLock { _ in
            parley_alsa_install_error_handler()
            parley_alsa_clear_last_error()
            if let path = c.configFile {
                lconf = try Self.loadConfiguration(extraFile: path)
            }
            // Non-blocking open: a busy hw device answers EBUSY at once instead of waiting.
            let err = lconf == nil
                ? snd_pcm_open(&handle, name, stream, SND_PCM_NONBLOCK)
                : snd_pcm_open_lconf(&handle, name, stream, SND_PCM_NONBLOCK, lconf)
            if err < 0 || handle == nil {
                if let lconf { snd_config_delete(lconf) }
                throw Self.openError(err, device: name)
            }
        }
        guard let pcm = handle else { throw MediaError.alsaFailed(device: name, call: "snd_pcm_open", detail: "no handle") }
        self.pcm = pcm
        self.localConfig = lconf
        var ok = false
        defer {
            if !ok {
                snd_pcm_close(pcm)
                if let lconf { snd_config_delete(lconf) }
            }
        }
        _ = snd_pcm_nonblock(pcm, 0) // transfers block from here on

        // Hardware parameters.
        var hwp: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hwp) == 0, let hw = hwp else {
            throw MediaError.alsaFailed(device: name, call: "snd_pcm_hw_params_malloc", detail: "out of memory")
        }
        defer { snd_pcm_hw_params_free(hw) }
        try Self.check(snd_pcm_hw_params_any(pcm, hw), name, "snd_pcm_hw_params_any")
        if snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0 {
            throw MediaError.alsaUnsupported(device: name, what: "access", requested: "read/write interleaved", offered: "only mmap or non-interleaved access")
        }
        guard let chosen = c.formats.first(where: { snd_pcm_hw_params_test_format(pcm, hw, Self.alsaFormat($0)) == 0 }) else {
            throw MediaError.alsaUnsupported(device: name, what: "sample format", requested: c.formats.map(\.rawValue).joined(separator: " or "),
                                             offered: Self.offeredFormats(pcm, hw))
        }
        try Self.check(snd_pcm_hw_params_set_format(pcm, hw, Self.alsaFormat(chosen)), name, "snd_pcm_hw_params_set_format")
        if snd_pcm_hw_params_set_channels(pcm, hw, UInt32(c.channels)) < 0 {
            var lo: UInt32 = 0, hi: UInt32 = 0
            snd_pcm_hw_params_get_channels_min(hw, &lo)
            snd_pcm_hw_params_get_channels_max(hw, &hi)
            throw MediaError.alsaUnsupported(device: name, what: "channels", requested: "\(c.channels)", offered: lo == hi ? "\(lo)" : "\(lo)…\(hi)")
        }
        var rate = UInt32(c.preferredRate)
        var dir: Int32 = 0
        let rateErr = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, &dir)
        if rateErr < 0 || !(8_000...384_000).contains(Int(rate)) {
            throw MediaError.alsaUnsupported(device: name, what: "rate", requested: "\(c.preferredRate) Hz", offered: Self.offeredRates(hw))
        }
        var period = snd_pcm_uframes_t(max(16, Int(rate) * c.periodMilliseconds / 1000))
        dir = 0
        try Self.check(snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir), name, "snd_pcm_hw_params_set_period_size_near")
        var buffer = period * snd_pcm_uframes_t(c.periods)
        try Self.check(snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer), name, "snd_pcm_hw_params_set_buffer_size_near")
        try Self.check(snd_pcm_hw_params(pcm, hw), name, "snd_pcm_hw_params")
        snd_pcm_hw_params_get_rate(hw, &rate, &dir)
        snd_pcm_hw_params_get_period_size(hw, &period, &dir)
        snd_pcm_hw_params_get_buffer_size(hw, &buffer)

        // Software parameters: playback starts once two periods are queued, capture on the
        // first read; the thread wakes for each whole period.
        var swp: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&swp) == 0, let sw = swp else {
            throw MediaError.alsaFailed(device: name, call: "snd_pcm_sw_params_malloc", detail: "out of memory")
        }
        defer { snd_pcm_sw_params_free(sw) }
        try Self.check(snd_pcm_sw_params_current(pcm, sw), name, "snd_pcm_sw_params_current")
        let start: snd_pcm_uframes_t = capture ? 1 : min(buffer, period * 2)
        try Self.check(snd_pcm_sw_params_set_start_threshold(pcm, sw, start), name, "snd_pcm_sw_params_set_start_threshold")
        try Self.check(snd_pcm_sw_params_set_avail_min(pcm, sw, period), name, "snd_pcm_sw_params_set_avail_min")
        try Self.check(snd_pcm_sw_params(pcm, sw), name, "snd_pcm_sw_params")
        try Self.check(snd_pcm_prepare(pcm), name, "snd_pcm_prepare")

        self.rate = Int(rate)
        self.format = chosen
        self.channels = c.channels
        self.periodFrames = Int(period)
        self.bufferFrames = Int(buffer)
        ok = true
    }

    deinit {
        snd_pcm_close(pcm)
        if let localConfig { snd_config_delete(localConfig) }
    }

    /// Bytes of one interleaved device frame.
    var bytesPerFrame: Int { channels * format.bytesPerSample }

    /// Blocking read of up to `frames` frames; frames read, or a negative errno.
    func read(_ buffer: UnsafeMutableRawPointer, frames: Int) -> Int {
        snd_pcm_readi(pcm, buffer, snd_pcm_uframes_t(frames))
    }

    /// Blocking write of up to `frames` frames; frames written, or a negative errno.
    func write(_ buffer: UnsafeRawPointer, frames: Int) -> Int {
        snd_pcm_writei(pcm, buffer, snd_pcm_uframes_t(frames))
    }

    /// Makes the device ready to run (again, after a stop); 0 or a negative errno.
    func prepare() -> Int32 {
        snd_pcm_prepare(pcm)
    }

    /// Stops the device: drops what is queued, or lets it play out.
    func stop(drain: Bool) {
        if drain { _ = snd_pcm_drain(pcm) } else { _ = snd_pcm_drop(pcm) }
    }

    /// What to do about a failed transfer.
    func recover(_ err: Int) -> Recovery {
        let code = Int32(-err)
        switch code {
        case EAGAIN, EINTR:
            return .retry
        case EPIPE:
            let r = snd_pcm_prepare(pcm)
            return r < 0 ? .lost("could not recover from an xrun: \(Self.message(r))") : .xrun
        case ESTRPIPE:
            var r = snd_pcm_resume(pcm)
            var tries = 0
            while r == -EAGAIN && tries < 100 { // up to ~1 s for the hardware to wake
                usleep(10_000)
                r = snd_pcm_resume(pcm)
                tries += 1
            }
            if r < 0 { r = snd_pcm_prepare(pcm) }
            return r < 0 ? .lost("could not resume after a suspend: \(Self.message(r))") : .suspend
        case ENODEV:
            return .lost("the device disappeared (\(Self.message(Int32(err))))")
        case EBADFD:
            return .lost("the device is in a bad state (\(Self.message(Int32(err))))")
        default:
            return .lost("\(isCapture ? "snd_pcm_readi" : "snd_pcm_writei") failed: \(Self.message(Int32(err)))")
        }
    }

    /// Pacing for devices that never block: call once before the loop.
    func startPacing() {
        nextDue = ALSAStreamState.monotonicSeconds()
    }

    /// Pacing for devices that never block: after `frames` were transferred, sleep until
    /// they are due at the nominal rate (× the configured scale). No-op for `.device`.
    func pace(frames: Int) {
        guard case .monotonic(let scale) = pacing else { return }
        nextDue += Double(frames) / (Double(rate) * scale)
        let now = ALSAStreamState.monotonicSeconds()
        if now - nextDue > Double(bufferFrames) / Double(rate) {
            nextDue = now // fell far behind (the machine stalled): do not race to catch up
            return
        }
        guard nextDue > now else { return }
        var ts = timespec(tv_sec: Int(nextDue), tv_nsec: Int((nextDue - Double(Int(nextDue))) * 1e9))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    // MARK: - Helpers

    static func alsaFormat(_ f: ALSAConfiguration.SampleFormat) -> snd_pcm_format_t {
        f == .s16LE ? SND_PCM_FORMAT_S16_LE : SND_PCM_FORMAT_FLOAT_LE
    }

    /// alsa-lib's own last message on this thread if it said something, else strerror.
    static func message(_ err: Int32) -> String {
        let last = String(cString: parley_alsa_last_error())
        let base = String(cString: snd_strerror(err))
        return last.isEmpty ? base : "\(base): \(last)"
    }

    private static func check(_ err: Int32, _ device: String, _ call: String) throws {
        if err < 0 { throw MediaError.alsaFailed(device: device, call: call, detail: message(err)) }
    }

    private static func openError(_ err: Int32, device: String) -> MediaError {
        let last = String(cString: parley_alsa_last_error())
        let detail = last.isEmpty ? String(cString: snd_strerror(err)) : "\(String(cString: snd_strerror(err))): \(last)"
        switch -err {
        case EBUSY, EAGAIN: return .alsaDeviceBusy(device: device)
        case EACCES, EPERM: return .alsaPermissionDenied(device: device)
        case ENOENT, ENODEV, ENXIO: return .alsaDeviceNotFound(device: device, detail: detail)
        default:
            if last.contains("Unknown PCM") { return .alsaDeviceNotFound(device: device, detail: detail) }
            return .alsaFailed(device: device, call: "snd_pcm_open", detail: detail)
        }
    }

    /// A copy of the system configuration with `extraFile` loaded on top (its definitions
    /// add to and override the system's), for snd_pcm_open_lconf. Nothing global changes.
    private static func loadConfiguration(extraFile path: String) throws -> OpaquePointer {
        guard access(path, R_OK) == 0 else {
            throw MediaError.alsaConfiguration(path: path, detail: "cannot read it: \(String(cString: strerror(errno)))")
        }
        var err = snd_config_update()
        guard err >= 0, let global = parley_alsa_global_config() else {
            throw MediaError.alsaConfiguration(path: path, detail: "the system ALSA configuration did not load: \(message(err))")
        }
        var copy: OpaquePointer?
        err = snd_config_copy(&copy, global)
        guard err >= 0, let root = copy else {
            throw MediaError.alsaConfiguration(path: path, detail: "cannot copy the system configuration: \(message(err))")
        }
        var input: OpaquePointer?
        err = snd_input_stdio_open(&input, path, "r")
        guard err >= 0, let input else {
            snd_config_delete(root)
            throw MediaError.alsaConfiguration(path: path, detail: message(err))
        }
        err = snd_config_load(root, input)
        snd_input_close(input)
        guard err >= 0 else {
            snd_config_delete(root)
            throw MediaError.alsaConfiguration(path: path, detail: message(err))
        }
        return root
    }

    private static func offeredFormats(_ pcm: OpaquePointer, _ hw: OpaquePointer) -> String {
        let candidates: [snd_pcm_format_t] = [SND_PCM_FORMAT_U8, SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S24_LE, SND_PCM_FORMAT_S24_3LE,
                                              SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE, SND_PCM_FORMAT_MU_LAW, SND_PCM_FORMAT_A_LAW]
        let names = candidates.filter { snd_pcm_hw_params_test_format(pcm, hw, $0) == 0 }.map { String(cString: snd_pcm_format_name($0)) }
        return names.isEmpty ? "no common format" : names.joined(separator: ", ")
    }

    private static func offeredRates(_ hw: OpaquePointer) -> String {
        var lo: UInt32 = 0, hi: UInt32 = 0
        var dir: Int32 = 0
        snd_pcm_hw_params_get_rate_min(hw, &lo, &dir)
        snd_pcm_hw_params_get_rate_max(hw, &hi, &dir)
        return lo == hi ? "\(lo) Hz" : "\(lo)…\(hi) Hz (Parley resamples 8000…384000 Hz)"
    }
}
