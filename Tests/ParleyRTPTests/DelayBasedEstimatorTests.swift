import Testing
@testable import ParleyRTP

@Suite("Delay-based estimator (trendline)")
struct DelayBasedEstimatorTests {
    /// Packets every `interval` s; the one-way delay grows by `growth` s per packet.
    static func run(packets: Int, interval: Double = 0.01, growth: Double) -> (DelayBasedEstimator, Set<DelayBasedEstimator.Usage>) {
        var estimator = DelayBasedEstimator()
        var seen: Set<DelayBasedEstimator.Usage> = []
        var delay = 0.05
        for i in 0..<packets {
            let send = Double(i) * interval
            estimator.add(sendTime: send, arrivalTime: 100 + send + delay)
            delay = max(0.01, delay + growth)
            seen.insert(estimator.usage)
        }
        return (estimator, seen)
    }

    @Test("A flat delay is never overuse; the threshold relaxes towards its floor")
    func flat() {
        let (estimator, seen) = Self.run(packets: 500, growth: 0)
        #expect(seen == [.normal])
        #expect(estimator.deltaCount > 100)
        #expect(estimator.threshold < 12.5)
        #expect(abs(estimator.trend) < 1e-9)
    }

    @Test("A delay growing 1 ms per 10 ms packet (a filling queue) is detected as overuse")
    func growing() {
        let (estimator, seen) = Self.run(packets: 100, growth: 0.001)
        #expect(seen.contains(.overusing))
        #expect(estimator.trend > 0.05)
    }

    @Test("A shrinking delay (a queue draining) is underuse")
    func shrinking() {
        let (_, seen) = Self.run(packets: 60, growth: -0.0008)
        #expect(seen.contains(.underusing))
        #expect(!seen.contains(.overusing))
    }

    @Test("Packets sent within 5 ms form one group")
    func grouping() {
        var estimator = DelayBasedEstimator()
        for i in 0..<100 {
            // Bursts of 4 packets 1 ms apart, every 20 ms.
            let send = Double(i / 4) * 0.02 + Double(i % 4) * 0.001
            estimator.add(sendTime: send, arrivalTime: send + 0.03)
        }
        #expect(estimator.deltaCount == 23)  // 25 groups, the last still open, the first has no predecessor
    }

    @Test("Least-squares slope")
    func slope() throws {
        #expect(try #require(DelayBasedEstimator.slope([(0, 1), (1, 3), (2, 5)])) == 2)
        #expect(DelayBasedEstimator.slope([(1, 1), (1, 2)]) == nil)
    }
}
