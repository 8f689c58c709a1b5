import Atomics
import Glibc

/// The counters, the clock estimate and the lost flag an ALSA device thread publishes to
/// other threads: atomics only, written by the device thread, read by anyone.
final class ALSAStreamState: @unchecked Sendable {
    let deviceFrames = ManagedAtomic<Int>(0)
    let engineFrames = ManagedAtomic<Int>(0)
    let xruns = ManagedAtomic<Int>(0)
    let suspends = ManagedAtomic<Int>(0)
    let underflows = ManagedAtomic<Int>(0)
    let overflowFrames = ManagedAtomic<Int>(0)
    /// Bits of the measured clock ratio; 0 = not measured yet.
    private let ratioBits = ManagedAtomic<UInt64>(0)
    private let lost = ManagedAtomic<Bool>(false)
    /// Written once by the device thread before `lost` is set, read after it is seen set.
    private nonisolated(unsafe) var reason: String?
    /// Set when the device thread tried real-time scheduling (an error text, or nil on success).
    let realTimeTried = ManagedAtomic<Bool>(false)
    private nonisolated(unsafe) var realTimeErrorText: String?

    // Clock estimate (device thread only).
    private let nominalRate: Double
    private var started = -1.0
    private var anchorTime = -1.0
    private var anchorFrames = 0
    /// Seconds skipped at the start (the buffer fills faster than real time) and measured at least.
    private let warmup = 0.5
    private let minimumSpan = 1.0

    init(nominalRate: Int) {
        self.nominalRate = Double(nominalRate)
    }

    var isLost: Bool { lost.load(ordering: .acquiring) }
    var lostReason: String? { isLost ? reason : nil }

    /// Device thread: the device is gone; the thread ends after this.
    func markLost(_ why: String) {
        guard !lost.load(ordering: .relaxed) else { return }
        reason = why
        lost.store(true, ordering: .releasing)
    }

    func setRealTimeResult(_ error: String?) {
        realTimeErrorText = error
        realTimeTried.store(true, ordering: .releasing)
    }

    /// nil until the thread started; then "" on success or the reason it failed.
    var realTimeResult: String? {
        realTimeTried.load(ordering: .acquiring) ? (realTimeErrorText ?? "") : nil
    }

    var clockRatio: Double? {
        let bits = ratioBits.load(ordering: .relaxed)
        return bits == 0 ? nil : Double(bitPattern: bits)
    }

    /// Device thread, after each transfer: `total` device frames so far at monotonic `now`.
    ///
    /// The estimate is the least-squares slope of frames against time since the anchor
    /// (after a warm-up while the buffer fills): a thread that wakes late now and then
    /// moves a point, not the slope. Sums are kept incrementally, nothing is allocated.
    func noteProgress(total: Int, now: Double) {
        if started < 0 { started = now; return }
        if anchorTime < 0 {
            if now - started >= warmup {
                anchorTime = now
                anchorFrames = total
                n = 0; st = 0; sf = 0; stt = 0; stf = 0
            }
            return
        }
        let t = now - anchorTime
        let f = Double(total - anchorFrames)
        n += 1; st += t; sf += f; stt += t * t; stf += t * f
        guard t >= minimumSpan, n >= 8 else { return }
        let denominator = n * stt - st * st
        guard denominator > 0 else { return }
        let framesPerSecond = (n * stf - st * sf) / denominator
        ratioBits.store((framesPerSecond / nominalRate).bitPattern, ordering: .relaxed)
    }

    // Regression sums since the anchor (device thread only).
    private var n = 0.0, st = 0.0, sf = 0.0, stt = 0.0, stf = 0.0

    /// Device thread: after an xrun the device restarted; measure afresh (keep the last estimate).
    func restartClockEstimate() {
        started = -1
        anchorTime = -1
    }

    func snapshot() -> ALSAStreamStats {
        ALSAStreamStats(deviceFrames: deviceFrames.load(ordering: .relaxed),
                        engineFrames: engineFrames.load(ordering: .relaxed),
                        xruns: xruns.load(ordering: .relaxed),
                        suspends: suspends.load(ordering: .relaxed),
                        underflows: underflows.load(ordering: .relaxed),
                        overflowFrames: overflowFrames.load(ordering: .relaxed),
                        clockRatio: clockRatio, isLost: isLost, lostReason: lostReason)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
