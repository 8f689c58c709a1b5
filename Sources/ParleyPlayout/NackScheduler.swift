/// Which RTP packets of a video stream to ask for again (generic NACK, RFC 4585 §6.2.1),
/// and when — the receiver side of retransmission, as WebRTC's NackRequester does it:
///
/// - A gap in the sequence numbers makes its packets *missing*. After `reorderingGrace`
///   (0 by default: ask at once) a missing packet is due.
/// - `due(now:roundTripTime:)` returns the packets to put in one NACK now and schedules
///   their next try one round trip later (at least `minimumRetryInterval`; the default
///   round trip until one is measured is `defaultRoundTripTime`), so a retransmission that
///   is on its way is not asked for twice.
/// - A packet that arrives (late or retransmitted) stops being missing: `recovered`.
/// - A packet asked for `maximumRetries` times, older than `maximumAge`, or pushed out
///   because more than `maximumMissing` packets are missing is *given up*: the frame it
///   belonged to is lost, and the caller needs a keyframe. `takeGivenUp()` hands those
///   sequence numbers out once.
///
/// Times are seconds on the receiver's clock (virtual in tests). Sequence numbers wrap at
/// 65536; they are unwrapped against the highest seen. Not thread-safe.
public final class NackScheduler {
    public struct Configuration: Sendable, Equatable {
        public var maximumRetries = 10
        public var minimumRetryInterval = 0.02
        public var defaultRoundTripTime = 0.1
        public var reorderingGrace = 0.0
        public var maximumAge = 1.0
        public var maximumMissing = 1000

        public init() {}
    }

    /// What the scheduler did so far (webrtc-stats `nackCount` is `nackPackets`).
    public struct Counters: Sendable, Equatable, Codable {
        /// NACK messages asked for (calls of `due` that returned packets).
        public var nackPackets = 0
        /// Sequence numbers asked for, retries included.
        public var nackedSequenceNumbers = 0
        /// Missing packets that arrived after all.
        public var recovered = 0
        /// Missing packets given up.
        public var givenUp = 0
        /// Packets that arrived twice, or older than anything tracked.
        public var duplicatesOrStale = 0
    }

    private struct Entry {
        var firstMissing: Double
        var nextTry: Double
        var retries: Int
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    private var highest: Int64?
    private var missing: [Int64: Entry] = [:]
    private var givenUp: [UInt16] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Packets currently missing (not yet arrived, not yet given up).
    public var missingCount: Int { missing.count }

    /// The unwrapped value of `sequenceNumber`: the one nearest the highest seen.
    func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let highest else { return Int64(sequenceNumber) + 65_536 }
        var value = (highest & ~0xFFFF) | Int64(sequenceNumber)
        if value - highest > 32_768 { value -= 65_536 } else if highest - value > 32_768 { value += 65_536 }
        return value
    }

    /// A packet arrived. Returns true if it was missing (a late or retransmitted packet).
    @discardableResult
    public func received(sequenceNumber: UInt16, now: Double) -> Bool {
        let value = unwrap(sequenceNumber)
        guard let top = highest else {
            highest = value
            return false
        }
        if value > top {
            let gap = value - top - 1
            if gap > Int64(configuration.maximumMissing) {
                // Too far ahead to track: everything missing is lost; start over from here.
                giveUpAll()
                highest = value
                return false
            }
            var next = top + 1
            while next < value {
                missing[next] = Entry(firstMissing: now, nextTry: now + configuration.reorderingGrace, retries: 0)
                next += 1
            }
            highest = value
            trimToLimit()
            return false
        }
        if missing.removeValue(forKey: value) != nil {
            counters.recovered += 1
            return true
        }
        counters.duplicatesOrStale += 1
        return false
    }

    /// The sequence numbers to NACK now (ascending), at most `limit`; each is scheduled
    /// again one round trip later. Packets past their retries or age are given up first.
    public func due(now: Double, roundTripTime: Double?, limit: Int = 200) -> [UInt16] {
        let retryInterval = max(configuration.minimumRetryInterval, roundTripTime ?? configuration.defaultRoundTripTime)
        var expired: [Int64] = []
        var ready: [Int64] = []
        for (key, entry) in missing {
            if entry.retries >= configuration.maximumRetries || now - entry.firstMissing > configuration.maximumAge {
                expired.append(key)
            } else if entry.nextTry <= now {
                ready.append(key)
            }
        }
        for key in expired.sorted() { giveUp(key) }
        ready.sort()
        if ready.count > limit { ready.removeLast(ready.count - limit) }
        for key in ready {
            missing[key]?.retries += 1
            missing[key]?.nextTry = now + retryInterval
        }
        if !ready.isEmpty {
            counters.nackPackets += 1
            counters.nackedSequenceNumbers += ready.count
        }
        return ready.map { UInt16(truncatingIfNeeded: $0) }
    }

    /// The sequence numbers given up since the last call (each once).
    public func takeGivenUp() -> [UInt16] {
        defer { givenUp.removeAll(keepingCapacity: true) }
        return givenUp
    }

    /// Forgets everything (a new stream, an SSRC change, or after a keyframe made the
    /// old packets useless).
    public func reset() {
        missing.removeAll()
        highest = nil
        givenUp.removeAll()
    }

    /// Gives up every missing packet older than `sequenceNumber` (e.g. a keyframe after
    /// them arrived, so they are no longer needed); they are not reported as given up.
    public func forget(before sequenceNumber: UInt16) {
        let limit = unwrap(sequenceNumber)
        for key in missing.keys where key < limit { missing.removeValue(forKey: key) }
    }

    private func trimToLimit() {
        guard missing.count > configuration.maximumMissing else { return }
        let overflow = missing.count - configuration.maximumMissing
        for key in missing.keys.sorted().prefix(overflow) { giveUp(key) }
    }

    private func giveUp(_ key: Int64) {
        guard missing.removeValue(forKey: key) != nil else { return }
        counters.givenUp += 1
        givenUp.append(UInt16(truncatingIfNeeded: key))
    }

    private func giveUpAll() {
        for key in missing.keys.sorted() { giveUp(key) }
    }
}
