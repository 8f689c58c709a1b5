import Testing
@testable import ParleyRTP

/// RFC 3550 A.1 (validation, sequence tracking), A.3 (loss) and A.8 (jitter).
@Suite struct ReceiverStatisticsTests {
    /// Feeds `sequence` (8 kHz, 20 ms packets) with arrivals on time.
    private func feed(_ stats: inout ReceiverStatistics, _ sequence: [UInt16], start: UInt16 = 0) {
        for seq in sequence {
            let index = Double(seq &- start)
            stats.received(sequenceNumber: seq, rtpTimestamp: UInt32(seq &- start) * 160, arrival: index * 0.02, clockRate: 8000)
        }
    }

    @Test func lossOfTenInAHundred() {
        var stats = ReceiverStatistics()
        // Packet 0 only starts probation (A.1 counts from the packet that completes it), so
        // 1…100 are the 100 expected packets; 10 of them are dropped.
        let dropped: Set<UInt16> = [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]
        feed(&stats, (0...100).filter { !dropped.contains($0) })
        #expect(stats.isValid)
        #expect(stats.expectedPackets == 100)
        #expect(stats.packetsReceived == 90)
        #expect(stats.packetsLost == 10)
        let block = stats.makeReportBlock(ssrc: 0x55, now: 3)
        #expect(block.ssrc == 0x55)
        #expect(block.fractionLost == 25)  // 10 × 256 / 100 = 25.6, truncated
        #expect(block.cumulativeLost == 10)
        #expect(block.extendedHighestSequence == 100)
        #expect(block.lastSR == 0 && block.delaySinceLastSR == 0)

        // Next interval: 50 packets, none lost.
        feed(&stats, Array(101...150))
        let next = stats.makeReportBlock(ssrc: 0x55, now: 4)
        #expect(next.fractionLost == 0)
        #expect(next.cumulativeLost == 10)
        #expect(next.extendedHighestSequence == 150)

        // Then 3 lost out of 8.
        feed(&stats, [151, 153, 155, 157, 158])
        let third = stats.makeReportBlock(ssrc: 0x55, now: 5)
        #expect(third.fractionLost == 3 * 256 / 8)
        #expect(third.cumulativeLost == 13)
    }

    @Test func duplicatesAreCountedAndMakeLossNegative() {
        var stats = ReceiverStatistics()
        feed(&stats, Array(0...20))
        feed(&stats, [15, 20, 20])
        #expect(stats.packetsDuplicated == 3)
        #expect(stats.packetsReceived == 23)
        #expect(stats.packetsLost == -3)
        let block = stats.makeReportBlock(ssrc: 1, now: 1)
        #expect(block.cumulativeLost == -3)
        #expect(block.fractionLost == 0)
    }

    @Test func reorderingIsNotLossAndLateArrivalsCorrectTheNextReport() {
        var stats = ReceiverStatistics()
        feed(&stats, [0, 1, 2, 3, 5, 4, 6, 7])
        #expect(stats.packetsLost == 0)
        #expect(stats.packetsDuplicated == 0)
        #expect(stats.extendedHighestSequenceNumber == 7)

        feed(&stats, [8, 9, 11, 12, 13, 14, 15, 16, 17])  // 10 missing
        let first = stats.makeReportBlock(ssrc: 1, now: 1)
        #expect(first.cumulativeLost == 1)
        #expect(first.fractionLost == UInt8(256 / 17))  // 1 of the 17 expected (1…17)
        feed(&stats, [10, 18])  // 10 arrives late
        let second = stats.makeReportBlock(ssrc: 1, now: 2)
        #expect(second.cumulativeLost == 0)
        #expect(second.fractionLost == 0)  // lost in the interval is negative: reported as 0
    }

    @Test func sequenceNumbersWrapAt65535() {
        var stats = ReceiverStatistics()
        let start: UInt16 = 65530
        let sequence: [UInt16] = [65530, 65531, 65532, 65533, 65534, 65535, 1, 2, 3, 4, 5, 6, 7, 8, 9]  // 0 lost
        feed(&stats, sequence, start: start)
        #expect(stats.extendedHighestSequenceNumber == 65536 + 9)
        #expect(stats.expectedPackets == 65545 - 65531 + 1)
        #expect(stats.packetsLost == 1)
        let block = stats.makeReportBlock(ssrc: 1, now: 1)
        #expect(block.extendedHighestSequence == 0x0001_0009)
        #expect(block.cumulativeLost == 1)
        // A packet from before the wrap arriving late is reordering, not a new cycle.
        stats.received(sequenceNumber: 0, rtpTimestamp: 6 * 160, arrival: 0.2, clockRate: 8000)
        #expect(stats.packetsLost == 0)
        #expect(stats.extendedHighestSequenceNumber == 65545)
    }

    @Test func probationNeedsTwoSequentialPackets() {
        var stats = ReceiverStatistics()
        let r1 = stats.received(sequenceNumber: 10, rtpTimestamp: 0, arrival: 0, clockRate: 90000)
        #expect(!r1)
        let r2 = stats.received(sequenceNumber: 20, rtpTimestamp: 0, arrival: 0, clockRate: 90000)
        #expect(!r2)
        let r3 = stats.received(sequenceNumber: 30, rtpTimestamp: 0, arrival: 0, clockRate: 90000)
        #expect(!r3)
        #expect(!stats.isValid)
        #expect(stats.packetsReceived == 0)
        let r4 = stats.makeReportBlock(ssrc: 3, now: 0)
        #expect(r4 == RTCPReportBlock(ssrc: 3))
        let r5 = stats.received(sequenceNumber: 31, rtpTimestamp: 0, arrival: 0, clockRate: 90000)
        #expect(r5)
        #expect(stats.isValid)
        #expect(stats.packetsReceived == 1)
        #expect(stats.packetsDiscardedByValidation == 3)
    }

    @Test func largeJumpRestartsOnlyWhenTheNextPacketConfirmsIt() {
        var stats = ReceiverStatistics()
        feed(&stats, Array(100...200), start: 100)
        #expect(stats.packetsReceived == 100)

        // A lone stray packet far away is dropped and the stream goes on.
        let r6 = stats.received(sequenceNumber: 40000, rtpTimestamp: 0, arrival: 2.1, clockRate: 8000)
        #expect(!r6)
        let r7 = stats.received(sequenceNumber: 201, rtpTimestamp: 101 * 160, arrival: 2.02, clockRate: 8000)
        #expect(r7)
        #expect(stats.sequenceRestarts == 0)
        #expect(stats.packetsReceived == 101)
        #expect(stats.packetsDiscardedByValidation == 2)  // probation packet 100 and the stray

        // A jump followed by its successor: the sender restarted, counters start again.
        let r8 = stats.received(sequenceNumber: 10000, rtpTimestamp: 0, arrival: 3, clockRate: 8000)
        #expect(!r8)
        let r9 = stats.received(sequenceNumber: 10001, rtpTimestamp: 160, arrival: 3.02, clockRate: 8000)
        #expect(r9)
        #expect(stats.sequenceRestarts == 1)
        #expect(stats.packetsReceived == 1)
        #expect(stats.extendedHighestSequenceNumber == 10001)
        #expect(stats.packetsLost == 0)

        // A gap under MAX_DROPOUT is loss, not a restart.
        let r10 = stats.received(sequenceNumber: 12001, rtpTimestamp: 2001 * 160, arrival: 43, clockRate: 8000)
        #expect(r10)
        #expect(stats.packetsLost == 1999)
        #expect(stats.sequenceRestarts == 1)
    }

    /// The RFC's integer jitter against the same formula run independently in Double.
    @Test func jitterFollowsTheRFCFormula() {
        // Arrivals alternate between on time and 5 ms late: |D| = 40 units at 8 kHz.
        var stats = ReceiverStatistics()
        var j = 0.0
        var previousTransit: Double?
        let rtpStart: UInt32 = UInt32.max - 3000  // the RTP timestamp wraps during the run
        for i in 0..<400 {
            let ts = rtpStart &+ UInt32(i * 160)
            let arrival = 10 + Double(i) * 0.02 + (i % 2 == 1 ? 0.005 : 0)
            stats.received(sequenceNumber: UInt16(i), rtpTimestamp: ts, arrival: arrival, clockRate: 8000)
            // Double reference, skipping packet 0 (probation) as the statistics do.
            if i >= 1 {
                let transit = arrival * 8000 - Double(i * 160)
                if let p = previousTransit { j += (abs(transit - p) - j) / 16 }
                previousTransit = transit
            }
        }
        #expect(abs(Double(stats.jitterTimestampUnits) - j) < 1.5)
        // The Double form tends to 40; the RFC's integer form stops climbing once
        // (J16 + 8) >> 4 reaches 40, at J16 = 632, and reports 632 >> 4 = 39.
        #expect(j > 39.99)
        #expect(stats.jitterTimestampUnits == 39)
        #expect(abs(stats.jitter - 632.0 / 16 / 8000) < 1e-12)
        let block = stats.makeReportBlock(ssrc: 1, now: 20)
        #expect(block.jitter == 39)
    }

    @Test func jitterTracksAnIrregularPattern() {
        var rng = RTCPRandom(seed: 99)
        var stats = ReceiverStatistics()
        var j = 0.0
        var previousTransit: Double?
        for i in 0..<2000 {
            let delay = Double.random(in: 0..<0.030, using: &rng)
            let arrival = Double(i) * 0.02 + delay
            stats.received(sequenceNumber: UInt16(i), rtpTimestamp: UInt32(i * 960), arrival: arrival, clockRate: 48000)
            if i >= 1 {
                let transit = (arrival * 48000).rounded() - Double(i * 960)
                if let p = previousTransit { j += (abs(transit - p) - j) / 16 }
                previousTransit = transit
            }
            if i > 100 {
                #expect(abs(Double(stats.jitterTimestampUnits) - j) < 1.5, "packet \(i)")
            }
        }
        // Uniform delays over 30 ms: E|D| = 10 ms = 480 units at 48 kHz.
        #expect(abs(stats.jitter - 0.010) < 0.003)
    }

    @Test func badValuesNeverTrap() {
        var stats = ReceiverStatistics()
        for (i, arrival) in [Double.nan, .infinity, -.infinity, 1e300, -1e300, 0].enumerated() {
            stats.received(sequenceNumber: UInt16(i), rtpTimestamp: UInt32.max, arrival: arrival, clockRate: i == 2 ? 0 : Int.max)
        }
        stats.received(sequenceNumber: 6, rtpTimestamp: 0, arrival: 1, clockRate: -5)
        _ = stats.makeReportBlock(ssrc: 1, now: .nan, lastSRNtpMiddle: 5, lastSRArrival: .infinity)
        _ = stats.makeReportBlock(ssrc: 1, now: 1e300, lastSRNtpMiddle: 5, lastSRArrival: -1e300)
        #expect(stats.packetsReceived == 6)
    }

    @Test func reportBlockCarriesLSRAndDLSR() {
        var stats = ReceiverStatistics()
        feed(&stats, Array(0...10))
        let block = stats.makeReportBlock(ssrc: 1, now: 100.75, lastSRNtpMiddle: 0xABCD_1234, lastSRArrival: 100.0)
        #expect(block.lastSR == 0xABCD_1234)
        #expect(block.delaySinceLastSR == 49152)  // 0.75 s × 65536
    }
}
