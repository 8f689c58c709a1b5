import Foundation
import ParleyTestSupport
import Testing

/// `parley bench --jitter` through the real binary: the table, and JSON under "jitter".
@Suite struct BenchJitterCLITests {
    @Test func printsTheJitterTableAndJSON() throws {
        let table = try ParleyExecutable.run(["bench", "--jitter", "--quick"])
        #expect(table.status == 0, "\(table.stderr)")
        for trace in ["clean", "normal 30 ms", "pareto tail", "burst loss 5 %", "400 ms spike", "drift +100 ppm", "drift -100 ppm"] {
            #expect(table.stdout.contains(trace), "missing \(trace)")
        }
        #expect(table.stdout.contains("fixed200"))

        let json = try ParleyExecutable.run(["bench", "--jitter", "--quick", "--json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = try #require(object?["jitter"] as? [[String: Any]])
        #expect(rows.count == 8)
        #expect(rows.allSatisfy { ($0["meanDelay"] as? Double ?? -1) >= 0 && $0["oracleDelay"] != nil && $0["statistics"] != nil })
    }
}
