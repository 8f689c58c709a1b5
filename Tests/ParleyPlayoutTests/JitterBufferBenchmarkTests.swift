import Testing
@testable import ParleyPlayout

@Suite struct JitterBufferBenchmarkTests {
    @Test func printsBenchmarkTable() throws {
        let rows = try JitterBufferBenchmark.run(duration: 60, driftDuration: 120)
        print(JitterBufferBenchmark.table(rows))
        #expect(rows.count == 8)
    }
}
