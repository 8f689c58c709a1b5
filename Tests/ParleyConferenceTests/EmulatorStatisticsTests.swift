import ParleyConference
import Testing

/// For a fixed seed and tens of thousands of packets, what the emulator does matches the
/// parameters asked for, within tolerances of about three standard errors.
@Suite struct EmulatorStatisticsTests {
    @Test func randomLossRateMatches() throws {
        let run = try EmulatorRun("loss=2%", count: 100_000)
        // Binomial standard error: sqrt(0.02 × 0.98 / 100000) = 0.044 %; 2.4 % would fail.
        #expect(abs(run.counters.lossRate - 0.02) < 0.0015, "loss rate \(run.counters.lossRate)")
        #expect(run.counters.lostRandom == run.counters.packetsLost)
        #expect(run.counters.packetsDelivered == 100_000 - run.counters.packetsLost)
        // Independent losses: mean run length 1/(1 − p) ≈ 1.02.
        #expect(run.counters.meanLossBurstLength < 1.1)
    }

    @Test func normalJitterMeanAndStandardDeviationMatch() throws {
        let run = try EmulatorRun("delay=40ms,jitter=10ms:normal,fifo=off", count: 20_000)
        let delays = run.delays
        #expect(delays.count == 20_000)
        #expect(abs(EmulatorRun.mean(delays) - 0.040) < 0.0003, "mean \(EmulatorRun.mean(delays))")
        #expect(abs(EmulatorRun.standardDeviation(delays) - 0.010) < 0.0003, "sd \(EmulatorRun.standardDeviation(delays))")
        // The emulator's own counters agree with the measurement.
        #expect(abs(run.counters.meanDelay - EmulatorRun.mean(delays)) < 1e-9)
        #expect(abs(run.counters.delayStandardDeviation - EmulatorRun.standardDeviation(delays)) < 1e-6)
    }

    @Test func uniformJitterStaysInItsRangeWithTheRightSpread() throws {
        let delays = try EmulatorRun("delay=40ms,jitter=10ms:uniform,fifo=off", count: 20_000).delays
        #expect(delays.min()! >= 0.030 && delays.max()! <= 0.050)
        #expect(delays.min()! < 0.0302 && delays.max()! > 0.0498)
        #expect(abs(EmulatorRun.mean(delays) - 0.040) < 0.0002)
        #expect(abs(EmulatorRun.standardDeviation(delays) - 0.010 / 3.0.squareRoot()) < 0.0002)
    }

    @Test func paretoJitterHasTheRightMeanMedianAndAHeavyTail() throws {
        // Lomax with shape 3, mean 5 ms: scale 10 ms, median 10 × (2^(1/3) − 1) = 2.599 ms.
        let extras = try EmulatorRun("delay=20ms,jitter=5ms:pareto,fifo=off", count: 20_000).delays.map { $0 - 0.020 }
        #expect(extras.min()! >= 0)
        #expect(abs(EmulatorRun.mean(extras) - 0.005) < 0.0004, "mean \(EmulatorRun.mean(extras))")
        #expect(abs(EmulatorRun.median(extras) - 0.002599) < 0.0002, "median \(EmulatorRun.median(extras))")
        #expect(extras.max()! > 0.05, "heavy tail: some packets get 10x the mean")
    }

    @Test func gilbertElliottLossRateAndMeanBurstLengthMatch() throws {
        let run = try EmulatorRun("burst=5%:3", count: 60_000)
        // Bursts make the estimate noisier than independent loss: tolerance 0.6 %.
        #expect(abs(run.counters.lossRate - 0.05) < 0.006, "loss rate \(run.counters.lossRate)")
        #expect(abs(run.counters.meanLossBurstLength - 3) < 0.25, "mean burst \(run.counters.meanLossBurstLength)")
        #expect(run.counters.lostBurst == run.counters.packetsLost)
        #expect(run.counters.longestLossBurst > 10)
        let model = GilbertElliott(lossRate: 0.05, meanBurstLength: 3)
        #expect(abs(model.lossRate - 0.05) < 1e-12 && abs(model.meanBurstLength - 3) < 1e-12)
    }

    @Test func fourParameterGilbertElliottLossRateMatches() throws {
        // p 2 %, r 20 %: 1/11 of the time Bad; loss 1 % in Good, 50 % in Bad: 0.9 % + 4.5 % = 5.45 %.
        let run = try EmulatorRun("gilbert=2%:20%:1%:50%", count: 60_000)
        let expected = GilbertElliott(p: 0.02, r: 0.2, lossInGood: 0.01, lossInBad: 0.5).lossRate
        #expect(abs(expected - 0.054545) < 1e-5)
        #expect(abs(run.counters.lossRate - expected) < 0.006, "loss rate \(run.counters.lossRate)")
    }

    @Test func duplicationRateMatchesAndCopiesFollowTheirOriginal() throws {
        let run = try EmulatorRun("dup=1%", count: 20_000)
        let rate = Double(run.counters.packetsDuplicated) / 20_000
        #expect(abs(rate - 0.01) < 0.0025, "dup rate \(rate)")
        #expect(run.counters.packetsDelivered == 20_000 + run.counters.packetsDuplicated)
        for (index, delivery) in run.deliveries.enumerated() where delivery.copy == 1 {
            let original = run.deliveries[index - 1]
            #expect(original.sequence == delivery.sequence && original.copy == 0 && original.time == delivery.time)
        }
    }

    @Test func reorderRateMatches() throws {
        // 2 % of packets held 30 ms at 20 ms spacing: each is overtaken by the next one.
        let run = try EmulatorRun("delay=10ms,reorder=2%:30ms", count: 20_000)
        let rate = Double(run.counters.packetsReordered) / 20_000
        #expect(abs(rate - 0.02) < 0.003, "reorder rate \(rate)")
        // Counted the RFC 4737 way: a packet arriving after a later-sent one.
        var highest = -1
        var late = 0
        for delivery in run.deliveries {
            if delivery.sequence < highest { late += 1 }
            highest = max(highest, delivery.sequence)
        }
        #expect(late == run.counters.packetsReordered)
        let held = run.fates.filter { if case .delivered(_, _, true) = $0 { return true } else { return false } }.count
        // Two held packets in a row: the first is not overtaken (the second arrives after it).
        #expect(held >= run.counters.packetsReordered && held - run.counters.packetsReordered <= held / 20)
    }

    @Test func bandwidthCapLimitsThroughputAndDropsTheExcess() throws {
        // 1200-byte packets at 2 Mbit/s into a 1 Mbit/s cap with a 100 ms queue, for 20 s.
        let interval = 1200.0 * 8 / 2_000_000
        let count = Int(20 / interval)
        let run = try EmulatorRun("rate=1mbit,queue=100ms", count: count, interval: interval, size: 1200)
        let arrivals = run.deliveries.map(\.time)
        let span = arrivals.last! - arrivals.first!
        let throughput = Double((arrivals.count - 1) * 1200 * 8) / span
        #expect(abs(throughput - 1_000_000) < 10_000, "throughput \(throughput)")
        #expect(abs(Double(run.counters.lostQueue) / Double(count) - 0.5) < 0.01)
        // The queue never holds more than 100 ms: delay ≤ queue + one serialization.
        #expect(run.delays.max()! <= 0.100 + 0.0096 + 1e-9)
        #expect(run.delays.max()! > 0.09)
    }

    @Test func bandwidthCapBelowCapacityOnlyAddsSerialization() throws {
        let run = try EmulatorRun("delay=5ms,rate=1mbit,queue=16KB", count: 5_000, interval: 0.02, size: 1200)
        #expect(run.counters.packetsLost == 0)
        for delay in run.delays { #expect(abs(delay - (0.005 + 0.0096)) < 1e-9) }
    }

    @Test func byteQueueLimitDropsWhenFull() throws {
        // 10 packets of 1000 B at once into 8 kbit/s ... a 3000 B queue holds 3 of them.
        let emulator = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: "rate=8kbit,queue=3000B"), seed: 1)
        let fates = (0..<10).map { emulator.submit($0, size: 1000, at: 0) }
        #expect(fates.prefix(3).allSatisfy { !$0.isLost })
        #expect(fates.dropFirst(3).allSatisfy { $0 == .lost(.queue) })
        #expect(fates[2].arrivalTime == 3.0)
    }
}
