import Foundation
import Testing
import ParleyMetrics

@Suite struct RunningSummaryTests {
    @Test func meanMinMaxAndDeviation() {
        var summary = RunningSummary()
        for value in [2.0, 4, 4, 4, 5, 5, 7, 9] { summary.add(value) }
        #expect(summary.count == 8)
        #expect(summary.mean == 5)
        #expect(summary.min == 2)
        #expect(summary.max == 9)
        #expect(summary.sum == 40)
        // Σ(x − 5)² = 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32.
        #expect(abs(summary.variance - 4) < 1e-12)
        #expect(abs(summary.standardDeviation - 2) < 1e-12)
        #expect(abs(summary.sampleVariance - 32.0 / 7) < 1e-12)
        #expect(abs(summary.sampleStandardDeviation - (32.0 / 7).squareRoot()) < 1e-12)
    }

    @Test func emptyAndSingleValue() {
        let empty = RunningSummary()
        #expect(empty.count == 0)
        #expect(empty.mean == 0 && empty.min == 0 && empty.max == 0 && empty.standardDeviation == 0)
        let one = RunningSummary([-3.5])
        #expect(one.mean == -3.5 && one.min == -3.5 && one.max == -3.5)
        #expect(one.standardDeviation == 0 && one.sampleStandardDeviation == 0)
    }

    @Test func nonFiniteValuesAreCountedNotAccumulated() throws {
        var summary = RunningSummary([1, 3])
        summary.add(.nan)
        summary.add(.infinity)
        #expect(summary.count == 2)
        #expect(summary.nonFiniteCount == 2)
        #expect(summary.mean == 2)
        #expect(summary.max == 3)
        _ = try JSONEncoder().encode(summary)
    }

    @Test func mergeEqualsAddingEverything() {
        let values = (0..<100).map { Double(($0 * 37) % 101) / 7 }
        var left = RunningSummary(values[..<30])
        let right = RunningSummary(values[30...])
        left.merge(right)
        let all = RunningSummary(values)
        #expect(left.count == all.count)
        #expect(abs(left.mean - all.mean) < 1e-12)
        #expect(abs(left.standardDeviation - all.standardDeviation) < 1e-12)
        #expect(left.min == all.min && left.max == all.max)
        var empty = RunningSummary()
        empty.merge(all)
        #expect(empty == all)
    }

    @Test func codableRoundTrip() throws {
        let summary = RunningSummary([38.5, 41.25, 40.0, 36.75])
        let json = try JSONEncoder().encode(summary)
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect((object?["standardDeviation"] as? Double).map { abs($0 - summary.standardDeviation) < 1e-12 } == true)
        #expect(object?["min"] as? Double == 36.75)
        #expect(try JSONDecoder().decode(RunningSummary.self, from: json) == summary)
        let negative = Data(#"{"count":-1,"mean":0,"min":0,"max":0}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RunningSummary.self, from: negative) }
    }

    @Test func percentiles() {
        let values = [15.0, 20, 35, 40, 50]
        #expect(RunningSummary.percentile(values, 0) == 15)
        #expect(RunningSummary.percentile(values, 50) == 35)
        #expect(RunningSummary.percentile(values, 100) == 50)
        // rank 0.4·4 = 1.6 → 20 + 0.6·15 = 29.
        #expect(abs(RunningSummary.percentile(values.reversed(), 40)! - 29) < 1e-12)
        #expect(RunningSummary.percentile([], 50) == nil)
        #expect(RunningSummary.percentile(values, 101) == nil)
        #expect(RunningSummary.percentile([.nan, 4], 50) == 4)
    }
}
