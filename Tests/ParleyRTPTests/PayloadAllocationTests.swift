import ParleyTestSupport
import Testing
@testable import ParleyRTP

@Suite("Payload path allocations")
struct PayloadAllocationTests {
    @Test("steady-state VP8, VP9 and Opus packetize + depacketize and packet history allocate nothing")
    func noAllocationPerPacket() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        var random = SeededRandom(seed: 21)
        let frames = (0..<8).map { n in vp8Frame(size: 800 + n * 700, keyframe: n == 0, random: &random) }
        let vp8 = try VP8Payloader(maxPayloadSize: 1100)
        let vp8Receiver = VP8Depayloader()
        let vp9 = try VP9Payloader(width: 640, height: 480, maxPayloadSize: 1100)
        let vp9Receiver = VP9Depayloader()
        let history = RTPPacketHistory()
        var opus = OpusPayloader()
        var opusReceiver = OpusDepayloader()
        let opusPacket: [UInt8] = [0xF8] + [UInt8](repeating: 0x33, count: 80)
        var sequence: UInt16 = 65000
        var timestamp: UInt32 = 0
        var completed = 0
        var bytesOut = 0
        var failure: (any Error)?

        func step(_ n: Int) {
            let frame = frames[n % frames.count]
            let keyframe = n % 30 == 0
            timestamp &+= 3000
            frame.withUnsafeBytes { raw in
                vp8.packetize(frame: raw, keyframe: keyframe) { payload, marker in
                    do {
                        try history.store(sequenceNumber: sequence, packet: payload)
                        if let frame = try vp8Receiver.depacketize(payload: payload, marker: marker, sequenceNumber: sequence, timestamp: timestamp).frame {
                            completed += 1
                            bytesOut += frame.bytes.count
                        }
                    } catch { failure = error }
                    sequence &+= 1
                }
                vp9.packetize(frame: raw, keyframe: keyframe) { payload, marker in
                    do {
                        if try vp9Receiver.depacketize(payload: payload, marker: marker, sequenceNumber: sequence, timestamp: timestamp).frame != nil {
                            completed += 1
                        }
                    } catch { failure = error }
                    sequence &+= 1
                }
            }
            // A NACK answered from the history.
            bytesOut += history.packet(for: sequence &- 3)?.count ?? 0
            opusPacket.withUnsafeBytes { raw in
                do {
                    if let payload = try opus.packetize(raw) {
                        bytesOut += try opusReceiver.depacketize(payload: payload.bytes).packet.count
                    }
                } catch { failure = error }
            }
        }

        for n in 0..<20 { step(n) }  // warm-up
        let before = completed
        let allocations = AllocationCounter.count {
            for n in 20..<320 { step(n) }
        }
        #expect(failure == nil)
        #expect(completed - before == 600, "every VP8 and VP9 frame reassembled")
        #expect(bytesOut > 0)
        #expect(allocations == 0, "\(allocations) heap allocations in 300 frames")
    }
}
