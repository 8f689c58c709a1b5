/// Loss runs of a packet sequence, counted one packet at a time in constant space, and
/// the E-model burst ratio they give.
///
/// BurstR (ITU-T G.107 §7.5) = mean length of the observed loss bursts ÷ mean burst
/// length expected under random loss at the same loss ratio. Under random (Bernoulli)
/// loss with probability p a burst lasts 1/(1 − p) packets on average, so
/// BurstR = meanBurstLength · (1 − p). It is 1 for random loss, above 1 for bursty loss
/// and below 1 when losses are spread out more evenly than chance (e.g. every other
/// packet). Feed packets in sequence-number order; a packet that arrives too late to be
/// played counts as lost.
public struct LossRunStatistics: Sendable, Equatable, Codable {
    /// Packets recorded, lost or not.
    public private(set) var packets: Int = 0
    /// Packets recorded as lost.
    public private(set) var lost: Int = 0
    /// Number of loss runs (maximal sequences of consecutive lost packets).
    public private(set) var bursts: Int = 0
    /// Longest loss run.
    public private(set) var longestBurst: Int = 0
    private var currentRun: Int = 0

    public init() {}

    /// The statistics of a loss indicator sequence (`true`: lost).
    public init<S: Sequence>(lossIndicators: S) where S.Element == Bool {
        for lostPacket in lossIndicators { record(lost: lostPacket) }
    }

    /// Records the next packet in sequence order.
    public mutating func record(lost isLost: Bool) {
        packets += 1
        if isLost {
            lost += 1
            if currentRun == 0 { bursts += 1 }
            currentRun += 1
            longestBurst = Swift.max(longestBurst, currentRun)
        } else {
            currentRun = 0
        }
    }

    /// Lost packets ÷ packets (0 when nothing was recorded).
    public var lossRatio: Double { packets > 0 ? Double(lost) / Double(packets) : 0 }

    /// Mean length of the loss runs (0 without loss).
    public var meanBurstLength: Double { bursts > 0 ? Double(lost) / Double(bursts) : 0 }

    /// BurstR = meanBurstLength · (1 − lossRatio). 1 when nothing was lost (the value does
    /// not matter then) and when every packet was lost (no reference run exists).
    public var burstRatio: Double {
        guard lost > 0, lost < packets else { return 1 }
        return meanBurstLength * (1 - lossRatio)
    }

    /// BurstR of a loss indicator sequence (`true`: lost); see `burstRatio`.
    public static func burstRatio<S: Sequence>(lossIndicators: S) -> Double where S.Element == Bool {
        LossRunStatistics(lossIndicators: lossIndicators).burstRatio
    }
}
