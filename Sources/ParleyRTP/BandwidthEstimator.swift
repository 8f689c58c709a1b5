/// Send-side bandwidth estimation from transport-wide feedback: the delay-based estimator
/// (trendline detector + AIMD rate control) and the loss-based one, combined as the
/// smaller of the two within `[minimumRate, maximumRate]`; plus the acknowledged
/// (received) rate and bandwidth probes.
///
///     var bwe = BandwidthEstimator()
///     bwe.onPacketSent(sequenceNumber: twcc, size: bytes, at: now)   // every packet
///     let target = bwe.onFeedback(feedback, at: now)                 // every feedback
///     if let probe = bwe.probe(at: now) { … send probe.packets of probe.packetSize at probe.rate }
///
/// Probing (after libwebrtc's probe controller, simplified): every `probeInterval` while the
/// detector is not overusing and nothing was decreased for a second, the sender is asked
/// for a short cluster at `probeMultiplier` × the target. The cluster's received rate
/// (min of its send and receive rates; 0.95 × the receive rate when that is under 0.9 ×
/// the send rate) becomes the estimate when it is higher; when it reached 70 % of the probe
/// rate the next probe may follow at once. Without it, AIMD alone climbs
/// at most 8 % a second, far too slow to follow a capacity step up within seconds.
///
/// Rates in bit/s, times in seconds on the sender's clock.
public struct BandwidthEstimator: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var startRate = 300_000.0
        public var minimumRate = 30_000.0
        public var maximumRate = 2_500_000.0
        public var probing = true
        public var probeInterval = 2.0
        public var probeMultiplier = 2.0
        public var probePackets = 6
        public var probePacketSize = 500
        /// Window of the acknowledged-rate average.
        public var acknowledgedWindow = 0.25
        public init() {}
    }

    /// A burst the sender should send now: `packets` packets of `packetSize` bytes paced at
    /// `rate`, each passed to `onPacketSent(…, probeCluster: id)`.
    public struct ProbeCluster: Equatable, Sendable {
        public var id: Int
        public var rate: Double
        public var packets: Int
        public var packetSize: Int
    }

    private struct ProbeState: Sendable {
        var cluster: ProbeCluster
        var sentAt: Double
        var results: [TransportFeedbackAdapter.PacketResult] = []
    }

    public let configuration: Configuration
    public private(set) var adapter = TransportFeedbackAdapter()
    public private(set) var delay = DelayBasedEstimator()
    public private(set) var rateControl: AimdRateControl
    public private(set) var loss: LossBasedEstimator
    public private(set) var target: Double
    /// Received rate over the last `acknowledgedWindow` of arrivals; nil until that long.
    public private(set) var acknowledgedRate: Double?
    /// The last probe result accepted or rejected.
    public private(set) var lastProbeResult: Double?
    public private(set) var probesSent = 0
    private var arrivals: [(time: Double, size: Int)] = []
    private var arrivalHead = 0
    private var firstArrival: Double?
    private var probe: ProbeState?
    private var lastProbe: Double?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        rateControl = AimdRateControl(startRate: configuration.startRate, minimumRate: configuration.minimumRate,
                                      maximumRate: configuration.maximumRate)
        loss = LossBasedEstimator(startRate: configuration.startRate, minimumRate: configuration.minimumRate,
                                  maximumRate: configuration.maximumRate)
        target = rateControl.rate
    }

    public var usage: DelayBasedEstimator.Usage { delay.usage }

    public mutating func onPacketSent(sequenceNumber: UInt16, size: Int, at time: Double, probeCluster: Int? = nil) {
        adapter.onPacketSent(sequenceNumber: sequenceNumber, size: size, at: time, probeCluster: probeCluster)
    }

    /// Feeds one transport feedback received at `now`; returns the new target. `roundTripTime`,
    /// when known, tunes the additive increase.
    @discardableResult
    public mutating func onFeedback(_ feedback: RTCPTransportFeedback, at now: Double, roundTripTime: Double? = nil) -> Double {
        let results = adapter.onFeedback(feedback)
        guard !results.isEmpty else { return target }
        var received = 0
        var lost = 0
        for result in results {
            if result.received { received += 1 } else { lost += 1 }
            if let arrival = result.arrivalTime { recordArrival(arrival, size: result.size) }
            if let id = result.probeCluster, probe?.cluster.id == id { probe?.results.append(result) }
        }
        finishProbe(at: now)
        let usage = delay.update(results)
        if let roundTripTime { rateControl.roundTripTime = roundTripTime }
        let delayRate = rateControl.update(usage: usage, acknowledgedRate: acknowledgedRate, at: now)
        loss.update(packetsReceived: received, packetsLost: lost, at: now)
        if loss.lossFraction < 0.02 { loss.raise(to: delayRate) }
        loss.limit(to: 1.5 * delayRate)
        target = min(max(min(delayRate, loss.rate), configuration.minimumRate), configuration.maximumRate)
        return target
    }

    /// A probe cluster to send now, if one is due (see the type's notes).
    public mutating func probe(at now: Double) -> ProbeCluster? {
        guard configuration.probing, probe == nil, target < configuration.maximumRate, delay.usage != .overusing else { return nil }
        if let last = lastProbe, now - last < configuration.probeInterval { return nil }
        if let decrease = rateControl.lastDecrease, now - decrease < 1 { return nil }
        probesSent += 1
        let cluster = ProbeCluster(id: probesSent, rate: min(target * configuration.probeMultiplier, configuration.maximumRate),
                                   packets: configuration.probePackets, packetSize: configuration.probePacketSize)
        probe = ProbeState(cluster: cluster, sentAt: now)
        lastProbe = now
        return cluster
    }

    private mutating func finishProbe(at now: Double) {
        guard let state = probe else { return }
        let reported = state.results.count
        guard reported >= state.cluster.packets || now - state.sentAt > 1 else { return }
        probe = nil
        let got = state.results.filter { $0.received && $0.arrivalTime != nil }
        guard got.count >= max(2, state.cluster.packets * 4 / 5) else { return }
        let bySend = state.results.sorted { $0.sendTime < $1.sendTime }
        let byArrival = got.sorted { $0.arrivalTime! < $1.arrivalTime! }
        guard let firstSent = bySend.first, let lastSent = bySend.last,
              let firstArrived = byArrival.first, let lastArrived = byArrival.last,
              let firstTime = firstArrived.arrivalTime, let lastTime = lastArrived.arrivalTime else { return }
        let sendSpan = lastSent.sendTime - firstSent.sendTime
        let receiveSpan = lastTime - firstTime
        guard sendSpan > 0, receiveSpan > 0 else { return }
        let sendRate = Double(bySend.reduce(0) { $0 + $1.size } - lastSent.size) * 8 / sendSpan
        let receiveRate = Double(byArrival.reduce(0) { $0 + $1.size } - firstArrived.size) * 8 / receiveSpan
        var estimate = min(sendRate, receiveRate)
        if receiveRate < 0.9 * sendRate { estimate = 0.95 * receiveRate }
        lastProbeResult = estimate
        if estimate > target {
            // Found more: probe again right away when the link took most of the probe
            // (libwebrtc repeats at 70 %), else wait the interval.
            if estimate >= 0.7 * state.cluster.rate { lastProbe = nil }
            rateControl.setEstimate(estimate, at: now)
            loss.raise(to: estimate)
            target = min(max(estimate, configuration.minimumRate), configuration.maximumRate)
        }
    }

    private mutating func recordArrival(_ time: Double, size: Int) {
        if firstArrival == nil { firstArrival = time }
        arrivals.append((time, size))
        let newest = max(time, arrivals[arrivals.count - 1].time)
        let window = configuration.acknowledgedWindow
        while arrivalHead < arrivals.count, arrivals[arrivalHead].time <= newest - window { arrivalHead += 1 }
        if arrivalHead > 1024 {
            arrivals.removeFirst(arrivalHead)
            arrivalHead = 0
        }
        guard let first = firstArrival, newest - first >= window else { return }
        var bytes = 0
        for index in arrivalHead..<arrivals.count { bytes += arrivals[index].size }
        acknowledgedRate = Double(bytes) * 8 / window
    }
}
