import Testing
@testable import ParleyRTP

@Suite("VP8 payloader and depayloader")
struct VP8PayloaderTests {
    @Test("a 5000-byte frame at maxPayloadSize 1100: 5 packets, S on the first, marker on the last, exact reassembly")
    func fragmentation() throws {
        var random = SeededRandom(seed: 1)
        let payloader = try VP8Payloader(maxPayloadSize: 1100, initialPictureID: 300)
        let frame = vp8Frame(size: 5000, keyframe: true, random: &random)
        var sequence: UInt16 = 1000
        let packets = packetize(payloader, frame: frame, keyframe: true, sequenceNumber: &sequence, timestamp: 90_000)
        #expect(packets.count == 5)  // ceil(5000 / (1100 - 4))
        #expect(payloader.packetCount(forFrameSize: 5000) == 5)
        for (i, packet) in packets.enumerated() {
            #expect(packet.payload.count <= 1100)
            let descriptor = try VP8PayloadDescriptor(parsing: packet.payload)
            #expect(descriptor.startOfPartition == (i == 0))
            #expect(descriptor.partitionIndex == 0)
            #expect(descriptor.pictureID == 300)
            #expect(descriptor.pictureIDIs15Bit)
            #expect(packet.marker == (i == packets.count - 1))
        }
        #expect(packets.reduce(0) { $0 + $1.payload.count - 4 } == 5000)
        #expect(payloader.pictureID == 301)

        let depayloader = VP8Depayloader()
        let received = try feed(depayloader, packets)
        #expect(received.frames == [ReceivedFrame(bytes: frame, timestamp: 90_000, isKeyframe: true, pictureID: 300)])
        #expect(received.incomplete == 0)
        #expect(depayloader.assembler.framesAssembled == 1)
    }

    @Test("keyframe flag follows the P bit of the VP8 payload header")
    func keyframeDetection() throws {
        var random = SeededRandom(seed: 2)
        let payloader = try VP8Payloader()
        let depayloader = VP8Depayloader()
        var sequence: UInt16 = 0
        let key = vp8Frame(size: 3000, keyframe: true, random: &random)
        let delta = vp8Frame(size: 300, keyframe: false, random: &random)
        var packets = packetize(payloader, frame: key, keyframe: true, sequenceNumber: &sequence, timestamp: 0)
        packets += packetize(payloader, frame: delta, keyframe: false, sequenceNumber: &sequence, timestamp: 3000)
        let received = try feed(depayloader, packets)
        #expect(received.frames.map(\.isKeyframe) == [true, false])
        #expect(received.frames.map(\.bytes) == [key, delta])
    }

    @Test("packets shuffled within and across frames still reassemble byte-exact")
    func reordering() throws {
        var random = SeededRandom(seed: 3)
        let payloader = try VP8Payloader(maxPayloadSize: 500)
        var sequence: UInt16 = 40
        var frames: [[UInt8]] = []
        var packets: [TestPacket] = []
        for n in 0..<3 {
            let frame = vp8Frame(size: Int.random(in: 1200...4000, using: &random), keyframe: n == 0, random: &random)
            frames.append(frame)
            packets += packetize(payloader, frame: frame, keyframe: n == 0, sequenceNumber: &sequence, timestamp: UInt32(n) * 3000)
        }
        packets.shuffle(using: &random)
        let depayloader = VP8Depayloader()
        let received = try feed(depayloader, packets)
        #expect(received.incomplete == 0)
        #expect(received.frames.count == 3)
        #expect(received.frames.sorted { $0.timestamp < $1.timestamp }.map(\.bytes) == frames)
        // Duplicates of delivered frames are counted and dropped.
        let again = try feed(depayloader, [packets[0]])
        #expect(again.frames.isEmpty)
        #expect(depayloader.assembler.latePackets == 1)
    }

    @Test("a lost middle packet: the frame is never returned and is reported incomplete")
    func lossReported() throws {
        var random = SeededRandom(seed: 4)
        let payloader = try VP8Payloader(maxPayloadSize: 1100)
        let depayloader = VP8Depayloader(configuration: FrameAssembler.Configuration(maxFramesInFlight: 2))
        var sequence: UInt16 = 0
        var packets = packetize(payloader, frame: vp8Frame(size: 5000, keyframe: true, random: &random), keyframe: true, sequenceNumber: &sequence, timestamp: 0)
        packets.remove(at: 2)
        var result = try feed(depayloader, packets)
        #expect(result.frames.isEmpty)
        #expect(result.incomplete == 0)  // may still arrive
        // Two newer frames push it out of the two-frame window.
        var later: [[UInt8]] = []
        for n in 1...2 {
            let frame = vp8Frame(size: 200, keyframe: false, random: &random)
            later.append(frame)
            let more = packetize(payloader, frame: frame, keyframe: false, sequenceNumber: &sequence, timestamp: UInt32(n) * 3000)
            let step = try feed(depayloader, more)
            result.frames += step.frames
            result.incomplete += step.incomplete
        }
        #expect(result.incomplete == 1)
        #expect(result.frames.map(\.bytes) == later)
        #expect(depayloader.assembler.framesIncomplete == 1)
    }

    @Test("a timestamp change before the marker reports the frame at once with a one-frame window")
    func timestampChange() throws {
        var random = SeededRandom(seed: 5)
        let payloader = try VP8Payloader(maxPayloadSize: 300)
        let depayloader = VP8Depayloader(configuration: FrameAssembler.Configuration(maxFramesInFlight: 1))
        var sequence: UInt16 = 0
        var first = packetize(payloader, frame: vp8Frame(size: 1000, keyframe: true, random: &random), keyframe: true, sequenceNumber: &sequence, timestamp: 0)
        first.removeLast()  // the marker packet is lost
        let second = packetize(payloader, frame: vp8Frame(size: 100, keyframe: false, random: &random), keyframe: false, sequenceNumber: &sequence, timestamp: 3000)
        #expect(try feed(depayloader, first).incomplete == 0)
        let result = try feed(depayloader, second)
        #expect(result.incomplete == 1)
        #expect(result.frames.count == 1)
        #expect(depayloader.flush() == 0)
    }

    @Test("a frame whose sequence numbers wrap past 65535 reassembles")
    func sequenceWrap() throws {
        var random = SeededRandom(seed: 6)
        let payloader = try VP8Payloader(maxPayloadSize: 1100)
        let frame = vp8Frame(size: 5000, keyframe: true, random: &random)
        var sequence: UInt16 = 65533
        let packets = packetize(payloader, frame: frame, keyframe: true, sequenceNumber: &sequence, timestamp: 0xFFFF_FF00)
        #expect(packets.map(\.sequenceNumber) == [65533, 65534, 65535, 0, 1])
        var reversed = packets
        reversed.reverse()
        let received = try feed(VP8Depayloader(), reversed)
        #expect(received.frames.map(\.bytes) == [frame])
    }

    @Test("PictureID counts per frame and wraps from 0x7FFF to 0")
    func pictureIDWrap() throws {
        var random = SeededRandom(seed: 7)
        let payloader = try VP8Payloader(maxPayloadSize: 200, initialPictureID: 0x7FFE)
        let depayloader = VP8Depayloader()
        var sequence: UInt16 = 0
        var packets: [TestPacket] = []
        for n in 0..<3 {
            packets += packetize(payloader, frame: vp8Frame(size: 500, keyframe: false, random: &random), keyframe: false, sequenceNumber: &sequence, timestamp: UInt32(n) * 3000)
        }
        #expect(try feed(depayloader, packets).frames.map(\.pictureID) == [0x7FFE, 0x7FFF, 0])
        #expect(payloader.pictureID == 1)
    }

    @Test("malformed payloads throw, are counted, and leave the depayloader working")
    func malformedPayloads() throws {
        let depayloader = VP8Depayloader()
        for bad: [UInt8] in [[], [0x90], [0x80], [0x90, 0x80, 0x80], [0x10]] {
            #expect(throws: RTPError.self, "\(bad)") {
                try bad.withUnsafeBytes { try depayloader.depacketize(payload: $0, marker: true, sequenceNumber: 1, timestamp: 1) }
            }
        }
        #expect(depayloader.malformedPackets == 5)
        let good: [UInt8] = [0x10, 0x00, 0x01, 0x02]
        let frame = try good.withUnsafeBytes { try depayloader.depacketize(payload: $0, marker: true, sequenceNumber: 2, timestamp: 2).frame.map { Array($0.bytes) } }
        #expect(frame == [0x00, 0x01, 0x02])
    }

    @Test("random packet streams never crash the depayloader")
    func fuzzStream() {
        var random = SeededRandom(seed: 8)
        let depayloader = VP8Depayloader(configuration: FrameAssembler.Configuration(slotCount: 16, maxPayloadSize: 64, maxFramesInFlight: 2))
        for _ in 0..<20_000 {
            let bytes = random.bytes(Int.random(in: 0...80, using: &random))
            let result = try? bytes.withUnsafeBytes {
                try depayloader.depacketize(
                    payload: $0, marker: random.bool(), sequenceNumber: UInt16.random(in: 0...40, using: &random),
                    timestamp: UInt32.random(in: 0...5, using: &random))
            }
            if let frame = result?.frame { #expect(frame.bytes.count <= 16 * 64) }
        }
        #expect(depayloader.assembler.framesAssembled + depayloader.assembler.framesIncomplete > 0)
    }
}
