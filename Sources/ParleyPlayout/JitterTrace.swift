/// A packet trace for the playout simulation: when each 20 ms packet was sent and when it
/// arrived (nil: lost), both on the receiver's clock. RTP timestamps run on the sender's
/// clock, one packet duration apart; a sender clock `driftPPM` fast sends them
/// `duration / (1 + ppm·1e-6)` apart in receiver time. Generated from a seed, so a trace
/// is reproducible. (A small internal generator; the network emulator in
/// ParleyConference is the full one.)
public struct JitterTrace: Sendable {
    public struct Packet: Sendable, Equatable {
        public var sendTime: Double
        public var arrival: Double?
    }

    public var name: String
    public var packetDuration: Double
    public var driftPPM: Double
    public var packets: [Packet]

    public init(name: String, packetDuration: Double = 0.02, driftPPM: Double = 0, packets: [Packet]) {
        self.name = name
        self.packetDuration = packetDuration
        self.driftPPM = driftPPM
        self.packets = packets
    }

    /// Builds a trace from a per-packet transit delay (seconds, nil = lost).
    public static func generate(name: String, duration: Double, packetDuration: Double = 0.02, driftPPM: Double = 0,
                                transit: (Int, Double) -> Double?) -> JitterTrace {
        let count = Int(duration / packetDuration)
        let interval = packetDuration / (1 + driftPPM * 1e-6)
        var packets = [Packet]()
        packets.reserveCapacity(count)
        for i in 0..<count {
            let send = Double(i) * interval
            packets.append(Packet(sendTime: send, arrival: transit(i, send).map { send + $0 }))
        }
        return JitterTrace(name: name, packetDuration: packetDuration, driftPPM: driftPPM, packets: packets)
    }

    /// 40 ms one way, under 1 ms of jitter.
    public static func clean(seed: UInt64, duration: Double = 60) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        return generate(name: "clean", duration: duration) { _, _ in 0.040 + 0.001 * r.uniform() }
    }

    /// Normally distributed queueing delay, mean 60 ms and standard deviation `sigma`
    /// (30 ms), clipped at zero, on a 40 ms base: packets reorder.
    public static func normalJitter(seed: UInt64, duration: Double = 60, sigma: Double = 0.030) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        return generate(name: "normal \(Int(sigma * 1000)) ms", duration: duration) { _, _ in
            0.040 + max(0, 2 * sigma + sigma * r.normal())
        }
    }

    /// Heavy tail: Pareto queueing delay (scale 5 ms, shape 1.8; a few packets 100+ ms late).
    public static func paretoJitter(seed: UInt64, duration: Double = 60) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        return generate(name: "pareto tail", duration: duration) { _, _ in 0.040 + min(1.0, r.pareto(scale: 0.005, shape: 1.8)) }
    }

    /// Gilbert–Elliott bursty loss averaging `lossRate` (mean burst 2 packets) over 10 ms
    /// (σ 5 ms) of jitter.
    public static func burstLoss(seed: UInt64, duration: Double = 60, lossRate: Double = 0.05) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        let leaveBad = 0.5
        let enterBad = lossRate * leaveBad / (1 - lossRate)
        var bad = false
        return generate(name: "burst loss \(Int(lossRate * 100)) %", duration: duration) { _, _ in
            bad = bad ? r.uniform() >= leaveBad : r.uniform() < enterBad
            let t = 0.040 + max(0, 0.010 + 0.005 * r.normal())
            return bad ? nil : t
        }
    }

    /// A 400 ms delay spike at `at` seconds: the link stalls and releases the held
    /// packets together, over 5 ms (σ 2 ms) of jitter.
    public static func delaySpike(seed: UInt64, duration: Double = 60, at: Double = 20, spike: Double = 0.4) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        return generate(name: "\(Int(spike * 1000)) ms spike", duration: duration) { _, send in
            let base = 0.040 + max(0, 0.005 + 0.002 * r.normal())
            if send >= at && send < at + spike { return base + (at + spike - send) }
            return base
        }
    }

    /// The sender's clock runs `ppm` fast (positive) or slow, over 5 ms (σ 2 ms) of jitter.
    public static func drift(seed: UInt64, duration: Double = 600, ppm: Double) -> JitterTrace {
        var r = TraceRandom(seed: seed)
        return generate(name: "drift \(ppm > 0 ? "+" : "")\(Int(ppm)) ppm", duration: duration, driftPPM: ppm) { _, _ in
            0.040 + max(0, 0.005 + 0.002 * r.normal())
        }
    }
}
