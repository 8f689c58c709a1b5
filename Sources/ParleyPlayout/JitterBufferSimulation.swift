import ParleyCore

/// Runs an `AudioJitterBuffer` over a `JitterTrace` on a virtual playout clock
/// (deterministic, no wall time) with the `SyntheticAudioDecoder`, and measures it; also
/// computes the *oracle* fixed delay and a fixed 200 ms buffer on the same trace.
///
/// Delays are measured from the fastest possible arrival (send time plus the trace's
/// smallest transit), so they are the buffering a receiver adds, comparable across
/// buffers: the adaptive buffer's *playout delay* of a packet is when its first sample
/// is played minus that.
public enum JitterBufferSimulation {
    public struct Result: Sendable, Equatable, Codable {
        public var trace: String
        public var fec: Bool
        public var packetsSent: Int
        public var packetsLost: Int
        /// Mean playout delay of decoded packets, seconds (after the first 2 s).
        public var meanDelay: Double
        /// Received packets that arrived after their playout point, over received packets.
        public var lateLossRate: Double
        /// Concealed samples over samples played.
        public var concealmentRatio: Double
        public var fecRecoveries: Int
        /// Smallest fixed delay whose late loss on this trace is at most `lateLossRate`, for
        /// a fixed-delay buffer pulled on the same 20 ms playout clock (a packet must be
        /// there at the pull that starts playing it).
        public var oracleDelay: Double
        /// The same for an idealised buffer that plays each packet the instant it is due.
        public var continuousOracleDelay: Double
        /// meanDelay / oracleDelay.
        public var ratioToOracle: Double
        /// A fixed 200 ms buffer (GStreamer rtpjitterbuffer's default latency), anchored on
        /// the first packet: its delay and late loss.
        public var fixed200Delay: Double
        public var fixed200LateLossRate: Double
        public var statistics: JitterBufferStatistics
    }

    /// One pull's view, for tests that follow adaptation over time.
    public struct Sample: Sendable, Equatable {
        public var time: Double
        public var targetDelay: Double
        public var bufferLevel: Double
        public var operation: PlayoutOperation
        /// Playout delay of the packet decoded in this pull, if any (from the fastest arrival).
        public var playoutDelay: Double?
        /// Cumulative samples removed by acceleration and inserted by deceleration so far.
        public var removedSamples: Int
        public var insertedSamples: Int
    }

    /// Simulates `trace`. `fec`: packets carry in-band FEC of their predecessor.
    /// `onPull` sees every pull (time, result).
    public static func run(_ trace: JitterTrace, fec: Bool = true,
                           configuration: JitterBufferConfiguration = JitterBufferConfiguration(),
                           sampleRate: Int = 8000, warmUp: Double = 2.0,
                           onPull: ((Sample) -> Void)? = nil) throws -> Result {
        let decoder = SyntheticAudioDecoder(format: AudioFormat(sampleRate: sampleRate, channels: 1),
                                            frameDurationMilliseconds: Int((trace.packetDuration * 1000).rounded()), keepsLog: false)
        var config = configuration
        config.packetMilliseconds = Int((trace.packetDuration * 1000).rounded())
        let buffer = try AudioJitterBuffer(decoder: decoder, configuration: config)
        let rtpPerPacket = UInt32(Double(config.rtpClockRate) * trace.packetDuration)
        let payloads: [[UInt8]] = (0..<trace.packets.count).map {
            SyntheticAudioDecoder.payload(frameIndex: UInt32($0), carriesFEC: fec)
        }

        var order: [Int] = []
        order.reserveCapacity(trace.packets.count)
        var minTransit = Double.infinity
        var lastArrival = 0.0
        for (i, p) in trace.packets.enumerated() {
            guard let a = p.arrival else { continue }
            order.append(i)
            minTransit = min(minTransit, a - p.sendTime)
            lastArrival = max(lastArrival, a)
        }
        order.sort { (trace.packets[$0].arrival!, $0) < (trace.packets[$1].arrival!, $1) }
        let received = order.count
        guard received > 0 else { throw PlayoutError.invalidConfiguration("trace \(trace.name) has no received packet") }

        let tick = Double(config.outputFrameMilliseconds) / 1000
        var output = [Float](repeating: 0, count: buffer.outputFrameSize)
        var next = 0
        var delaySum = 0.0
        var delayCount = 0
        var concealedAtStart = 0
        var pulledAfterStart = 0
        var started = false
        var k = 0
        let phase = 0.0037
        let end = lastArrival
        while true {
            let now = Double(k) * tick + phase
            if now > end { break }
            while next < order.count, let a = trace.packets[order[next]].arrival, a <= now {
                let i = order[next]
                buffer.insert(payloads[i], sequenceNumber: UInt16(truncatingIfNeeded: i),
                              timestamp: UInt32(truncatingIfNeeded: i) &* rtpPerPacket, ssrc: 0x1234_5678, arrival: a)
                next += 1
            }
            let r = buffer.pull(now: now, into: &output)
            if r.operation != .buffering && !started {
                started = true
                concealedAtStart = buffer.statistics.concealedSamples
            }
            if started { pulledAfterStart += buffer.outputFrameSize }
            var playoutDelay: Double?
            if let ts = r.decodedTimestamp {
                let index = Int(ts / rtpPerPacket)
                if index < trace.packets.count {
                    let emit = now + Double(r.decodedOffset) / Double(sampleRate)
                    let d = emit - trace.packets[index].sendTime - minTransit
                    playoutDelay = d
                    if emit >= warmUp {
                        delaySum += d
                        delayCount += 1
                    }
                }
            }
            onPull?(Sample(time: now, targetDelay: r.targetDelay, bufferLevel: r.bufferLevel, operation: r.operation,
                           playoutDelay: playoutDelay, removedSamples: buffer.statistics.removedSamplesForAcceleration,
                           insertedSamples: buffer.statistics.insertedSamplesForDeceleration))
            k += 1
        }
        let stats = buffer.statistics
        let late = Double(stats.latePacketsDiscarded) / Double(received)
        let meanDelay = delayCount > 0 ? delaySum / Double(delayCount) : 0
        let oracle = oracleDelay(trace, lateLossRate: late, minTransit: minTransit, pullInterval: tick, pullPhase: phase)
        let continuousOracle = oracleDelay(trace, lateLossRate: late, minTransit: minTransit)
        let fixed = fixedBuffer(trace, latency: 0.2, minTransit: minTransit)
        return Result(
            trace: trace.name, fec: fec, packetsSent: trace.packets.count, packetsLost: trace.packets.count - received,
            meanDelay: meanDelay, lateLossRate: late,
            concealmentRatio: pulledAfterStart > 0 ? Double(stats.concealedSamples - concealedAtStart) / Double(pulledAfterStart) : 0,
            fecRecoveries: stats.fecPacketsRecovered, oracleDelay: oracle, continuousOracleDelay: continuousOracle,
            ratioToOracle: oracle > 0 ? meanDelay / oracle : (meanDelay > 0 ? .infinity : 1),
            fixed200Delay: fixed.delay, fixed200LateLossRate: fixed.late, statistics: stats)
    }

    /// The smallest fixed delay (from the fastest arrival) at which at most `lateLossRate`
    /// of the received packets of `trace` arrive after their playout time. With a
    /// `pullInterval`, playout is pulled on that clock: a packet due at `t` must have
    /// arrived by the last pull at or before `t`, so it needs the delay that puts its
    /// start at or after the first pull following its arrival.
    public static func oracleDelay(_ trace: JitterTrace, lateLossRate: Double, minTransit: Double? = nil,
                                   pullInterval: Double? = nil, pullPhase: Double = 0) -> Double {
        let base = minTransit ?? trace.packets.compactMap { p in p.arrival.map { $0 - p.sendTime } }.min() ?? 0
        var relative = trace.packets.compactMap { p -> Double? in
            guard let a = p.arrival else { return nil }
            guard let tick = pullInterval else { return a - p.sendTime - base }
            let pull = pullPhase + ((a - pullPhase) / tick - 1e-9).rounded(.up) * tick
            return pull - p.sendTime - base
        }
        guard !relative.isEmpty else { return 0 }
        relative.sort()
        let allowedLate = Int((lateLossRate * Double(relative.count)).rounded(.down) + 1e-9)
        return relative[max(0, relative.count - 1 - allowedLate)]
    }

    /// A fixed-latency buffer anchored on the first received packet's transit.
    public static func fixedBuffer(_ trace: JitterTrace, latency: Double, minTransit: Double) -> (delay: Double, late: Double) {
        guard let first = trace.packets.first(where: { $0.arrival != nil }), let a0 = first.arrival else { return (0, 0) }
        let transit0 = a0 - first.sendTime
        var late = 0, received = 0
        for p in trace.packets {
            guard let a = p.arrival else { continue }
            received += 1
            if a - p.sendTime > transit0 + latency { late += 1 }
        }
        return (transit0 + latency - minTransit, received > 0 ? Double(late) / Double(received) : 0)
    }
}
