/// The jitter-buffer benchmark behind `parley bench --jitter`: seeded traces (clean,
/// 30 ms normal jitter, Pareto tail, 5 % burst loss with and without FEC, a 400 ms
/// spike, ±100 ppm drift), each simulated on a virtual clock and compared with the
/// oracle fixed delay reaching the same late loss and with a fixed 200 ms buffer.
public enum JitterBufferBenchmark {
    public typealias Row = JitterBufferSimulation.Result

    /// The goal per trace: mean delay at most 1.15× the oracle, late loss at most 1 %.
    public static let oracleRatioGoal = 1.15
    public static let lateLossGoal = 0.01

    public static func traces(seed: UInt64 = 2026, duration: Double = 60, driftDuration: Double = 600) -> [(JitterTrace, Bool)] {
        [
            (.clean(seed: seed, duration: duration), true),
            (.normalJitter(seed: seed &+ 1, duration: duration), true),
            (.paretoJitter(seed: seed &+ 2, duration: duration), true),
            (.burstLoss(seed: seed &+ 3, duration: duration), true),
            (.burstLoss(seed: seed &+ 3, duration: duration), false),
            (.delaySpike(seed: seed &+ 4, duration: duration, at: min(20, duration / 3)), true),
            (.drift(seed: seed &+ 5, duration: driftDuration, ppm: 100), true),
            (.drift(seed: seed &+ 6, duration: driftDuration, ppm: -100), true),
        ]
    }

    public static func run(seed: UInt64 = 2026, duration: Double = 60, driftDuration: Double = 600,
                           configuration: JitterBufferConfiguration = JitterBufferConfiguration()) throws -> [Row] {
        try traces(seed: seed, duration: duration, driftDuration: driftDuration).map { trace, fec in
            try JitterBufferSimulation.run(trace, fec: fec, configuration: configuration)
        }
    }

    public static func meetsGoal(_ row: Row) -> Bool {
        row.ratioToOracle <= oracleRatioGoal && row.lateLossRate <= lateLossGoal
    }

    /// A plain-text table of the rows.
    public static func table(_ rows: [Row]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func ms(_ x: Double) -> String { String(Int((x * 1000).rounded())) }
        func pct(_ x: Double) -> String {
            let v = (x * 1000).rounded() / 10
            return "\(v)"
        }
        func ratio(_ x: Double) -> String { x.isFinite ? String(Double(Int((x * 100).rounded())) / 100) : "inf" }
        var out = pad("trace", 16) + pad("FEC", 5) + pad("loss %", 8) + pad("delay ms", 10) + pad("late %", 8) + pad("conceal %", 11)
            + pad("FEC rec", 9) + pad("oracle ms", 11) + pad("ideal ms", 10) + pad("ratio", 7) + pad("/ideal", 7) + pad("goal", 6) + pad("fixed200 ms", 13) + "fixed200 late %\n"
        for r in rows {
            out += pad(r.trace, 16) + pad(r.fec ? "on" : "off", 5)
                + pad(pct(Double(r.packetsLost) / Double(max(1, r.packetsSent))), 8) + pad(ms(r.meanDelay), 10) + pad(pct(r.lateLossRate), 8)
                + pad(pct(r.concealmentRatio), 11) + pad(String(r.fecRecoveries), 9) + pad(ms(r.oracleDelay), 11) + pad(ms(r.continuousOracleDelay), 10)
                + pad(ratio(r.ratioToOracle), 7) + pad(ratio(r.continuousOracleDelay > 0 ? r.meanDelay / r.continuousOracleDelay : .infinity), 7) + pad(meetsGoal(r) ? "yes" : "no", 6) + pad(ms(r.fixed200Delay), 13)
                + pct(r.fixed200LateLossRate) + "\n"
        }
        return out
    }
}
