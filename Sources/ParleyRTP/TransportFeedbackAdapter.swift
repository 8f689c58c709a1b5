/// The sender's side of transport-wide congestion control: it remembers every packet sent
/// with a transport-wide sequence number (send time, size, probe cluster) and turns each
/// `RTCPTransportFeedback` into per-packet results — send time, arrival time (in the
/// receiver's time base) or lost, size — for the bandwidth estimators.
///
/// - History is a fixed ring of `capacity` packets (allocated once): older packets are
///   forgotten, and feedback about them is ignored.
/// - Sequence numbers are unwrapped (16 → 64 bits) on send; feedback is placed near the
///   newest packet sent, so it works across the 0xFFFF → 0 wrap.
/// - The 24-bit reference time (64 ms units, wraps every ~12.4 days) is unwrapped against the
///   previous feedback, so arrival times keep increasing across its wrap.
/// - Feedback may come out of order or twice: a packet is reported received only once;
///   it is reported lost only once and only if no feedback has said it was received
///   (a later feedback that finds it received reports it then).
public struct TransportFeedbackAdapter: Sendable {
    /// One packet as the estimators see it.
    public struct PacketResult: Equatable, Sendable {
        /// The unwrapped transport-wide sequence number.
        public var sequenceNumber: Int64
        /// Seconds on the sender's clock.
        public var sendTime: Double
        /// Seconds in the receiver's time base (only differences mean anything); nil if
        /// lost, or received without a receive delta.
        public var arrivalTime: Double?
        public var received: Bool
        public var size: Int
        /// The probe cluster the packet belonged to, if any.
        public var probeCluster: Int?

        public init(sequenceNumber: Int64, sendTime: Double, arrivalTime: Double?, received: Bool, size: Int, probeCluster: Int? = nil) {
            self.sequenceNumber = sequenceNumber
            self.sendTime = sendTime
            self.arrivalTime = arrivalTime
            self.received = received
            self.size = size
            self.probeCluster = probeCluster
        }
    }

    private enum Report: UInt8, Sendable { case none, lost, received }

    private struct Entry: Sendable {
        var sequenceNumber: Int64 = -1
        var sendTime = 0.0
        var size = 0
        var probeCluster = -1
        var report = Report.none
    }

    public let capacity: Int
    private var entries: [Entry]
    private var sent = SequenceNumberUnwrapper()
    /// Unwrapped reference time of the last feedback, in 64 ms units.
    private var lastReferenceTime: Int64?
    /// Feedback packets accepted so far.
    public private(set) var feedbackCount = 0

    /// `capacity`: packets remembered (at most 32768, so that feedback is never ambiguous).
    public init(capacity: Int = 8192) {
        self.capacity = min(max(capacity, 16), 32768)
        entries = Array(repeating: Entry(), count: self.capacity)
    }

    /// Records a packet just sent with transport-wide sequence number `sequenceNumber`.
    public mutating func onPacketSent(sequenceNumber: UInt16, size: Int, at time: Double, probeCluster: Int? = nil) {
        let extended = sent.unwrap(sequenceNumber)
        entries[slot(extended)] = Entry(sequenceNumber: extended, sendTime: time, size: size, probeCluster: probeCluster ?? -1, report: .none)
    }

    /// Results for the packets `feedback` reports that were sent and not reported before
    /// (see the type's notes), in sequence order. Unknown or forgotten packets are skipped.
    public mutating func onFeedback(_ feedback: RTCPTransportFeedback) -> [PacketResult] {
        guard sent.highest != nil else { return [] }
        feedbackCount += 1
        let reference = unwrapReference(feedback.referenceTime)
        var arrival = Double(reference) * RTCPTransportFeedback.referenceTimeUnit
        var results: [PacketResult] = []
        let base = sent.peek(feedback.baseSequenceNumber)
        for (offset, status) in feedback.packetResults.enumerated() {
            var arrivalTime: Double?
            if let delta = status.receiveDelta {
                arrival += Double(delta) * RTCPTransportFeedback.receiveDeltaUnit
                arrivalTime = arrival
            }
            let sequence = base + Int64(offset)
            let index = slot(sequence)
            guard sequence >= 0, entries[index].sequenceNumber == sequence else { continue }
            let entry = entries[index]
            if status.received {
                guard entry.report != .received else { continue }
                entries[index].report = .received
            } else {
                guard entry.report == .none else { continue }
                entries[index].report = .lost
            }
            results.append(PacketResult(sequenceNumber: sequence, sendTime: entry.sendTime, arrivalTime: arrivalTime,
                                        received: status.received, size: entry.size,
                                        probeCluster: entry.probeCluster >= 0 ? entry.probeCluster : nil))
        }
        return results
    }

    private func slot(_ sequence: Int64) -> Int {
        Int(((sequence % Int64(capacity)) + Int64(capacity)) % Int64(capacity))
    }

    private mutating func unwrapReference(_ value: UInt32) -> Int64 {
        let raw = Int64(value & 0xFF_FFFF)
        guard let last = lastReferenceTime else {
            lastReferenceTime = raw
            return raw
        }
        var delta = (raw - last) & 0xFF_FFFF
        if delta >= 0x80_0000 { delta -= 0x100_0000 }
        let unwrapped = last + delta
        lastReferenceTime = max(last, unwrapped)
        return unwrapped
    }
}
