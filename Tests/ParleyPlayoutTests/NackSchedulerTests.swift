import Testing

@testable import ParleyPlayout

@Suite("NackScheduler: which packets to ask for again, and when")
struct NackSchedulerTests {
    @Test func aGapIsNackedAtOnceThenAgainOneRoundTripLaterUntilItArrives() {
        let nack = NackScheduler()
        for sequence: UInt16 in 100...104 { nack.received(sequenceNumber: sequence, now: 0) }
        nack.received(sequenceNumber: 108, now: 0.010)  // 105, 106, 107 missing
        #expect(nack.missingCount == 3)
        #expect(nack.due(now: 0.010, roundTripTime: 0.050) == [105, 106, 107])
        #expect(nack.due(now: 0.030, roundTripTime: 0.050).isEmpty, "not again before a round trip")
        #expect(nack.received(sequenceNumber: 106, now: 0.055), "a retransmission is recognised")
        #expect(nack.due(now: 0.061, roundTripTime: 0.050) == [105, 107])
        #expect(nack.counters.nackPackets == 2)
        #expect(nack.counters.nackedSequenceNumbers == 5)
        #expect(nack.counters.recovered == 1)
        #expect(!nack.received(sequenceNumber: 106, now: 0.07), "a second copy is a duplicate")
        #expect(nack.counters.duplicatesOrStale == 1)
    }

    @Test func retriesAndAgeAreBoundedAndGivenUpPacketsAreReportedOnce() {
        var configuration = NackScheduler.Configuration()
        configuration.maximumRetries = 3
        configuration.maximumAge = 10
        let nack = NackScheduler(configuration: configuration)
        nack.received(sequenceNumber: 1, now: 0)
        nack.received(sequenceNumber: 3, now: 0)
        var asked = 0
        var time = 0.0
        while time < 2 {
            asked += nack.due(now: time, roundTripTime: 0.1).count
            time += 0.05
        }
        #expect(asked == 3, "exactly maximumRetries NACKs for one packet")
        #expect(nack.takeGivenUp() == [2])
        #expect(nack.takeGivenUp().isEmpty)
        #expect(nack.counters.givenUp == 1)

        // Age: a packet missing longer than maximumAge is given up even with retries left.
        let aged = NackScheduler()
        aged.received(sequenceNumber: 10, now: 0)
        aged.received(sequenceNumber: 12, now: 0)
        _ = aged.due(now: 0, roundTripTime: 5)
        #expect(aged.due(now: 1.5, roundTripTime: 5).isEmpty)
        #expect(aged.takeGivenUp() == [11])
    }

    @Test func sequenceNumbersWrapAndHugeJumpsStartOver() {
        let nack = NackScheduler()
        nack.received(sequenceNumber: 65_534, now: 0)
        nack.received(sequenceNumber: 1, now: 0)  // 65535 and 0 missing across the wrap
        #expect(nack.due(now: 0, roundTripTime: nil) == [65_535, 0], "in sequence order across the wrap")
        #expect(nack.missingCount == 2)
        #expect(nack.received(sequenceNumber: 65_535, now: 0.01))
        #expect(nack.received(sequenceNumber: 0, now: 0.01))
        #expect(nack.missingCount == 0)

        let jump = NackScheduler()
        jump.received(sequenceNumber: 100, now: 0)
        jump.received(sequenceNumber: 102, now: 0)
        jump.received(sequenceNumber: 5_000, now: 0)  // more than maximumMissing ahead
        #expect(jump.missingCount == 0)
        #expect(jump.takeGivenUp() == [101])
    }

    @Test func reorderingGraceHoldsTheFirstNack() {
        var configuration = NackScheduler.Configuration()
        configuration.reorderingGrace = 0.02
        let nack = NackScheduler(configuration: configuration)
        nack.received(sequenceNumber: 1, now: 0)
        nack.received(sequenceNumber: 3, now: 0)
        #expect(nack.due(now: 0.01, roundTripTime: 0.1).isEmpty)
        nack.received(sequenceNumber: 2, now: 0.015)  // merely reordered
        #expect(nack.due(now: 0.03, roundTripTime: 0.1).isEmpty)
        #expect(nack.counters.nackPackets == 0)
    }
}
