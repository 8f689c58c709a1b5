import ParleyConference

/// The network emulator (`ParleyConference.NetworkModel`) as a `LinkModel` for an
/// in-process link: each packet's fate — lost (and why), delayed, duplicated — comes from
/// the seeded model, so a run is the same every time for the same profile and seed.
public final class EmulatedLinkModel: LinkModel {
    public let profile: NetworkProfile
    public let seed: UInt64
    private var model: NetworkModel
    public private(set) var statistics = Statistics()

    /// What the emulated network did, for the report.
    public struct Statistics: Codable, Sendable, Equatable {
        public var packetsSent = 0
        public var packetsLost = 0
        public var lostRandom = 0
        public var lostBurst = 0
        public var lostQueue = 0
        public var lostBlackout = 0
        public var lostTrace = 0
        public var packetsDuplicated = 0
        public var packetsHeldBack = 0
        /// Network delay of the packets that arrived (seconds): sum and maximum.
        public var totalDelay = 0.0
        public var maximumDelay = 0.0
    }

    public init(profile: NetworkProfile, seed: UInt64) {
        self.profile = profile
        self.seed = seed
        model = NetworkModel(profile: profile, seed: seed)
    }

    public func transmit(size: Int, at time: Double, arrivals: inout [Double]) {
        statistics.packetsSent += 1
        switch model.fate(size: size, at: time) {
        case .lost(let cause):
            statistics.packetsLost += 1
            switch cause {
            case .random: statistics.lostRandom += 1
            case .burst: statistics.lostBurst += 1
            case .queue: statistics.lostQueue += 1
            case .blackout: statistics.lostBlackout += 1
            case .trace: statistics.lostTrace += 1
            }
        case .delivered(let arrival, let duplicate, let heldBack):
            arrivals.append(arrival)
            let delay = max(0, arrival - time)
            statistics.totalDelay += delay
            statistics.maximumDelay = max(statistics.maximumDelay, delay)
            if heldBack { statistics.packetsHeldBack += 1 }
            if let duplicate {
                arrivals.append(duplicate)
                statistics.packetsDuplicated += 1
            }
        }
    }

    /// Mean network delay of the packets that arrived, seconds.
    public var meanDelay: Double {
        let arrived = statistics.packetsSent - statistics.packetsLost
        return arrived > 0 ? statistics.totalDelay / Double(arrived) : 0
    }
}
