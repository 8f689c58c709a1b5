/// The emulated path, packet by packet, on a virtual clock: no threads, no wall time.
/// `fate(size:at:)` says whether a packet sent at `time` arrives and when. The same profile
/// and seed give the same fates on every run and platform.
///
/// A packet meets the impairments in this order:
/// 1. trace replay, if the profile is a trace (then nothing else applies);
/// 2. blackout: sent inside a window, it is lost;
/// 3. the bandwidth cap: it waits behind the bytes already queued and is then serialized at
///    the rate (size × 8 / rate); if the drop-tail queue cannot hold it, it is lost (queue);
/// 4. random loss, then Gilbert–Elliott burst loss (the chain advances on every packet that
///    gets this far, lost or not);
/// 5. delay: base delay plus a jitter draw (never below zero in total);
/// 6. order: a packet picked by `reorder` is held back `reorderDelay` more and later packets
///    may overtake it; otherwise, with `fifo` on, it never arrives before a packet sent
///    earlier (it waits behind it, as in a real queue); with `fifo` off jitter may reorder;
/// 7. duplication: the copy arrives at the same time, right after the original.
///
/// Each impairment draws from its own random stream (seeded from the one seed), so
/// turning one on does not change the others' decisions. Send times should not decrease.
public struct NetworkModel: Sendable {
    public let profile: NetworkProfile
    public let seed: UInt64

    private var lossRandom: EmulatorRandom
    private var burstRandom: EmulatorRandom
    private var jitterRandom: EmulatorRandom
    private var reorderRandom: EmulatorRandom
    private var duplicateRandom: EmulatorRandom
    private var burstState = GilbertElliottState()
    /// When the bottleneck has sent everything queued so far.
    private var linkFree = -Double.infinity
    /// The latest arrival of a packet subject to FIFO order.
    private var lastInOrderArrival = -Double.infinity

    public init(profile: NetworkProfile, seed: UInt64) {
        self.profile = profile
        self.seed = seed
        lossRandom = EmulatorRandom(seed: seed, stream: 1)
        burstRandom = EmulatorRandom(seed: seed, stream: 2)
        jitterRandom = EmulatorRandom(seed: seed, stream: 3)
        reorderRandom = EmulatorRandom(seed: seed, stream: 4)
        duplicateRandom = EmulatorRandom(seed: seed, stream: 5)
    }

    /// Seconds the bottleneck still needs to send what is queued at `time` (0 without a cap).
    public func queueDelay(at time: Double) -> Double { max(0, linkFree - time) }

    /// Decides the fate of a packet of `size` bytes sent at `time` (seconds).
    public mutating func fate(size: Int, at time: Double) -> PacketFate {
        if let trace = profile.trace {
            let point = trace.point(at: time)
            return point.lost ? .lost(.trace) : .delivered(time: time + point.delay, duplicateTime: nil, heldBack: false)
        }
        if profile.inBlackout(time) { return .lost(.blackout) }
        let parameters = profile.parameters(at: time)

        var departure = time
        if let rate = parameters.rate {
            let backlog = max(0, linkFree - time)
            let serialization = Double(max(0, size)) * 8 / rate
            let fits: Bool
            switch parameters.queue {
            case .bytes(let limit): fits = backlog * rate / 8 + Double(size) <= Double(limit)
            case .time(let limit): fits = backlog + serialization <= limit + 1e-12
            }
            if !fits { return .lost(.queue) }
            departure = max(time, linkFree) + serialization
            linkFree = departure
        }

        let randomLoss = lossRandom.chance(parameters.loss)
        var burstLoss = false
        if let burst = parameters.burst { burstLoss = burstState.step(burst, using: &burstRandom) }
        if randomLoss { return .lost(.random) }
        if burstLoss { return .lost(.burst) }

        let extra = parameters.jitterDistribution.sample(jitter: parameters.jitter, using: &jitterRandom)
        var arrival = departure + max(0, parameters.delay + extra)

        let heldBack = reorderRandom.chance(parameters.reorder)
        if parameters.fifo { arrival = max(arrival, lastInOrderArrival) }
        if heldBack {
            arrival += parameters.reorderDelay
        } else {
            lastInOrderArrival = max(lastInOrderArrival, arrival)
        }
        let duplicate = duplicateRandom.chance(parameters.duplicate)
        return .delivered(time: arrival, duplicateTime: duplicate ? arrival : nil, heldBack: heldBack)
    }
}
