import Testing
@testable import ParleyRTP

@Suite("VP9 payloader and depayloader")
struct VP9PayloaderTests {
    @Test("keyframe: B first, E and marker last, P = 0, SS with the size on the first packet only")
    func keyframePackets() throws {
        var random = SeededRandom(seed: 11)
        let payloader = try VP9Payloader(width: 1280, height: 720, maxPayloadSize: 1100, initialPictureID: 42)
        let frame = random.bytes(5000)
        var sequence: UInt16 = 0
        let packets = packetize(payloader, frame: frame, keyframe: true, sequenceNumber: &sequence, timestamp: 0)
        #expect(packets.count == payloader.packetCount(forFrameSize: 5000, keyframe: true))
        #expect(packets.count == 5)
        for (i, packet) in packets.enumerated() {
            #expect(packet.payload.count <= 1100)
            let descriptor = try VP9PayloadDescriptor(parsing: packet.payload)
            #expect(descriptor.beginningOfFrame == (i == 0))
            #expect(descriptor.endOfFrame == (i == packets.count - 1))
            #expect(packet.marker == (i == packets.count - 1))
            #expect(!descriptor.interPicturePredicted)
            #expect(!descriptor.flexibleMode)
            #expect(descriptor.pictureID == 42 && descriptor.pictureIDIs15Bit)
            if i == 0 {
                #expect(descriptor.scalabilityStructure == VP9PayloadDescriptorTests.keyframeSS.with(width: 1280, height: 720))
            } else {
                #expect(descriptor.scalabilityStructure == nil)
            }
        }
        let depayloader = VP9Depayloader()
        let received = try feed(depayloader, packets.reversed())
        #expect(received.frames == [ReceivedFrame(bytes: frame, timestamp: 0, isKeyframe: true, pictureID: 42)])
        #expect(depayloader.lastResolution == VP9Resolution(width: 1280, height: 720))
        #expect(depayloader.scalabilityStructuresSeen == 1)
    }

    @Test("inter frames: P = 1 and no SS on any packet")
    func interFramePackets() throws {
        var random = SeededRandom(seed: 12)
        let payloader = try VP9Payloader(width: 320, height: 240, maxPayloadSize: 400)
        var sequence: UInt16 = 65530
        let frame = random.bytes(2000)
        let packets = packetize(payloader, frame: frame, keyframe: false, sequenceNumber: &sequence, timestamp: 9)
        #expect(packets.count == 6)  // ceil(2000 / 397)
        for packet in packets {
            let descriptor = try VP9PayloadDescriptor(parsing: packet.payload)
            #expect(descriptor.interPicturePredicted)
            #expect(descriptor.scalabilityStructure == nil)
            #expect(packet.payload.count <= 400)
        }
        let received = try feed(VP9Depayloader(), packets)  // sequence numbers wrap inside the frame
        #expect(received.frames == [ReceivedFrame(bytes: frame, timestamp: 9, isKeyframe: false, pictureID: 0)])
    }

    @Test("shuffled packets of several frames reassemble; a lost packet is reported, not returned")
    func reorderAndLoss() throws {
        var random = SeededRandom(seed: 13)
        let payloader = try VP9Payloader(width: 64, height: 64, maxPayloadSize: 300, initialPictureID: 0x7FFF)
        var sequence: UInt16 = 100
        var frames: [[UInt8]] = []
        var packets: [TestPacket] = []
        for n in 0..<4 {
            let frame = random.bytes(Int.random(in: 500...1500, using: &random))
            frames.append(frame)
            packets += packetize(payloader, frame: frame, keyframe: n == 0, sequenceNumber: &sequence, timestamp: UInt32(n) * 3000)
        }
        var shuffled = packets
        shuffled.shuffle(using: &random)
        let received = try feed(VP9Depayloader(), shuffled)
        #expect(received.frames.sorted { $0.timestamp < $1.timestamp }.map(\.bytes) == frames)
        #expect(received.frames.sorted { $0.timestamp < $1.timestamp }.map(\.pictureID) == [0x7FFF, 0, 1, 2])
        #expect(received.frames.filter(\.isKeyframe).map(\.timestamp) == [0])

        // Drop a middle packet of frame 1.
        let frameOne = packets.indices.filter { packets[$0].timestamp == 3000 }
        var lossy = packets
        lossy.remove(at: frameOne[1])
        let depayloader = VP9Depayloader()
        let partial = try feed(depayloader, lossy)
        #expect(partial.frames.map(\.timestamp) == [0, 6000, 9000])
        #expect(partial.incomplete + depayloader.flush() == 1)
        #expect(depayloader.assembler.framesIncomplete == 1)
    }

    @Test("malformed payloads throw and are counted")
    func malformedPayloads() {
        let depayloader = VP9Depayloader()
        // Truncated, I without picture id, SS claiming 8 layers of sizes in 4 bytes, no media.
        for bad: [UInt8] in [[], [0x88], [0x8A, 0x01, 0xF0, 0, 1, 0, 1], [0x8C, 0x01]] {
            #expect(throws: RTPError.self, "\(bad)") {
                try bad.withUnsafeBytes { try depayloader.depacketize(payload: $0, marker: true, sequenceNumber: 1, timestamp: 1) }
            }
        }
        #expect(depayloader.malformedPackets == 4)
    }
}

extension VP9ScalabilityStructure {
    func with(width: UInt16, height: UInt16) -> VP9ScalabilityStructure {
        var copy = self
        copy.resolutions = [VP9Resolution(width: width, height: height)]
        return copy
    }
}
