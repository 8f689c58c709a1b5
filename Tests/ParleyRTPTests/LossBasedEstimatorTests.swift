import Testing
@testable import ParleyRTP

@Suite("Loss-based estimator")
struct LossBasedEstimatorTests {
    @Test("The rules: < 2 % +8 %, 2–10 % hold, > 10 % × (1 − 0.5 loss)")
    func rules() {
        #expect(abs(LossBasedEstimator.apply(lossFraction: 0.01, to: 100_000) - 108_000) < 1e-6)
        #expect(LossBasedEstimator.apply(lossFraction: 0.02, to: 100_000) == 100_000)
        #expect(LossBasedEstimator.apply(lossFraction: 0.10, to: 100_000) == 100_000)
        #expect(abs(LossBasedEstimator.apply(lossFraction: 0.20, to: 100_000) - 90_000) < 1e-6)
    }

    @Test("Decisions wait for enough packets and respect the increase and decrease intervals")
    func pacing() {
        var estimator = LossBasedEstimator(startRate: 100_000, minimumRate: 10_000, maximumRate: 1_000_000)
        let few = estimator.update(packetsReceived: 10, packetsLost: 0, at: 0)
        #expect(few == 100_000)
        let enough = estimator.update(packetsReceived: 10, packetsLost: 0, at: 0.1)
        #expect(abs(enough - 108_000) < 1e-6)
        let tooSoon = estimator.update(packetsReceived: 50, packetsLost: 0, at: 0.5)
        #expect(abs(tooSoon - 108_000) < 1e-6)  // < 1 s since
        // The deferred 50 still count: 20 lost of 100 is 20 %.
        estimator.update(packetsReceived: 30, packetsLost: 20, at: 0.6)
        #expect(abs(estimator.rate - 108_000 * 0.9) < 1e-6)
        #expect(abs(estimator.lossFraction - 0.2) < 1e-9)
        estimator.update(packetsReceived: 10, packetsLost: 10, at: 0.7)  // < 300 ms: no second decrease
        #expect(abs(estimator.rate - 108_000 * 0.9) < 1e-6)
        estimator.update(packetsReceived: 95, packetsLost: 5, at: 2)  // 15 of 120: 12.5 %
        #expect(abs(estimator.rate - 108_000 * 0.9 * (1 - 0.0625)) < 1e-6)
    }

    @Test("Bounded by min and max, and by the combiner's limit")
    func bounds() {
        var estimator = LossBasedEstimator(startRate: 20_000, minimumRate: 15_000, maximumRate: 21_000)
        estimator.update(packetsReceived: 100, packetsLost: 0, at: 0)
        #expect(estimator.rate == 21_000)
        estimator.update(packetsReceived: 0, packetsLost: 100, at: 1)
        #expect(estimator.rate == 15_000)
        estimator.raise(to: 18_000)
        estimator.limit(to: 16_000)
        #expect(estimator.rate == 16_000)
    }
}
