/// Reception statistics for one RTP source, as RFC 3550 Appendix A prescribes:
/// source validation and sequence tracking (A.1), expected/lost packets and the fraction
/// lost per report interval (A.3), and interarrival jitter with the integer algorithm of
/// A.8. Feed it every RTP packet of the source; ask it for a report block when an SR or
/// RR is due. Properties use the W3C webrtc-stats names where one exists.
///
/// Choices the RFC leaves open, made here:
/// - As in A.1, the packet that starts probation is not counted: counting starts with the
///   packet that completes it (`MIN_SEQUENTIAL` = 2 in-order packets), and a restart after
///   a large jump resets the counters (`sequenceRestarts` counts them).
/// - Duplicates are counted in `packetsReceived` (so `packetsLost` can go negative, as
///   the RFC says) and also in `packetsDuplicated`, detected over the last 1024 sequence
///   numbers. They do not update the jitter.
/// - Jitter is updated for every accepted packet, including several packets with the same
///   RTP timestamp (the RFC's formula; libwebrtc skips those).
///
/// No allocation per packet: the duplicate window is allocated once, in `init`.
public struct ReceiverStatistics: Sendable {
    public static let minSequential = 2
    public static let maxDropout: UInt16 = 3000
    public static let maxMisorder: UInt16 = 100
    private static let sequenceModulus: UInt32 = 1 << 16
    private static let windowBits = 1024

    // A.1 source state.
    private var started = false
    private var maxSeq: UInt16 = 0
    /// Shifted count of sequence number cycles (a multiple of 2^16).
    private var cycles: UInt32 = 0
    private var baseSeq: UInt32 = 0
    private var badSeq: UInt32 = sequenceModulus + 1
    private var probation = 0
    private var receivedCount: Int64 = 0
    private var expectedPrior: Int64 = 0
    private var receivedPrior: Int64 = 0

    // A.8 jitter state.
    private var lastTransit: UInt32 = 0
    private var haveTransit = false
    /// Jitter × 16 in timestamp units, as the RFC's `s->jitter`.
    private var jitterQ4: UInt32 = 0
    private var clockRate = 0

    /// Bit i set: extended sequence number ≡ i (mod 1024), within 1024 of the highest, seen.
    private var seen: [UInt64]

    /// True once the source passed probation (A.1).
    public private(set) var isValid = false
    /// Duplicates among the last 1024 sequence numbers (also in `packetsReceived`).
    public private(set) var packetsDuplicated = 0
    /// Packets source validation refused: during probation, or a large jump not (yet)
    /// confirmed by the next packet.
    public private(set) var packetsDiscardedByValidation = 0
    /// Restarts of the sequence space after a confirmed large jump.
    public private(set) var sequenceRestarts = 0
    /// Fraction lost (1/256) in the last report block made.
    public private(set) var fractionLost: UInt8 = 0

    public init() {
        seen = [UInt64](repeating: 0, count: Self.windowBits / 64)
    }

    // MARK: webrtc-stats

    /// Packets received since counting started (duplicates included), RFC 3550 `received`.
    public var packetsReceived: Int { Int(receivedCount) }

    /// Expected minus received since counting started; negative with duplicates.
    public var packetsLost: Int { isValid ? Int(expectedPackets - receivedCount) : 0 }

    /// Interarrival jitter in seconds (0 before the clock rate is known).
    public var jitter: Double { clockRate > 0 ? Double(jitterQ4) / 16 / Double(clockRate) : 0 }

    /// Interarrival jitter in RTP timestamp units, as a report block carries it.
    public var jitterTimestampUnits: UInt32 { jitterQ4 >> 4 }

    /// Cycles × 2^16 + highest sequence number received.
    public var extendedHighestSequenceNumber: UInt32 {
        UInt32(truncatingIfNeeded: Int64(cycles) + Int64(maxSeq))
    }

    /// Packets expected since counting started (A.3).
    public var expectedPackets: Int64 {
        isValid ? Int64(cycles) + Int64(maxSeq) - Int64(baseSeq) + 1 : 0
    }

    // MARK: Feeding

    /// Records one RTP packet. `arrival` is in seconds on any steady clock; `clockRate` is
    /// the payload's RTP clock rate in Hz. Returns whether source validation accepted it
    /// (false during probation and for an unconfirmed jump). Never traps, whatever the
    /// values.
    @discardableResult
    public mutating func received(sequenceNumber seq: UInt16, rtpTimestamp: UInt32, arrival: Double, clockRate: Int) -> Bool {
        if !started {
            started = true
            initSequence(seq)
            maxSeq = seq &- 1
            probation = Self.minSequential
            isValid = false
        }
        guard let duplicate = updateSequence(seq) else {
            packetsDiscardedByValidation += 1
            return false
        }
        if duplicate {
            packetsDuplicated += 1
        } else {
            updateJitter(rtpTimestamp: rtpTimestamp, arrival: arrival, clockRate: clockRate)
        }
        return true
    }

    private mutating func initSequence(_ seq: UInt16) {
        baseSeq = UInt32(seq)
        maxSeq = seq
        badSeq = Self.sequenceModulus + 1
        cycles = 0
        receivedCount = 0
        receivedPrior = 0
        expectedPrior = 0
        haveTransit = false
        for i in seen.indices { seen[i] = 0 }
        mark(Int64(seq))
    }

    /// RFC 3550 A.1 `update_seq`: nil when the packet is not valid, else whether it is a
    /// duplicate.
    private mutating func updateSequence(_ seq: UInt16) -> Bool? {
        let udelta = seq &- maxSeq
        let highest = Int64(cycles) + Int64(maxSeq)
        var duplicate = false
        if probation > 0 {
            // Packet is in sequence: one step closer to a valid source.
            if seq == maxSeq &+ 1 {
                probation -= 1
                maxSeq = seq
                if probation == 0 {
                    initSequence(seq)
                    isValid = true
                    receivedCount += 1
                    return false
                }
            } else {
                probation = Self.minSequential - 1
                maxSeq = seq
            }
            return nil
        } else if udelta < Self.maxDropout {
            // In order, with a permissible gap (0 repeats the highest).
            if udelta == 0 {
                duplicate = isSeen(highest)
            } else {
                if seq < maxSeq { cycles &+= Self.sequenceModulus }
                advanceWindow(from: highest, by: Int64(udelta))
                maxSeq = seq
            }
            mark(Int64(cycles) + Int64(maxSeq))
        } else if UInt32(udelta) <= Self.sequenceModulus - UInt32(Self.maxMisorder) {
            // A very large jump: restart if the next packet confirms it.
            if UInt32(seq) == badSeq {
                initSequence(seq)
                sequenceRestarts += 1
            } else {
                badSeq = (UInt32(seq) + 1) & (Self.sequenceModulus - 1)
                return nil
            }
        } else {
            // Duplicate or reordered packet, up to MAX_MISORDER behind.
            let ext = highest - Int64(Self.sequenceModulus - UInt32(udelta))
            duplicate = isSeen(ext)
            mark(ext)
        }
        receivedCount += 1
        return duplicate
    }

    private func isSeen(_ ext: Int64) -> Bool {
        let i = Int(truncatingIfNeeded: ext) & (Self.windowBits - 1)
        return seen[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    private mutating func mark(_ ext: Int64) {
        let i = Int(truncatingIfNeeded: ext) & (Self.windowBits - 1)
        seen[i >> 6] |= 1 << UInt64(i & 63)
    }

    /// Clears the window positions the highest sequence number moves over.
    private mutating func advanceWindow(from highest: Int64, by steps: Int64) {
        if steps >= Int64(Self.windowBits) {
            for i in seen.indices { seen[i] = 0 }
            return
        }
        var ext = highest + 1
        while ext <= highest + steps {
            let i = Int(truncatingIfNeeded: ext) & (Self.windowBits - 1)
            seen[i >> 6] &= ~(1 << UInt64(i & 63))
            ext += 1
        }
    }

    /// RFC 3550 A.8, in RTP timestamp units with the RFC's integer arithmetic.
    private mutating func updateJitter(rtpTimestamp: UInt32, arrival: Double, clockRate: Int) {
        guard clockRate > 0 else { return }
        let units = (arrival * Double(clockRate)).rounded()
        guard units.isFinite else { return }
        self.clockRate = clockRate
        // Only the low 32 bits matter: transit differences are taken mod 2^32.
        let arrivalUnits = UInt32(truncatingIfNeeded: Int64(units.truncatingRemainder(dividingBy: 4_294_967_296)))
        let transit = arrivalUnits &- rtpTimestamp
        if haveTransit {
            let d = Int64(Int32(bitPattern: transit &- lastTransit).magnitude)
            let j = Int64(jitterQ4) + d - ((Int64(jitterQ4) + 8) >> 4)
            jitterQ4 = UInt32(clamping: j)
        }
        lastTransit = transit
        haveTransit = true
    }

    // MARK: Reporting

    /// A report block for this source (RFC 3550 A.3), starting a new report interval.
    /// `lastSRNtpMiddle` is the middle 32 bits of the NTP timestamp of the last SR received
    /// from the source and `lastSRArrival` when it arrived (same clock as `now`, seconds);
    /// without them LSR and DLSR are 0. Before the source is valid the block reports
    /// nothing lost.
    public mutating func makeReportBlock(
        ssrc: UInt32, now: Double, lastSRNtpMiddle: UInt32? = nil, lastSRArrival: Double? = nil
    ) -> RTCPReportBlock {
        var block = RTCPReportBlock(ssrc: ssrc)
        if let lsr = lastSRNtpMiddle, let at = lastSRArrival, lsr != 0 {
            block.lastSR = lsr
            let delay = (now - at) * 65536
            block.delaySinceLastSR = delay.isNaN ? 0 : UInt32(clamping: Int64(max(0, min(delay, 4_294_967_295))))
        }
        guard isValid else { return block }
        let expected = expectedPackets
        let lost = expected - receivedCount
        block.cumulativeLost = Int32(clamping: min(max(lost, -8_388_608), 8_388_607))
        let expectedInterval = expected - expectedPrior
        expectedPrior = expected
        let receivedInterval = receivedCount - receivedPrior
        receivedPrior = receivedCount
        let lostInterval = expectedInterval - receivedInterval
        if expectedInterval == 0 || lostInterval <= 0 {
            fractionLost = 0
        } else {
            fractionLost = UInt8(clamping: (lostInterval << 8) / expectedInterval)
        }
        block.fractionLost = fractionLost
        block.extendedHighestSequence = extendedHighestSequenceNumber
        block.jitter = jitterTimestampUnits
        return block
    }
}
