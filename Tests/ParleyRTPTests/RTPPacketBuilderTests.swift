import Testing
@testable import ParleyRTP

@Suite("RTP packet builder: exact bytes and form selection")
struct RTPPacketBuilderTests {
    typealias F = RTPPacketFixtures

    static func header(csrcs: [UInt32] = []) throws -> RTPHeader {
        try RTPHeader(marker: true, payloadType: 96, sequenceNumber: 0x1234, timestamp: 0xDEAD_BEEF, ssrc: 0x1122_3344, csrcs: csrcs)
    }

    /// Builds with `body` into a 1500-byte buffer and returns the packet bytes.
    static func build(
        _ header: RTPHeader, _ body: (inout RTPPacketBuilder) throws -> Int
    ) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: 1500)
        let length = try buffer.withUnsafeMutableBytes { raw -> Int in
            var builder = try RTPPacketBuilder(header: header, into: raw)
            return try body(&builder)
        }
        return Array(buffer.prefix(length))
    }

    @Test("A bare header serializes to the RFC 3550 layout")
    func bareHeader() throws {
        let bytes = try Self.build(Self.header()) { builder in
            try [UInt8]([1, 2, 3]).withUnsafeBytes { try builder.finish(payload: $0) }
        }
        #expect(bytes == F.bytes("80 e0 12 34 de ad be ef 11 22 33 44 01 02 03"))
    }

    @Test("Header, CSRC, three extensions, payload and padding: exact bytes")
    func fullPacket() throws {
        let bytes = try Self.build(Self.header(csrcs: [0xCAFE_BABE])) { builder in
            try builder.appendExtension(RTPExtensions.AudioLevel(voiceActivity: true, level: 42), id: 1)
            try builder.appendExtension(RTPExtensions.AbsSendTime(rawValue: 0x12_3456), id: 3)
            try builder.appendExtension(RTPExtensions.TransportSequenceNumber(0xBEEF), id: 5)
            return try [UInt8]([1, 2, 3]).withUnsafeBytes { try builder.finish(payload: $0, paddingLength: 4) }
        }
        #expect(bytes == F.bytes("""
            b1 e0 12 34 de ad be ef 11 22 33 44 ca fe ba be
            be de 00 03  10 aa 32 12  34 56 51 be  ef 00 00 00
            01 02 03  00 00 00 04
            """))
        // And it reads back.
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.header == (try Self.header(csrcs: [0xCAFE_BABE])))
        #expect(packet.extensions.map(\.id) == [1, 3, 5])
        #expect(packet.payload == [1, 2, 3])
        #expect(packet.paddingLength == 4)
    }

    @Test("Extensions appended through a map use the negotiated ids and skip the rest")
    func throughMap() throws {
        let map = try RTPExtensionMap([(id: 4, uri: RTPExtensions.TransportSequenceNumber.uri)])
        let bytes = try Self.build(Self.header()) { builder in
            try builder.appendExtension(RTPExtensions.AudioLevel(voiceActivity: false, level: 127), map: map)
            try builder.appendExtension(RTPExtensions.TransportSequenceNumber(7), map: map)
            return try builder.finish(payloadLength: 0)
        }
        #expect(Array(bytes[12...]) == F.bytes("be de 00 01  41 00 07 00"))
        #expect(bytes[0] == 0x90)
    }

    @Test("One-byte form when every id is 1...14 and every length 1...16")
    func oneByteSelected() throws {
        let bytes = try Self.build(Self.header()) { builder in
            try [UInt8](repeating: 0xAB, count: 16).withUnsafeBytes { try builder.appendExtension(id: 14, data: $0) }
            return try builder.finish(payloadLength: 0)
        }
        #expect(Array(bytes[12..<18]) == F.bytes("be de 00 05  ef ab"))
        #expect(bytes.count == 12 + 4 + 20)
    }

    @Test("Two-byte form for id 15 and above, length 0, or length 17 and above",
          arguments: [(UInt8(15), 1), (UInt8(1), 0), (UInt8(1), 17), (UInt8(255), 255)])
    func twoByteSelected(id: UInt8, length: Int) throws {
        let data = [UInt8](repeating: 0x5A, count: length)
        let bytes = try Self.build(Self.header()) { builder in
            try data.withUnsafeBytes { try builder.appendExtension(id: id, data: $0) }
            return try builder.finish(payloadLength: 0)
        }
        let padded = (2 + length + 3) / 4 * 4
        #expect(Array(bytes[12..<18]) == [0x10, 0x00, 0x00, UInt8(padded / 4), id, UInt8(length)])
        #expect(bytes.count == 12 + 4 + padded)
        #expect(try F.elements(bytes).map(\.1) == [data])
    }

    @Test("A later element that needs two bytes converts the earlier one-byte elements in place")
    func conversionInPlace() throws {
        let bytes = try Self.build(Self.header()) { builder in
            try [UInt8]([0xAA]).withUnsafeBytes { try builder.appendExtension(id: 1, data: $0) }
            try [UInt8]([0xBB, 0xCC]).withUnsafeBytes { try builder.appendExtension(id: 2, data: $0) }
            try [UInt8]([0xC1, 0xC2, 0xC3]).withUnsafeBytes { try builder.appendExtension(id: 3, data: $0) }
            try [UInt8]([0xDD]).withUnsafeBytes { try builder.appendExtension(id: 20, data: $0) }
            try [UInt8]([0xEE]).withUnsafeBytes { try builder.appendExtension(id: 4, data: $0) }
            return try builder.finish(payloadLength: 0)
        }
        #expect(Array(bytes[12...]) == F.bytes("""
            10 00 00 05
            01 01 aa  02 02 bb cc  03 03 c1 c2 c3  14 01 dd  04 01 ee  00 00
            """))
    }

    @Test("Writing the payload in place after payloadOffset()")
    func payloadInPlace() throws {
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let length = try buffer.withUnsafeMutableBytes { raw -> Int in
            var builder = try RTPPacketBuilder(header: Self.header(), into: raw)
            try builder.appendExtension(RTPExtensions.TransportSequenceNumber(1), id: 2)
            let start = try builder.payloadOffset()
            #expect(start == 20)
            for index in 0..<5 { raw[start + index] = UInt8(index) }
            return try builder.finish(payloadLength: 5, paddingLength: 3)
        }
        let packet = try RTPPacket(parsing: Array(buffer.prefix(length)))
        #expect(packet.payload == [0, 1, 2, 3, 4])
        #expect(packet.paddingLength == 3)
        #expect(Array(buffer[25..<28]) == [0, 0, 3])
    }

    @Test("Builder misuse and small buffers throw instead of writing out of bounds")
    func errors() throws {
        // Buffer smaller than the header.
        var small = [UInt8](repeating: 0, count: 11)
        _ = small.withUnsafeMutableBytes { raw in
            #expect(throws: RTPError.bufferTooSmall(needed: 12, available: 11)) {
                _ = try RTPPacketBuilder(header: try Self.header(), into: raw)
            }
        }
        // Payload type above 127.
        var buffer = [UInt8](repeating: 0, count: 40)
        buffer.withUnsafeMutableBytes { raw in
            var header = try! Self.header()
            header.payloadType = 128
            #expect(throws: RTPError.malformed(what: "RTP header", reason: "payload type 128 is outside 0...127")) {
                _ = try RTPPacketBuilder(header: header, into: raw)
            }
        }
        try buffer.withUnsafeMutableBytes { raw in
            var builder = try RTPPacketBuilder(header: Self.header(), into: raw)
            let one: [UInt8] = [1]
            _ = one.withUnsafeBytes { data in
                #expect(throws: RTPError.self) { try builder.appendExtension(id: 0, data: data) }
            }
            let big = [UInt8](repeating: 0, count: 256)
            _ = big.withUnsafeBytes { data in
                #expect(throws: RTPError.self) { try builder.appendExtension(id: 1, data: data) }
            }
            // Element data past the end of the buffer: refused, and the builder is unchanged.
            let thirty = [UInt8](repeating: 0, count: 30)
            _ = thirty.withUnsafeBytes { data in
                #expect(throws: RTPError.bufferTooSmall(needed: 48, available: 40)) {
                    try builder.appendExtension(id: 1, data: data)
                }
            }
            #expect(try builder.payloadOffset() == 12)
            _ = one.withUnsafeBytes { data in
                #expect(throws: RTPError.malformed(what: "RTP packet builder", reason: "extension id 1 appended after the payload offset was taken")) {
                    try builder.appendExtension(id: 1, data: data)
                }
            }
            #expect(throws: RTPError.bufferTooSmall(needed: 12 + 30, available: 40)) {
                _ = try builder.finish(payloadLength: 30)
            }
            #expect(throws: RTPError.self) { _ = try builder.finish(payloadLength: Int.max) }
            #expect(throws: RTPError.self) { _ = try builder.finish(payloadLength: -1) }
            #expect(throws: RTPError.bufferTooSmall(needed: 12 + 28 + 1, available: 40)) {
                _ = try builder.finish(payloadLength: 28, paddingLength: 1)
            }
        }
    }
}
