/// The loss-based estimator of Google Congestion Control: from the fraction of packets
/// lost since its last update,
/// - under 2 %: +8 % (at most once per `increaseInterval`, 1 s);
/// - 2 … 10 %: hold;
/// - over 10 %: × (1 − 0.5 × loss) (at most once per `decreaseInterval`, 300 ms).
///
/// Losses are counted over at least `minimumPackets` reports before a decision.
/// Rates in bit/s, times in seconds.
public struct LossBasedEstimator: Sendable {
    public var minimumRate: Double
    public var maximumRate: Double
    public var increaseInterval = 1.0
    public var decreaseInterval = 0.3
    public var minimumPackets = 20
    public private(set) var rate: Double
    /// The loss fraction of the last decision.
    public private(set) var lossFraction = 0.0
    private var received = 0
    private var lost = 0
    private var lastIncrease: Double?
    private var lastDecrease: Double?

    public init(startRate: Double, minimumRate: Double, maximumRate: Double) {
        self.minimumRate = minimumRate
        self.maximumRate = max(minimumRate, maximumRate)
        rate = min(max(startRate, minimumRate), self.maximumRate)
    }

    /// The rule alone: the new rate for `rate` after a loss fraction.
    public static func apply(lossFraction: Double, to rate: Double) -> Double {
        if lossFraction < 0.02 { return rate * 1.08 }
        if lossFraction <= 0.10 { return rate }
        return rate * (1 - 0.5 * min(lossFraction, 1))
    }

    /// Counts the packets of one feedback and decides when enough have been counted.
    @discardableResult
    public mutating func update(packetsReceived: Int, packetsLost: Int, at now: Double) -> Double {
        received += max(0, packetsReceived)
        lost += max(0, packetsLost)
        let total = received + lost
        guard total >= minimumPackets else { return rate }
        let fraction = Double(lost) / Double(total)
        if fraction < 0.02 {
            if let last = lastIncrease, now - last < increaseInterval { return rate }
            lastIncrease = now
        } else if fraction > 0.10 {
            if let last = lastDecrease, now - last < decreaseInterval { return rate }
            lastDecrease = now
        }
        lossFraction = fraction
        received = 0
        lost = 0
        rate = min(max(Self.apply(lossFraction: fraction, to: rate), minimumRate), maximumRate)
        return rate
    }

    /// Keeps the estimate within `[minimumRate, limit]` (the combiner holds it near the
    /// delay-based estimate so it cannot run far ahead while there is no loss).
    public mutating func limit(to upper: Double) {
        rate = min(max(min(rate, upper), minimumRate), maximumRate)
    }

    /// Raises the estimate to at least `value` (a probe found more capacity).
    public mutating func raise(to value: Double) {
        rate = min(max(rate, value), maximumRate)
    }
}
