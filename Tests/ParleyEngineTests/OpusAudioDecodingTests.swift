import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleyPlayout
import ParleyTestSupport
import Testing

/// The Opus adapter behind the jitter buffer: a 440 Hz tone encoded with in-band FEC, one
/// packet lost, played out through `AudioJitterBuffer`.
@Suite struct OpusAudioDecodingTests {
    @Test func jitterBufferPlaysOpusAndRecoversALossWithFEC() throws {
        let encoder = try OpusEncoder(configuration: OpusConfiguration(
            sampleRate: 48000, channels: 1, bitrate: 32_000, application: .voip, inbandFEC: true, expectedPacketLossPercent: 20))
        let adapter = try OpusAudioDecoding(sampleRate: 48000, channels: 1)
        var configuration = JitterBufferConfiguration()
        configuration.minimumDelay = 0.06 // keep the packet after a loss in the buffer
        let buffer = try AudioJitterBuffer(decoder: adapter, configuration: configuration)
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var pcm = [Float](repeating: 0, count: 960)
        var output = [Float](repeating: 0, count: 960)
        var played: [Float] = []
        var operations: [PlayoutOperation] = []
        var now = 0.0
        for i in 0..<60 {
            for n in 0..<960 { pcm[n] = Float(sin(2 * Double.pi * 440 * Double(i * 960 + n) / 48000)) * 0.3 }
            let length = try encoder.encode(pcm, into: &packet)
            if i != 30 {
                buffer.insert(packet[0..<length], sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), ssrc: 1, arrival: now)
            }
            if i >= 2 {
                let r = buffer.pull(now: now, into: &output)
                operations.append(r.operation)
                if i > 10 { played += output }
            }
            now += 0.02
        }
        #expect(operations.contains(.fec))
        #expect(buffer.statistics.fecPacketsRecovered == 1)
        #expect(buffer.statistics.concealedSamples == 0)
        #expect(buffer.statistics.jitterBufferEmittedCount > 40 * 960)
        // Still a 440 Hz tone after the loss.
        let frequency = AudioAlignment_dominant(played)
        #expect(abs(frequency - 440) < 10, "played \(frequency) Hz")
        print("opus through the jitter buffer: FEC \(buffer.statistics.fecPacketsRecovered), concealment events \(buffer.statistics.concealmentEvents)")
    }

    @Test func steadyStatePlayoutThroughOpusDoesNotAllocate() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let encoder = try OpusEncoder(configuration: OpusConfiguration(sampleRate: 48000, channels: 1, inbandFEC: true, expectedPacketLossPercent: 10))
        let buffer = try AudioJitterBuffer(decoder: OpusAudioDecoding(sampleRate: 48000, channels: 1))
        var packets: [[UInt8]] = []
        var pcm = [Float](repeating: 0, count: 960)
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        for i in 0..<200 {
            for n in 0..<960 { pcm[n] = Float(sin(2 * Double.pi * 300 * Double(i * 960 + n) / 48000)) * 0.3 }
            let length = try encoder.encode(pcm, into: &packet)
            packets.append(Array(packet[0..<length]))
        }
        var output = [Float](repeating: 0, count: 960)
        var now = 0.0
        for i in 0..<20 {
            buffer.insert(packets[i], sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), ssrc: 1, arrival: now)
            _ = buffer.pull(now: now, into: &output)
            now += 0.02
        }
        let allocations = AllocationCounter.count {
            for i in 20..<200 {
                // Every 9th packet lost, every 5th a little late: FEC, concealment and stretching run too.
                if i % 9 != 0 && i % 31 != 1 && i % 31 != 2 { // single losses (FEC) and double ones (PLC)
                    buffer.insert(packets[i][...], sequenceNumber: UInt16(i), timestamp: UInt32(i * 960), ssrc: 1,
                                  arrival: now + (i % 5 == 0 ? 0.015 : 0))
                }
                _ = buffer.pull(now: now, into: &output)
                now += 0.02
            }
        }
        #expect(allocations == 0)
        #expect(buffer.statistics.fecPacketsRecovered > 10)
        #expect(buffer.statistics.concealedSamples > 0)
    }

    /// Zero-crossing frequency (ParleyEngineTests does not import ParleyMetrics).
    private func AudioAlignment_dominant(_ x: [Float]) -> Double {
        var first = -1.0, last = -1.0, count = 0
        for i in 1..<x.count where x[i - 1] < 0 && x[i] >= 0 {
            let t = Double(i - 1) + Double(-x[i - 1] / (x[i] - x[i - 1]))
            if first < 0 { first = t }
            last = t
            count += 1
        }
        return count > 1 ? 48000 * Double(count - 1) / (last - first) : 0
    }
}
