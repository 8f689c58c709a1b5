import Testing
@testable import ParleyRTP

/// RFC 3550 §6.3.1 / A.7 `rtcp_interval`, with the formula worked by hand.
@Suite struct RTCPIntervalTests {
    static let compensation = 2.71828 - 1.5  // 1.21828

    @Test func twoMembersOneSenderAt64kbps() {
        // RTCP bandwidth 5 % of 64 kbit/s = 3200 bit/s = 400 octets/s. One sender of two is
        // not ≤ 25 %, so no split: n = 2.
        var t = RTCPInterval(sessionBandwidth: 64_000, members: 2, senders: 1, weSent: true, averageRTCPSize: 1200, initial: false)
        #expect(t.rtcpBandwidth == 400)
        // 1200 × 2 / 400 = 6 s, above the 5 s minimum; / 1.21828 = 4.92497…
        #expect(abs(t.deterministicInterval - 6) < 1e-12)
        #expect(abs(t.interval(randomFactor: 1.0) - 6 / Self.compensation) < 1e-12)
        #expect(abs(t.interval(randomFactor: 1.0) - 4.924976) < 1e-6)
        // Small packets: 100 × 2 / 400 = 0.5 s, raised to the 5 s minimum.
        t.averageRTCPSize = 100
        #expect(t.deterministicInterval == 5)
        #expect(abs(t.interval(randomFactor: 1.0) - 4.104147) < 1e-6)
        // Before the first RTCP packet the minimum is halved.
        t.initial = true
        #expect(t.deterministicInterval == 2.5)
        #expect(abs(t.interval(randomFactor: 1.0) - 2.5 / Self.compensation) < 1e-12)
    }

    @Test func sendersGetAQuarterWhenTheyAreAtMostAQuarter() {
        // 100 members, 10 senders, 64 kbit/s (400 octets/s), 200-octet packets.
        var t = RTCPInterval(sessionBandwidth: 64_000, members: 100, senders: 10, weSent: false, averageRTCPSize: 200, initial: false)
        // Receiver: 75 % = 300 octets/s shared by 90 receivers: 200 × 90 / 300 = 60 s.
        #expect(abs(t.deterministicInterval - 60) < 1e-9)
        #expect(abs(t.interval(randomFactor: 1.0) - 49.249762) < 1e-5)
        // Sender: 25 % = 100 octets/s shared by 10 senders: 200 × 10 / 100 = 20 s.
        t.weSent = true
        #expect(abs(t.deterministicInterval - 20) < 1e-9)
        // More than a quarter sending: everyone shares the whole bandwidth.
        t.senders = 30
        #expect(abs(t.deterministicInterval - 200 * 100 / 400) < 1e-9)
    }

    @Test func randomFactorScalesAndIsClamped() {
        let t = RTCPInterval(sessionBandwidth: 64_000, members: 2, senders: 1, averageRTCPSize: 100, initial: false)
        #expect(abs(t.interval(randomFactor: 0.5) - 2.5 / Self.compensation) < 1e-12)
        #expect(abs(t.interval(randomFactor: 1.5) - 7.5 / Self.compensation) < 1e-12)
        #expect(t.interval(randomFactor: 9) == t.interval(randomFactor: 1.5))
        #expect(t.interval(randomFactor: .nan) == t.interval(randomFactor: 1.0))
        #expect(t.interval { 1.0 } == t.interval(randomFactor: 1.0))
    }

    @Test func meanOfRandomizedIntervalsMatchesTheFormula() {
        let t = RTCPInterval(sessionBandwidth: 64_000, members: 100, senders: 10, averageRTCPSize: 200, initial: false)
        let expected = 60 / Self.compensation
        var rng = RTCPRandom(seed: 42)
        var sum = 0.0
        let draws = 20_000
        for _ in 0..<draws {
            let v = t.interval(using: &rng)
            #expect(v >= 0.5 * expected && v < 1.5 * expected)
            sum += v
        }
        #expect(abs(sum / Double(draws) - expected) / expected < 0.02)
        // Seeded: the same seed gives the same draws.
        var a = RTCPRandom(seed: 7), b = RTCPRandom(seed: 7)
        #expect(t.interval(using: &a) == t.interval(using: &b))
    }

    @Test func averageSizeUsesOneSixteenthWeight() {
        var t = RTCPInterval(rtcpBandwidth: 400, averageRTCPSize: 100)
        #expect(t.initial)
        t.packetReceived(size: 260)
        #expect(t.averageRTCPSize == 110)
        #expect(t.initial)
        t.packetSent(size: 110)
        #expect(t.averageRTCPSize == 110)
        #expect(!t.initial)
    }

    @Test func noBandwidthFallsBackToTheMinimum() {
        let t = RTCPInterval(rtcpBandwidth: 0, averageRTCPSize: 100, initial: false)
        #expect(t.deterministicInterval == 5)
        let nan = RTCPInterval(rtcpBandwidth: .nan, averageRTCPSize: 100, initial: true)
        #expect(nan.deterministicInterval == 2.5)
    }
}
