/// The RTCP transmission interval of RFC 3550 §6.3.1 and Appendix A.7 (`rtcp_interval`):
/// RTCP takes 5 % of the session bandwidth, a quarter of it for senders when they are at
/// most a quarter of the members, with a 5 s minimum (2.5 s before the first RTCP packet),
/// randomized over [0.5, 1.5) × the deterministic interval and divided by e − 3/2 to
/// compensate for timer reconsideration.
///
/// Left out: timer reconsideration and reverse reconsideration (§6.3.3–6.3.7, the
/// tp/tn/pmembers bookkeeping and BYE reconsideration) and the optional reduced minimum
/// (360 / session kbit/s); the caller schedules the next report at now + `interval(…)`.
public struct RTCPInterval: Equatable, Sendable {
    public static let minimumInterval = 5.0
    public static let senderBandwidthFraction = 0.25
    public static let receiverBandwidthFraction = 0.75
    /// e − 3/2, as A.7 writes it (2.71828 − 1.5).
    public static let compensation = 2.71828 - 1.5

    /// Members of the session, this participant included.
    public var members: Int
    /// Members that sent RTP since the last two reports.
    public var senders: Int
    /// Bandwidth for RTCP in octets per second: 5 % of the session bandwidth.
    public var rtcpBandwidth: Double
    /// Whether this participant sent RTP since its last two reports.
    public var weSent: Bool
    /// Average compound RTCP packet size in octets, lower-layer (UDP, IP) headers included.
    public var averageRTCPSize: Double
    /// True until this participant has sent its first RTCP packet.
    public var initial: Bool

    public init(
        members: Int = 1, senders: Int = 0, rtcpBandwidth: Double, weSent: Bool = false,
        averageRTCPSize: Double, initial: Bool = true
    ) {
        self.members = members
        self.senders = senders
        self.rtcpBandwidth = rtcpBandwidth
        self.weSent = weSent
        self.averageRTCPSize = averageRTCPSize
        self.initial = initial
    }

    /// With the RTCP bandwidth at 5 % of `sessionBandwidth` (bits per second).
    public init(
        sessionBandwidth bitsPerSecond: Double, members: Int = 1, senders: Int = 0, weSent: Bool = false,
        averageRTCPSize: Double, initial: Bool = true
    ) {
        self.init(
            members: members, senders: senders, rtcpBandwidth: bitsPerSecond * 0.05 / 8, weSent: weSent,
            averageRTCPSize: averageRTCPSize, initial: initial)
    }

    /// Folds in the size of an RTCP compound packet sent or received (§6.3.3):
    /// avg = size / 16 + avg × 15 / 16. `size` includes the UDP and IP headers.
    public mutating func packetSent(size: Int) {
        averageRTCPSize = Double(size) / 16 + averageRTCPSize * 15 / 16
        initial = false
    }

    /// Same update for a received RTCP packet; does not clear `initial`.
    public mutating func packetReceived(size: Int) {
        averageRTCPSize = Double(size) / 16 + averageRTCPSize * 15 / 16
    }

    /// The interval before randomization and compensation: max(minimum, avg × n / bw).
    /// Without bandwidth (≤ 0 or not a number) this is the minimum.
    public var deterministicInterval: Double {
        let minimum = initial ? Self.minimumInterval / 2 : Self.minimumInterval
        var bandwidth = rtcpBandwidth
        var n = members
        if Double(senders) <= Double(members) * Self.senderBandwidthFraction {
            if weSent {
                bandwidth *= Self.senderBandwidthFraction
                n = senders
            } else {
                bandwidth *= Self.receiverBandwidthFraction
                n -= senders
            }
        }
        guard bandwidth > 0, averageRTCPSize.isFinite else { return minimum }
        let t = averageRTCPSize * Double(max(n, 0)) / bandwidth
        return t.isFinite ? max(t, minimum) : minimum
    }

    /// The interval for a given randomization factor (clamped to [0.5, 1.5]):
    /// deterministic × factor / (e − 3/2).
    public func interval(randomFactor: Double) -> Double {
        let factor = randomFactor.isNaN ? 1 : min(max(randomFactor, 0.5), 1.5)
        return deterministicInterval * factor / Self.compensation
    }

    /// The interval with the factor drawn uniformly from [0.5, 1.5).
    public func interval<R: RandomNumberGenerator>(using generator: inout R) -> Double {
        interval(randomFactor: Double.random(in: 0.5..<1.5, using: &generator))
    }

    /// The interval with a factor from a caller's source, e.g. `{ 1.0 }` in tests.
    public func interval(randomFactor source: () -> Double) -> Double {
        interval(randomFactor: source())
    }
}

/// A small seeded generator (SplitMix64) for deterministic RTCP timing in tests and
/// virtual-clock runs. Not for anything secret.
public struct RTCPRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
