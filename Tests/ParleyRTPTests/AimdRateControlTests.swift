import Testing
@testable import ParleyRTP

@Suite("AIMD rate control")
struct AimdRateControlTests {
    @Test("Normal usage far from convergence: about +8 % a second")
    func multiplicativeIncrease() {
        var control = AimdRateControl(startRate: 300_000, minimumRate: 30_000, maximumRate: 2_000_000)
        for step in 0...10 { control.update(usage: .normal, acknowledgedRate: 300_000, at: Double(step) * 0.1) }
        #expect(control.state == .increase)
        #expect(abs(control.rate - 324_000) < 500)
        #expect(abs(AimdRateControl.growth(1) - 0.08) < 1e-9)
    }

    @Test("Overuse: down to 0.85 × the acknowledged rate, then hold")
    func decrease() {
        var control = AimdRateControl(startRate: 600_000, minimumRate: 30_000, maximumRate: 2_000_000)
        control.update(usage: .overusing, acknowledgedRate: 400_000, at: 1)
        #expect(control.rate == 340_000)
        #expect(control.state == .hold)
        #expect(control.linkCapacity == 400)
        #expect(control.lastDecrease == 1)
    }

    @Test("Near the link capacity the increase is additive, slower than 8 % a second")
    func additiveIncrease() {
        // About one packet per response time (RTT + 100 ms): at 1.275 Mbit/s, 6 packets a
        // frame at 30 fps, ~42 kbit/s a second, ~3 %.
        var control = AimdRateControl(startRate: 2_000_000, minimumRate: 30_000, maximumRate: 3_000_000)
        control.update(usage: .overusing, acknowledgedRate: 1_500_000, at: 0)
        #expect(control.rate == 1_275_000)
        for step in 1...10 { control.update(usage: .normal, acknowledgedRate: 1_275_000, at: Double(step) * 0.1) }
        #expect(control.linkCapacity != nil)
        #expect(control.rate > 1_275_000 * 1.02)
        #expect(control.rate < 1_275_000 * 1.05)
    }

    @Test("Never above 1.5 × acknowledged + 10 kbit/s; clamped to min and max")
    func limits() {
        var control = AimdRateControl(startRate: 100_000, minimumRate: 50_000, maximumRate: 120_000)
        for step in 0...50 { control.update(usage: .normal, acknowledgedRate: 1_000_000, at: Double(step) * 0.2) }
        #expect(control.rate == 120_000)
        control.update(usage: .overusing, acknowledgedRate: 10_000, at: 20)
        #expect(control.rate == 50_000)
        var limited = AimdRateControl(startRate: 100_000, minimumRate: 10_000, maximumRate: 1_000_000)
        for step in 0...50 { limited.update(usage: .normal, acknowledgedRate: 40_000, at: Double(step) * 0.2) }
        #expect(limited.rate == 100_000)  // above the limit already: held, not raised
        limited.setEstimate(50_000, at: 11)
        for step in 0...50 { limited.update(usage: .normal, acknowledgedRate: 40_000, at: 11 + Double(step) * 0.2) }
        #expect(limited.rate <= 70_000)
    }

    @Test("Underuse holds the rate")
    func underuseHolds() {
        var control = AimdRateControl(startRate: 300_000, minimumRate: 30_000, maximumRate: 2_000_000)
        control.update(usage: .underusing, acknowledgedRate: 300_000, at: 0)
        control.update(usage: .underusing, acknowledgedRate: 300_000, at: 1)
        #expect(control.rate == 300_000)
        #expect(control.state == .hold)
    }
}
