import Testing
@testable import ParleyRTP

/// SplitMix64: a small deterministic generator, so every run checks the same packets.
struct RTPPacketTestRNG: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

@Suite("RTP packets: parse(serialize(x)) == x and fuzzed input")
struct RTPPacketPropertyTests {
    /// A random valid packet: sometimes CSRCs, one-byte-only or mixed elements, a
    /// profile-specific block, padding.
    static func randomPacket(_ rng: inout RTPPacketTestRNG) throws -> RTPPacket {
        var header = RTPHeader(
            marker: Bool.random(using: &rng), payloadType: UInt8.random(in: 0...127, using: &rng),
            sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng),
            timestamp: UInt32.random(in: 0...UInt32.max, using: &rng),
            ssrc: UInt32.random(in: 0...UInt32.max, using: &rng))
        if Int.random(in: 0..<3, using: &rng) == 0 {
            for _ in 0..<Int.random(in: 0...15, using: &rng) { try header.appendCSRC(UInt32.random(in: 0...UInt32.max, using: &rng)) }
        }
        var packet = RTPPacket(header: header)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0, 1:  // one-byte-sized elements only
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                packet.extensions.append(try RTPHeaderExtensionElement(
                    id: UInt8.random(in: 1...14, using: &rng), data: rng.bytes(Int.random(in: 1...16, using: &rng))))
            }
        case 2:  // anything the two-byte form carries
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let long = Bool.random(using: &rng)
                packet.extensions.append(try RTPHeaderExtensionElement(
                    id: UInt8.random(in: 1...255, using: &rng), data: rng.bytes(Int.random(in: 0...(long ? 255 : 20), using: &rng))))
            }
        case 3:  // profile-specific block
            var profile = UInt16.random(in: 0...UInt16.max, using: &rng)
            if RTPHeaderExtensionForm(profile: profile) != .profileSpecific { profile = 0x0001 }
            packet.extensionBlock = try RTPHeaderExtensionBlock(profile: profile, data: rng.bytes(4 * Int.random(in: 0...8, using: &rng)))
        default:
            break
        }
        packet.payload = rng.bytes(Int.random(in: 0...300, using: &rng))
        if Bool.random(using: &rng) { packet.paddingLength = UInt8.random(in: 1...255, using: &rng) }
        return packet
    }

    @Test("parse(serialize(x)) == x for 5000 seeded random packets, via RTPPacket and via the view")
    func roundTrip() throws {
        var rng = RTPPacketTestRNG(seed: 0x5EED_0001)
        var twoByteSeen = 0, oneByteSeen = 0
        for _ in 0..<5000 {
            let packet = try Self.randomPacket(&rng)
            let bytes = try packet.serialized()
            #expect(bytes.count == packet.serializedLength)
            let parsed = try RTPPacket(parsing: bytes)
            #expect(parsed == packet)
            if parsed != packet { return }
            // The view agrees field by field.
            let view = try RTPPacketView.parse(bytes)
            #expect(view.header == packet.header)
            #expect(Array(bytes[view.payloadRange]) == packet.payload)
            #expect(view.paddingLength == Int(packet.paddingLength))
            if view.extensionForm == .twoByte { twoByteSeen += 1 }
            if view.extensionForm == .oneByte { oneByteSeen += 1 }
        }
        // The generator really did exercise both forms.
        #expect(twoByteSeen > 500 && oneByteSeen > 1000)
    }

    @Test("Truncations and bit flips of valid packets never crash; whatever parses stays in bounds and round-trips")
    func fuzz() throws {
        var rng = RTPPacketTestRNG(seed: 0xF022)
        var refused = 0, accepted = 0
        for _ in 0..<3000 {
            var bytes = try Self.randomPacket(&rng).serialized()
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 1:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            default:
                let index = Int.random(in: 0..<min(bytes.count, 40), using: &rng)
                bytes[index] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                let view = try RTPPacketView.parse(bytes)
                accepted += 1
                #expect(view.payloadRange.lowerBound >= view.header.length)
                #expect(view.payloadRange.upperBound + view.paddingLength == bytes.count)
                #expect(view.extensionRange.upperBound <= view.payloadRange.lowerBound)
                let packet = try RTPPacket(parsing: bytes)
                #expect(try RTPPacket(parsing: packet.serialized()) == packet)
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused > 100 && accepted > 100)
    }

    @Test("Random garbage never crashes the parser or the classifier")
    func garbage() {
        var rng = RTPPacketTestRNG(seed: 0x6A7B)
        for _ in 0..<5000 {
            let bytes = rng.bytes(Int.random(in: 0...80, using: &rng))
            _ = RTPPacketFixtures.parseError(bytes)
            _ = RTPPacketClassifier.classify(bytes)
        }
    }

    @Test("An owning packet with both elements and a profile-specific block refuses to serialize")
    func elementsAndBlock() throws {
        var packet = RTPPacket(header: RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0))
        packet.extensions = [try RTPHeaderExtensionElement(id: 1, data: [1])]
        packet.extensionBlock = try RTPHeaderExtensionBlock(profile: 1, data: [])
        #expect(throws: RTPError.self) { try packet.serialized() }
    }

    @Test("Element and block values are validated on construction")
    func validation() {
        #expect(throws: RTPError.self) { try RTPHeaderExtensionElement(id: 0, data: [1]) }
        #expect(throws: RTPError.self) { try RTPHeaderExtensionElement(id: 1, data: [UInt8](repeating: 0, count: 256)) }
        #expect(throws: RTPError.self) { try RTPHeaderExtensionBlock(profile: 0xBEDE, data: []) }
        #expect(throws: RTPError.self) { try RTPHeaderExtensionBlock(profile: 0x1003, data: []) }
        #expect(throws: RTPError.self) { try RTPHeaderExtensionBlock(profile: 1, data: [1, 2, 3]) }
        #expect(throws: RTPError.self) {
            try RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, csrcs: [UInt32](repeating: 1, count: 16))
        }
        var header = RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0)
        for value in 0..<15 { #expect(throws: Never.self) { try header.appendCSRC(UInt32(value)) } }
        #expect(throws: RTPError.self) { try header.appendCSRC(99) }
        #expect(header.csrcs == (0..<15).map(UInt32.init))
    }
}
