import Testing
import ParleyCore
@testable import ParleyPlayout

@Suite struct JitterBufferRobustnessTests {
    @Test func tenMillisecondPullsNeverUnderrunOnACleanLink() throws {
        var configuration = JitterBufferConfiguration()
        configuration.outputFrameMilliseconds = 10
        var expands = 0
        let result = try JitterBufferSimulation.run(.clean(seed: 4, duration: 30), configuration: configuration) { s in
            if s.time > 2 && s.operation == .expand { expands += 1 }
        }
        #expect(expands == 0)
        #expect(result.lateLossRate == 0)
        #expect(result.statistics.totalSamplesReceived > 0)
    }

    @Test func timestampsWrapAroundWithoutAReset() throws {
        let h = try Harness()
        // Frame i has timestamp base + 960 i, crossing 2^32 after frame 2.
        let base = UInt32.max - 2 * 960
        for i in 0..<8 {
            h.buffer.insert(SyntheticAudioDecoder.payload(frameIndex: UInt32(i)), sequenceNumber: UInt16(truncatingIfNeeded: 65533 + i),
                            timestamp: base &+ UInt32(i * 960), ssrc: 7, arrival: 0)
        }
        h.pull(8)
        #expect(h.decodedFrames == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(h.buffer.statistics.resets == 0)
    }

    @Test func arbitraryInputNeverBreaksThePullContract() throws {
        var r = TraceRandom(seed: 77)
        let decoder = SyntheticAudioDecoder(format: AudioFormat(sampleRate: 16000, channels: 2), keepsLog: false)
        let buffer = try AudioJitterBuffer(decoder: decoder)
        var output = [Float](repeating: .nan, count: buffer.outputFrameSize * 2)
        var now = 0.0
        for step in 0..<5000 {
            for _ in 0..<Int(r.next() % 3) {
                let size = Int(r.next() % 8)
                var payload = (0..<size).map { _ in UInt8(truncatingIfNeeded: r.next()) }
                if size == 5 { payload[4] &= 1 }
                let timestamp = r.next() % 4 == 0 ? UInt32(truncatingIfNeeded: r.next()) : UInt32(step * 960 + Int(r.next() % 5) * 960)
                let arrival = r.next() % 50 == 0 ? Double.nan : now - r.uniform() * 0.3
                buffer.insert(payload, sequenceNumber: UInt16(truncatingIfNeeded: r.next()), timestamp: timestamp,
                              ssrc: r.next() % 100 == 0 ? 2 : 1, arrival: arrival)
            }
            _ = buffer.pull(now: now, into: &output)
            #expect(!output.contains { !$0.isFinite })
            now += 0.02
        }
        let s = buffer.statistics
        #expect(s.totalSamplesReceived == 5000 * buffer.outputFrameSize)
        #expect(s.packetsDiscarded == s.latePacketsDiscarded + s.duplicatePacketsDiscarded + s.malformedPacketsDiscarded + s.overflowPacketsDiscarded)
        #expect(s.malformedPacketsDiscarded > 0)
    }

    @Test func rejectsUnusableConfigurations() throws {
        let decoder = SyntheticAudioDecoder()
        var c = JitterBufferConfiguration()
        c.outputFrameMilliseconds = 15
        #expect(throws: PlayoutError.self) { try AudioJitterBuffer(decoder: decoder, configuration: c) }
        c = JitterBufferConfiguration()
        c.rtpClockRate = 44_100
        #expect(throws: PlayoutError.self) { try AudioJitterBuffer(decoder: decoder, configuration: c) }
        c = JitterBufferConfiguration()
        c.minimumDelay = 2
        c.maximumDelay = 1
        #expect(throws: PlayoutError.self) { try AudioJitterBuffer(decoder: decoder, configuration: c) }
        // Messages say what to do.
        #expect(PlayoutError.invalidConfiguration("x").description.contains("use 10 or 20 ms frames"))
    }
}
