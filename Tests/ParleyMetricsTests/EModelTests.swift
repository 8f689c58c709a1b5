import Foundation
import ParleyMetrics
import Testing

/// ITU-T G.107 reference behaviour. The default-parameter values (Ro 94.77, Is 1.41,
/// Idle 0.15, R 93.2) are the ones G.107 gives for its Table 3 defaults; the other
/// expected numbers are worked out by hand from the G.107 equations in the comments.
@Suite struct EModelTests {
    @Test func defaultsGiveR93_2() {
        let result = EModel.evaluate(EModel.Parameters())
        #expect(abs(result.r - 93.2) < 0.1, "R = \(result.r)")
        #expect(abs(result.ro - 94.77) < 0.01, "Ro = \(result.ro)")
        #expect(abs(result.simultaneousImpairment - 1.41) < 0.01, "Is = \(result.simultaneousImpairment)")
        #expect(abs(result.idle - 0.15) < 0.01, "Idle = \(result.idle)")
        // T = 0: no talker echo impairment; Ta = 0: no absolute-delay impairment; no loss.
        #expect(result.idte == 0)
        #expect(result.idd == 0)
        #expect(result.ieEff == 0)
        #expect(abs(result.mos - 4.41) < 0.005, "MOS = \(result.mos)")
    }

    @Test func absoluteDelayImpairmentStartsAbove100ms() {
        for ta in [0.0, 50, 99.9, 100] {
            #expect(EModel.evaluate(EModel.Parameters(absoluteDelay: ta)).idd == 0, "Ta = \(ta)")
        }
        #expect(EModel.evaluate(EModel.Parameters(absoluteDelay: 101)).idd > 0)
        // Ta = 200 ms: X = log2(200/100) = 1,
        // Idd = 25·((1 + 1)^(1/6) − 3·(1 + (1/3)^6)^(1/6) + 2) = 25·0.12178 = 3.044.
        #expect(abs(EModel.evaluate(EModel.Parameters(absoluteDelay: 200)).idd - 3.044) < 0.001)
        // Ta = 400 ms: X = 2, Idd = 25·(65^(1/6) − 3·(1 + (2/3)^6)^(1/6) + 2) = 24.07.
        #expect(abs(EModel.evaluate(EModel.Parameters(absoluteDelay: 400)).idd - 24.07) < 0.01)
    }

    @Test func effectiveEquipmentImpairmentUnderRandomAndBurstyLoss() {
        // Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl).
        // G.729A (Ie 11, Bpl 19), 5 % random loss: 11 + 84·5/(5 + 19) = 28.5.
        #expect(abs(EModel.effectiveEquipmentImpairment(ie: 11, bpl: 19, packetLossPercent: 5, burstRatio: 1) - 28.5) < 1e-12)
        // G.711+PLC (Ie 0, Bpl 25.1), 2 % loss: random 190/27.1 = 7.011; BurstR 2: 190/26.1 = 7.280.
        let random = EModel.effectiveEquipmentImpairment(ie: 0, bpl: 25.1, packetLossPercent: 2, burstRatio: 1)
        let bursty = EModel.effectiveEquipmentImpairment(ie: 0, bpl: 25.1, packetLossPercent: 2, burstRatio: 2)
        #expect(abs(random - 190 / 27.1) < 1e-12)
        #expect(abs(bursty - 190 / 26.1) < 1e-12)
        #expect(bursty > random)
        // Without loss Ie,eff is Ie; with every packet lost and random loss it tends to 95.
        #expect(EModel.effectiveEquipmentImpairment(ie: 7, bpl: 10, packetLossPercent: 0, burstRatio: 3) == 7)
        // Through the whole model: the same loss costs more R when it is bursty.
        let rRandom = EModel.evaluate(EModel.Parameters(packetLossRobustness: 25.1, packetLossPercent: 2, burstRatio: 1)).r
        let rBursty = EModel.evaluate(EModel.Parameters(packetLossRobustness: 25.1, packetLossPercent: 2, burstRatio: 4)).r
        #expect(abs(rRandom - (93.206 - 190 / 27.1)) < 0.01)
        #expect(rBursty < rRandom)
    }

    @Test func mosAtKnownPoints() {
        #expect(EModel.mos(r: -5) == 1)
        #expect(EModel.mos(r: 0) == 1)
        #expect(EModel.mos(r: 100) == 4.5)
        #expect(EModel.mos(r: 120) == 4.5)
        // 1 + 0.035·50 + 50·(−10)·50·7e-6 = 2.575; at 80: 1 + 2.8 + 80·20·20·7e-6 = 4.024.
        #expect(abs(EModel.mos(r: 50) - 2.575) < 1e-12)
        #expect(abs(EModel.mos(r: 80) - 4.024) < 1e-12)
        #expect(abs(EModel.mos(r: 93.2) - 4.409) < 0.001)
        #expect(EModel.mos(r: .nan).isNaN)
    }

    @Test func mosNeverDecreasesAndRFallsWithEveryImpairment() {
        var previous = EModel.mos(r: 0)
        for step in 1...1000 {
            let r = Double(step) / 10
            let mos = EModel.mos(r: r)
            #expect(mos >= previous, "MOS(\(r)) = \(mos) < \(previous)")
            if r > 7 { #expect(mos > previous) }
            previous = mos
        }
        var lastR = Double.infinity
        for delay in stride(from: 0.0, through: 600, by: 25) {
            let r = EModel.evaluate(EModel.Parameters(absoluteDelay: delay, meanOneWayDelay: delay, roundTripDelay: 2 * delay)).r
            #expect(r <= lastR + 1e-9, "R rose with delay at \(delay) ms")
            lastR = r
        }
        lastR = .infinity
        for loss in stride(from: 0.0, through: 30, by: 1) {
            let r = EModel.evaluate(EModel.Parameters(packetLossRobustness: 20, packetLossPercent: loss)).r
            #expect(r < lastR, "R did not fall with loss at \(loss) %")
            lastR = r
        }
    }

    @Test func opusImpairmentTable() {
        #expect(CodecImpairment.opus(bitrate: 32_000) == CodecImpairment(ie: 0, bpl: 25.1))
        #expect(CodecImpairment.opus(bitrate: 64_000) == CodecImpairment(ie: 0, bpl: 25.1))
        #expect(CodecImpairment.opus(bitrate: 8_000) == CodecImpairment(ie: 11, bpl: 19))
        #expect(CodecImpairment.opus(bitrate: 2_000) == CodecImpairment(ie: 15, bpl: 16.1))
        #expect(CodecImpairment.opus(bitrate: .nan) == CodecImpairment(ie: 15, bpl: 16.1))
        // Halfway between the 8k and 12k rows.
        let mid = CodecImpairment.opus(bitrate: 10_000)
        #expect(abs(mid.ie - 8.5) < 1e-12)
        #expect(abs(mid.bpl - 19.5) < 1e-12)
        // Ie never rises with the bitrate, Bpl never falls.
        var last = CodecImpairment.opus(bitrate: 4_000)
        for rate in stride(from: 4_000.0, through: 40_000, by: 500) {
            let c = CodecImpairment.opus(bitrate: rate)
            #expect(c.ie <= last.ie && c.bpl >= last.bpl)
            last = c
        }
    }

    @Test func callQualityFromMeasurements() {
        // Opus at 32 kbit/s is transparent in the table: a perfect link gives the default R.
        let perfect = CallQuality(oneWayDelayMilliseconds: 0, lossRatio: 0, burstRatio: 1, codec: .opus(bitrate: 32_000))
        #expect(abs(perfect.r - 93.2) < 0.1)
        #expect(abs(perfect.mos - 4.41) < 0.01)
        let typical = CallQuality(oneWayDelayMilliseconds: 150, lossRatio: 0.02, burstRatio: 1, codec: .opus(bitrate: 32_000))
        let bursty = CallQuality(oneWayDelayMilliseconds: 150, lossRatio: 0.02, burstRatio: 3, codec: .opus(bitrate: 32_000))
        let slow = CallQuality(oneWayDelayMilliseconds: 400, lossRatio: 0.02, burstRatio: 1, codec: .opus(bitrate: 32_000))
        #expect(typical.r < perfect.r)
        #expect(bursty.r < typical.r)
        #expect(slow.r < typical.r)
        #expect(typical.mos > 3.6 && typical.mos < 4.41)
        // Ie,eff here is 95·2/(2 + 25.1) = 7.011.
        #expect(abs(typical.ieEff - 190 / 27.1) < 1e-9)
        // Garbage in does not crash or produce NaN.
        let odd = CallQuality(oneWayDelayMilliseconds: -.infinity, lossRatio: .nan, burstRatio: 0, codec: .opus(bitrate: -1))
        #expect(odd.r.isFinite && odd.mos >= 1)
        let json = try? JSONEncoder().encode(typical)
        #expect(json.flatMap { try? JSONDecoder().decode(CallQuality.self, from: $0) } == typical)
    }

    // MARK: Burst ratio from loss patterns

    @Test func burstRatioOfAlternatingLossIsOneHalf() {
        // L F L F …: loss 0.5, every burst 1 packet long, random loss would give bursts of
        // 1/(1 − 0.5) = 2: BurstR = 1/2.
        let pattern = (0..<100).map { $0 % 2 == 0 }
        let stats = LossRunStatistics(lossIndicators: pattern)
        #expect(stats.lost == 50 && stats.bursts == 50 && stats.longestBurst == 1)
        #expect(stats.burstRatio == 0.5)
    }

    @Test func burstRatioOfLongBursts() {
        // 10 lost then 90 received, ten times: loss 0.1, mean burst 10, random bursts
        // would last 1/0.9: BurstR = 10·0.9 = 9.
        let pattern = (0..<1000).map { $0 % 100 < 10 }
        let stats = LossRunStatistics(lossIndicators: pattern)
        #expect(stats.bursts == 10 && stats.longestBurst == 10)
        #expect(abs(stats.lossRatio - 0.1) < 1e-12)
        #expect(abs(stats.burstRatio - 9) < 1e-12)
        #expect(abs(LossRunStatistics.burstRatio(lossIndicators: pattern) - 9) < 1e-12)
    }

    @Test func burstRatioOfRandomLossIsAboutOne() {
        var state: UInt64 = 12345
        var stats = LossRunStatistics()
        for _ in 0..<200_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            stats.record(lost: (state >> 11) % 10 == 0)
        }
        #expect(abs(stats.lossRatio - 0.1) < 0.005)
        #expect(abs(stats.burstRatio - 1) < 0.03, "BurstR = \(stats.burstRatio)")
    }

    @Test func burstRatioEdgeCases() {
        #expect(LossRunStatistics().burstRatio == 1)
        #expect(LossRunStatistics(lossIndicators: [false, false]).burstRatio == 1)
        #expect(LossRunStatistics(lossIndicators: [true, true, true]).burstRatio == 1)
        // One burst of 3 in 6 packets: 3·(1 − 0.5) = 1.5.
        #expect(LossRunStatistics(lossIndicators: [false, true, true, true, false, false]).burstRatio == 1.5)
    }
}
