import Testing
import ParleyCore
import ParleyTestSupport
@testable import ParleyPlayout

/// Drives a buffer by hand: 20 ms packets of the synthetic decoder at 8 kHz, RTP clock 48 kHz.
final class Harness {
    let decoder = SyntheticAudioDecoder(format: AudioFormat(sampleRate: 8000, channels: 1))
    let buffer: AudioJitterBuffer
    var output = [Float](repeating: 0, count: 160)
    var now = 0.0
    var operations: [PlayoutOperation] = []

    init(configuration: JitterBufferConfiguration = JitterBufferConfiguration()) throws {
        buffer = try AudioJitterBuffer(decoder: decoder, configuration: configuration)
    }

    func send(_ index: Int, fec: Bool = true, ssrc: UInt32 = 7, timestampOffset: UInt32 = 0, dtx: Bool = false, sequence: Int? = nil) {
        buffer.insert(SyntheticAudioDecoder.payload(frameIndex: UInt32(index), carriesFEC: fec, dtx: dtx),
                      sequenceNumber: UInt16(truncatingIfNeeded: sequence ?? index),
                      timestamp: UInt32(index) &* 960 &+ timestampOffset, ssrc: ssrc, arrival: now)
    }

    @discardableResult
    func pull(_ count: Int = 1) -> PullResult {
        var last = PullResult(operation: .buffering)
        for _ in 0..<count {
            last = buffer.pull(now: now, into: &output)
            operations.append(last.operation)
            now += 0.02
        }
        return last
    }

    var decodedFrames: [UInt32] {
        decoder.log.compactMap { if case .decoded(let i) = $0 { return i } else { return nil } }
    }
}

@Suite struct AudioJitterBufferTests {
    @Test func neverUnderrunsOnACleanLink() throws {
        var operations: [PlayoutOperation] = []
        let result = try JitterBufferSimulation.run(.clean(seed: 11, duration: 60)) { sample in
            if sample.time > 2 { operations.append(sample.operation) }
        }
        #expect(operations.filter { $0 == .expand }.count == 0)
        #expect(operations.filter { $0 == .buffering }.count == 0)
        #expect(result.lateLossRate == 0)
        #expect(result.concealmentRatio == 0)
        #expect(result.statistics.concealedSamples == 0)
        #expect(result.meanDelay < 0.06, "clean link should play with little buffering, got \(result.meanDelay)")
    }

    @Test func adaptsUpWithinTwoSecondsAndDownWithinTenSeconds() throws {
        // 20 s calm, 20 s of 30 ms normal jitter, 40 s calm.
        var r = TraceRandom(seed: 5)
        let trace = JitterTrace.generate(name: "step", duration: 80) { _, send in
            let calm = 0.040 + 0.001 * r.uniform()
            return send >= 20 && send < 40 ? 0.040 + max(0, 0.060 + 0.030 * r.normal()) : calm
        }
        var samples: [JitterBufferSimulation.Sample] = []
        let result = try JitterBufferSimulation.run(trace) { samples.append($0) }
        func mean(_ from: Double, _ to: Double, _ key: (JitterBufferSimulation.Sample) -> Double) -> Double {
            let s = samples.filter { $0.time >= from && $0.time < to }
            return s.map(key).reduce(0, +) / Double(max(1, s.count))
        }
        let calmTarget = mean(10, 20) { $0.targetDelay }
        let jitterTarget = mean(30, 40) { $0.targetDelay }
        func meanDelay(_ from: Double, _ to: Double) -> Double {
            let d = samples.filter { $0.time >= from && $0.time < to }.compactMap(\.playoutDelay)
            return d.reduce(0, +) / Double(max(1, d.count))
        }
        let jitterDelay = meanDelay(30, 40)
        #expect(jitterTarget > calmTarget + 0.08, "target \(calmTarget) -> \(jitterTarget)")
        // Up within 2 s: target and actual level over [21.5, 22) s near the jittery steady state.
        let upTarget = mean(21.5, 22) { $0.targetDelay }
        let upDelay = meanDelay(21.5, 22)
        #expect(upTarget >= 0.85 * jitterTarget, "target 2 s after the jitter began: \(upTarget) vs \(jitterTarget)")
        #expect(upDelay >= 0.85 * jitterDelay, "playout delay 2 s after the jitter began: \(upDelay) vs \(jitterDelay)")
        // Down within 10 s of calm: [49, 50) s back near the calm state.
        let calmDelay = meanDelay(10, 20)
        let downTarget = mean(49, 50) { $0.targetDelay }
        let downDelay = meanDelay(49, 50)
        #expect(downTarget <= calmTarget + 0.01, "target 10 s after calm: \(downTarget) vs \(calmTarget)")
        #expect(downDelay <= calmDelay + 0.02, "playout delay 10 s after calm: \(downDelay) vs \(calmDelay)")
        print("step: target \(calmTarget) -> \(upTarget) (2 s) / \(jitterTarget) -> \(downTarget) (10 s after calm); delay \(calmDelay) -> \(upDelay) / \(jitterDelay) -> \(downDelay)")
        #expect(result.statistics.removedSamplesForAcceleration > 0)
        #expect(result.statistics.insertedSamplesForDeceleration > 0)
    }

    @Test(arguments: [100.0, -100.0])
    func driftDoesNotGrowTheDelay(ppm: Double) throws {
        var samples: [JitterBufferSimulation.Sample] = []
        let result = try JitterBufferSimulation.run(.drift(seed: 21, duration: 600, ppm: ppm)) { samples.append($0) }
        func meanDelay(_ from: Double, _ to: Double) -> Double {
            let d = samples.filter { $0.time >= from && $0.time < to }.compactMap(\.playoutDelay)
            return d.reduce(0, +) / Double(max(1, d.count))
        }
        let early = meanDelay(30, 90), late = meanDelay(540, 600)
        // 100 ppm over 10 minutes is 60 ms: a buffer that did not absorb it would move that much.
        #expect(abs(late - early) < 0.02, "playout delay \(early) s -> \(late) s with \(ppm) ppm")
        #expect(result.lateLossRate <= 0.01)
        #expect(result.concealmentRatio < 0.001)
        // After convergence the time-stretch absorbs the drift: 100 ppm of 570 s is 57 ms.
        let from = try #require(samples.first { $0.time > 30 }), to = try #require(samples.last)
        let net = Double((to.removedSamples - from.removedSamples) - (to.insertedSamples - from.insertedSamples)) / 8000
        print("drift \(ppm) ppm: delay \(early) -> \(late) s, net removed by time-stretch \(net) s")
        #expect(ppm > 0 ? net > 0.03 : net < -0.03)
    }

    @Test func fecRecoversASingleLossWhenTheNextPacketIsThere() throws {
        let h = try Harness()
        for i in 0..<8 { if i != 4 { h.send(i) } }
        h.pull(12)
        #expect(h.decoder.log.contains(.recoveredByFEC(frameIndex: 4)))
        #expect(h.operations.contains(.fec))
        #expect(h.decodedFrames == [0, 1, 2, 3, 5, 6, 7])
        #expect(h.buffer.statistics.fecPacketsRecovered == 1)
    }

    @Test func concealsWhenTheNextPacketIsMissingOrHasNoFEC() throws {
        // Two consecutive losses: FEC of 6 covers 5, but 4 has no next packet: PLC.
        let h = try Harness()
        for i in 0..<9 { if i != 4 && i != 5 { h.send(i) } }
        h.pull(9) // 0-3, PLC, FEC, 6-8: no more than the packets hold
        #expect(Array(h.decoder.log.prefix(8)) == [.decoded(frameIndex: 0), .decoded(frameIndex: 1), .decoded(frameIndex: 2),
                                                     .decoded(frameIndex: 3), .concealed, .recoveredByFEC(frameIndex: 5),
                                                     .decoded(frameIndex: 6), .decoded(frameIndex: 7)])
        #expect(h.buffer.statistics.concealmentEvents >= 1)
        // Without FEC data: concealment.
        let g = try Harness()
        for i in 0..<8 { if i != 4 { g.send(i, fec: false) } }
        g.pull(8)
        #expect(g.buffer.statistics.fecPacketsRecovered == 0)
        #expect(g.decoder.log.contains(.concealed))
        #expect(g.decodedFrames == [0, 1, 2, 3, 5, 6, 7])
    }

    @Test func reordersAndDiscardsLateAndDuplicatePackets() throws {
        let h = try Harness()
        for i in [0, 2, 1, 3, 5, 4, 6, 7] { h.send(i) }
        h.send(3) // duplicate while buffered
        h.pull(8)
        h.send(1) // duplicate of a played packet
        #expect(h.decodedFrames == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(h.buffer.statistics.duplicatePacketsDiscarded == 2)
        // A packet that was concealed over and arrives after its playout point: late.
        let g = try Harness()
        for i in 0..<6 { if i != 3 { g.send(i, fec: false) } }
        g.pull(8)
        g.send(3, fec: false)
        #expect(g.buffer.statistics.latePacketsDiscarded == 1)
        #expect(g.buffer.statistics.packetsDiscarded == 1)
        #expect(!g.decodedFrames.contains(3))
    }

    @Test func resetsOnSSRCChangeAndTimestampJump() throws {
        let h = try Harness()
        for i in 0..<6 { h.send(i) }
        h.pull(4)
        // New SSRC with an unrelated timestamp base.
        for i in 100..<106 { h.send(i, ssrc: 99, timestampOffset: 123_456_789) }
        h.pull(8)
        #expect(h.buffer.statistics.resets == 1)
        #expect(h.decodedFrames.contains(100))
        #expect(h.decoder.log.contains(.reset))
        // Same SSRC, timestamps jump 10 minutes ahead.
        for i in 30_000..<30_006 { h.send(i, ssrc: 99, timestampOffset: 123_456_789) }
        h.pull(8)
        #expect(h.buffer.statistics.resets == 2)
        #expect(h.decodedFrames.contains(30_000))
        #expect(h.decodedFrames.contains(30_003))
    }

    @Test func malformedPacketsAreCountedDrops() throws {
        let h = try Harness()
        h.buffer.insert([UInt8](), sequenceNumber: 1, timestamp: 0, ssrc: 7, arrival: 0)
        h.buffer.insert([UInt8](repeating: 0, count: 5000), sequenceNumber: 1, timestamp: 0, ssrc: 7, arrival: 0)
        for i in 0..<6 { h.send(i) }
        h.buffer.insert([1, 2, 3], sequenceNumber: 6, timestamp: 6 * 960, ssrc: 7, arrival: 0) // decoder rejects it
        for i in 7..<10 { h.send(i) }
        h.pull(12)
        #expect(h.buffer.statistics.malformedPacketsDiscarded == 3)
        #expect(h.decodedFrames.contains(7))
    }

    @Test func comfortNoiseFillsADTXGap() throws {
        let h = try Harness()
        for i in 0..<5 { h.send(i) }
        h.send(5, dtx: true)
        h.pull(10)
        // Silence for 1 s (50 packets), then speech resumes at frame 56.
        h.pull(50)
        for i in 56..<62 { h.send(i) }
        h.pull(10)
        #expect(h.operations.contains(.comfortNoise))
        #expect(h.buffer.statistics.comfortNoiseSamples > 0)
        let resumed = try #require(h.decoder.log.firstIndex(of: .decoded(frameIndex: 56)))
        #expect(!h.decoder.log[..<resumed].contains(.concealed))
        #expect(h.buffer.statistics.latePacketsDiscarded == 0)
    }

    @Test func pullDoesNotAllocateInSteadyState() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let h = try Harness()
        for i in 0..<10 { h.send(i) }
        h.pull(5)
        let payload = SyntheticAudioDecoder.payload(frameIndex: 10, carriesFEC: true)
        h.decoder.keepsLog = false
        let allocations = AllocationCounter.count {
            for i in 10..<200 {
                if i % 7 != 0 {
                    h.buffer.insert(payload[...], sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), ssrc: 7, arrival: h.now)
                }
                _ = h.buffer.pull(now: h.now, into: &h.output)
                h.now += 0.02
            }
        }
        #expect(allocations == 0)
    }
}
