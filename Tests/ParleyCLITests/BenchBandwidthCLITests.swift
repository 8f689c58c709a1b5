import Foundation
import ParleyTestSupport
import Testing

/// `parley bench --bwe` through the real binary: the table, and the JSON report's steps.
@Suite struct BenchBandwidthCLITests {
    @Test func printsTheBandwidthStepsAsTableAndJSON() throws {
        let table = try ParleyExecutable.run(["bench", "--bwe", "--quick"])
        #expect(table.status == 0, "\(table.stderr)")
        for capacity in ["300 kbit/s", "1000 kbit/s", "500 kbit/s"] {
            #expect(table.stdout.contains(capacity), "missing \(capacity)")
        }

        let json = try ParleyExecutable.run(["bench", "--bwe", "--quick", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let steps = try #require(object["steps"] as? [[String: Any]])
        let capacities = steps.map { $0["capacityBitsPerSecond"] as? Double }
        #expect(capacities == [300_000, 1_000_000, 500_000])
        #expect(object["meetsGoal"] is Bool)
        for step in steps {
            let capacity = try #require(step["capacityBitsPerSecond"] as? Double)
            let utilisation = try #require(step["utilisation"] as? Double)
            let mean = try #require(step["meanQueueingDelayMs"] as? Double)
            let p95 = try #require(step["p95QueueingDelayMs"] as? Double)
            let sendRate = try #require(step["meanSendRateBitsPerSecond"] as? Double)
            // Plausible, not the goal: the link is used, never beyond its capacity, and the
            // queue (250 ms) bounds the delay.
            #expect(utilisation > 0.3 && utilisation <= 1.01, "utilisation \(utilisation) at \(capacity)")
            #expect(mean >= 0 && mean <= p95 && p95 <= 260, "delay \(mean) / \(p95) at \(capacity)")
            #expect(sendRate > 0.3 * capacity && sendRate < 1.5 * capacity, "send rate \(sendRate) at \(capacity)")
            if let convergence = step["convergenceTime"] as? Double {
                #expect(convergence >= 0 && convergence <= 10)
            }
            #expect(step["meetsGoal"] is Bool)
        }
    }
}
