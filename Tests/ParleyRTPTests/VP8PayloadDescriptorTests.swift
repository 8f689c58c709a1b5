import Testing
@testable import ParleyRTP

@Suite("VP8 payload descriptor (RFC 7741 §4.2)")
struct VP8PayloadDescriptorTests {
    @Test("every optional field, hand-encoded from the §4.2 layout")
    func fullDescriptorBytes() throws {
        let descriptor = VP8PayloadDescriptor(
            startOfPartition: true, partitionIndex: 0, pictureID: 0x1234, pictureIDIs15Bit: true, tl0PicIdx: 0x56,
            temporalLayerID: 2, layerSync: true, keyIndex: 5)
        // X|R|N|S|R|PID = 1 0 0 1 0 000; I L T K = 1111; M + 0x12, 0x34; TL0PICIDX;
        // TID=10 Y=1 KEYIDX=00101.
        let bytes: [UInt8] = [0x90, 0xF0, 0x92, 0x34, 0x56, 0xA5]
        #expect(try descriptor.serialized() == bytes)
        let parsed = try bytes.withUnsafeBytes { try VP8PayloadDescriptor.parse($0) }
        #expect(parsed.size == 6)
        #expect(try VP8PayloadDescriptor(parsing: bytes) == descriptor)
        #expect(descriptor.startsFrame)
    }

    @Test("short forms: no extension, 7-bit PictureID, KEYIDX alone")
    func shortForms() throws {
        let plain = VP8PayloadDescriptor(nonReference: true, startOfPartition: false, partitionIndex: 3)
        #expect(try plain.serialized() == [0x23])
        #expect(!plain.startsFrame)
        let sevenBit = VP8PayloadDescriptor(pictureID: 0x55, pictureIDIs15Bit: false)
        #expect(try sevenBit.serialized() == [0x80, 0x80, 0x55])
        let keyOnly = VP8PayloadDescriptor(keyIndex: 31)
        #expect(try keyOnly.serialized() == [0x80, 0x10, 0x1F])
        #expect(try VP8PayloadDescriptor(parsing: [0x80, 0x10, 0x1F]) == keyOnly)
        // X = 1 with no field announced still consumes the extension byte.
        let bytes: [UInt8] = [0x90, 0x00, 0xAB]
        let parsed = try bytes.withUnsafeBytes { try VP8PayloadDescriptor.parse($0) }
        #expect(parsed.size == 2)
        #expect(parsed.descriptor == VP8PayloadDescriptor(startOfPartition: true))
    }

    @Test("what the payloader writes: X, I, M, 15-bit PictureID")
    func payloaderLayout() throws {
        let payloader = try VP8Payloader(maxPayloadSize: 100, initialPictureID: 0x0ABC)
        var sequence: UInt16 = 0
        let packets = packetize(payloader, frame: [0x10, 0x20, 0x30], keyframe: true, sequenceNumber: &sequence, timestamp: 0)
        #expect(packets.count == 1)
        #expect(packets[0].payload == [0x90, 0x80, 0x8A, 0xBC, 0x10, 0x20, 0x30])
        #expect(packets[0].marker)
    }

    @Test("malformed descriptors throw RTPError")
    func malformed() {
        let cases: [[UInt8]] = [
            [],  // nothing
            [0x80],  // X set, no extension byte
            [0x80, 0x80],  // I set, no PictureID
            [0x80, 0x80, 0x80],  // M set, second PictureID byte missing
            [0x80, 0x40],  // L set, no TL0PICIDX
            [0x80, 0x20],  // T set, no TID byte
            [0x80, 0xC0, 0x05],  // I and L, TL0PICIDX missing
        ]
        for bytes in cases {
            #expect(throws: RTPError.self, "\(bytes)") { try VP8PayloadDescriptor(parsing: bytes) }
        }
        #expect(throws: RTPError.self) { try VP8PayloadDescriptor(pictureID: 0x80, pictureIDIs15Bit: false).serialized() }
        #expect(throws: RTPError.self) { try VP8PayloadDescriptor(pictureID: 0x8000).serialized() }
        #expect(throws: RTPError.self) { try VP8PayloadDescriptor(partitionIndex: 8).serialized() }
        #expect(throws: RTPError.self) { try VP8PayloadDescriptor(temporalLayerID: 4).serialized() }
        #expect(throws: RTPError.self) { try VP8PayloadDescriptor(keyIndex: 32).serialized() }
        var small = [UInt8](repeating: 0, count: 3)
        #expect(throws: RTPError.bufferTooSmall(needed: 4, available: 3)) {
            try small.withUnsafeMutableBytes { try VP8PayloadDescriptor(pictureID: 1).serialize(into: $0) }
        }
    }

    static func randomDescriptor(_ random: inout SeededRandom) -> VP8PayloadDescriptor {
        let fifteen = random.bool()
        return VP8PayloadDescriptor(
            nonReference: random.bool(), startOfPartition: random.bool(), partitionIndex: UInt8.random(in: 0...7, using: &random),
            pictureID: random.bool() ? UInt16.random(in: 0...(fifteen ? 0x7FFF : 0x7F), using: &random) : nil,
            pictureIDIs15Bit: fifteen, tl0PicIdx: random.bool() ? UInt8.random(in: 0...255, using: &random) : nil,
            temporalLayerID: random.bool() ? UInt8.random(in: 0...3, using: &random) : nil, layerSync: random.bool(),
            keyIndex: random.bool() ? UInt8.random(in: 0...31, using: &random) : nil)
    }

    @Test("parse(serialize(x)) == x over 5000 seeded random descriptors")
    func roundTrip() throws {
        var random = SeededRandom(seed: 0x7741)
        for _ in 0..<5000 {
            let descriptor = Self.randomDescriptor(&random)
            var bytes = try descriptor.serialized()
            #expect(bytes.count == descriptor.encodedSize)
            bytes += random.bytes(Int.random(in: 0...4, using: &random))  // payload after it
            let parsed = try bytes.withUnsafeBytes { try VP8PayloadDescriptor.parse($0) }
            #expect(parsed.descriptor == descriptor)
            #expect(parsed.size == descriptor.encodedSize)
        }
    }

    @Test("random bytes never crash the parser; what parses re-serializes to the same value")
    func fuzz() throws {
        var random = SeededRandom(seed: 99)
        for _ in 0..<20_000 {
            let bytes = random.bytes(Int.random(in: 0...8, using: &random))
            guard let descriptor = try? VP8PayloadDescriptor(parsing: bytes) else { continue }
            #expect(try VP8PayloadDescriptor(parsing: descriptor.serialized()) == descriptor)
        }
    }
}
