import Testing
@testable import ParleyRTP

/// Helpers shared by the RTP packet tests.
enum RTPPacketFixtures {
    /// Bytes from a hex string; spaces and newlines are ignored.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }
        var result: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            result.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// The error `RTPPacketView.parse` throws for `bytes`, or nil when it parses.
    static func parseError(_ bytes: [UInt8]) -> RTPError? {
        do {
            _ = try RTPPacketView.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    /// The elements of a parsed packet as (id, data) pairs.
    static func elements(_ bytes: [UInt8]) throws -> [(UInt8, [UInt8])] {
        let view = try RTPPacketView.parse(bytes)
        return bytes.withUnsafeBytes { raw in
            view.extensionElements(in: raw).map { ($0.id, Array(raw[$0.range])) }
        }
    }

    /// A 12-byte header: V=2, with the given first-byte flags OR-ed in, M=1 PT=96,
    /// seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344.
    static func fixedHeader(firstByte: UInt8 = 0x80) -> [UInt8] {
        [firstByte, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44]
    }
}

@Suite("RTP packet view: parsing hand-built packets")
struct RTPPacketViewTests {
    typealias F = RTPPacketFixtures

    @Test("A plain header parses field by field")
    func plainHeader() throws {
        let bytes = F.fixedHeader() + [0x01, 0x02, 0x03]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.header.marker)
        #expect(view.header.payloadType == 96)
        #expect(view.header.sequenceNumber == 0x1234)
        #expect(view.header.timestamp == 0xDEAD_BEEF)
        #expect(view.header.ssrc == 0x1122_3344)
        #expect(view.header.csrcCount == 0)
        #expect(!view.hasExtension && !view.hasPadding)
        #expect(view.payloadRange == 12..<15)
        #expect(view.packetLength == 15)
    }

    @Test("A capture with a profile-specific extension (profile 0x0001, one word)")
    func profileSpecificCapture() throws {
        // V=2 X=1, M=1 PT=96, seq 27023, ts 3653407706, SSRC 476325762,
        // extension profile 0x0001 length 1 word, 5 payload bytes.
        let bytes = F.bytes("""
            90 e0 69 8f d9 c2 93 da 1c 64 27 82
            00 01 00 01 ff ff ff ff
            98 36 be 88 9e
            """)
        let view = try RTPPacketView.parse(bytes)
        #expect(view.header.sequenceNumber == 27023)
        #expect(view.header.timestamp == 3_653_407_706)
        #expect(view.header.ssrc == 476_325_762)
        #expect(view.extensionProfile == 0x0001)
        #expect(view.extensionForm == .profileSpecific)
        #expect(view.extensionRange == 16..<20)
        #expect(view.payloadRange == 20..<25)
        #expect(try F.elements(bytes).isEmpty)
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.extensionBlock == (try RTPHeaderExtensionBlock(profile: 1, data: [0xFF, 0xFF, 0xFF, 0xFF])))
        #expect(try packet.serialized() == bytes)
    }

    @Test("CSRCs are read in order and the payload follows them")
    func csrcs() throws {
        let bytes = F.fixedHeader(firstByte: 0x82) + [0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE] + [0x55]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.header.csrcCount == 2)
        #expect(view.header.csrcs == [1, 0xCAFE_BABE])
        #expect(view.header.csrc(at: 1) == 0xCAFE_BABE)
        #expect(view.header.csrc(at: 2) == nil)
        #expect(view.header.csrc(at: -1) == nil)
        #expect(view.payloadRange == 20..<21)
    }

    @Test("Padding: the last byte counts the padding, itself included")
    func padding() throws {
        let bytes = F.fixedHeader(firstByte: 0xA0) + [0x01, 0x02, 0x03] + [0, 0, 0, 4]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.hasPadding)
        #expect(view.paddingLength == 4)
        #expect(view.payloadRange == 12..<15)
    }

    @Test("A packet that is all padding (a probe) has an empty payload")
    func paddingOnly() throws {
        let bytes = F.fixedHeader(firstByte: 0xA0) + [UInt8](repeating: 0, count: 254) + [255]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.paddingLength == 255)
        #expect(view.payloadRange.isEmpty)
    }

    @Test("One-byte form (RFC 8285 §4.2): ids, lengths L+1, trailing padding")
    func oneByteElements() throws {
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("""
            be de 00 03
            10 aa
            21 bb bc
            33 c1 c2 c3 c4
            00 00
            """) + [0x77]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.extensionForm == .oneByte)
        #expect(view.extensionRange == 16..<28)
        #expect(view.payloadRange == 28..<29)
        let elements = try F.elements(bytes)
        #expect(elements.map(\.0) == [1, 2, 3])
        #expect(elements.map(\.1) == [[0xAA], [0xBB, 0xBC], [0xC1, 0xC2, 0xC3, 0xC4]])
        bytes.withUnsafeBytes { raw in
            #expect(view.extensionElement(id: 2, in: raw) == 19..<21)
            #expect(view.extensionElement(id: 4, in: raw) == nil)
        }
    }

    @Test("Two-byte form (RFC 8285 §4.3): 8-bit ids and lengths, zero-length elements, appbits")
    func twoByteElements() throws {
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("""
            10 05 00 03
            01 00
            0f 01 bb
            c8 04 c1 c2 c3 c4
            00
            """)
        let view = try RTPPacketView.parse(bytes)
        #expect(view.extensionForm == .twoByte)
        #expect(view.extensionProfile == 0x1005)
        let elements = try F.elements(bytes)
        #expect(elements.map(\.0) == [1, 15, 200])
        #expect(elements.map(\.1) == [[], [0xBB], [0xC1, 0xC2, 0xC3, 0xC4]])
        #expect(view.payloadRange.isEmpty)
    }

    @Test("Zero bytes between elements are padding, in both forms")
    func paddingBetweenElements() throws {
        let one = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 02  00 10 aa 00  00 21 bb bc")
        #expect(try F.elements(one).map(\.0) == [1, 2])
        #expect(try F.elements(one).map(\.1) == [[0xAA], [0xBB, 0xBC]])
        let two = F.fixedHeader(firstByte: 0x90) + F.bytes("10 00 00 02  00 00 01 01  aa 00 02 00")
        #expect(try F.elements(two).map(\.0) == [1, 2])
        #expect(try F.elements(two).map(\.1) == [[0xAA], []])
    }

    @Test("One-byte id 15 ends the block: its length is ignored, later bytes are not read")
    func idFifteenTerminates() throws {
        // After 0xF7 the bytes would be a lying element (id 3 claiming 16 bytes) if read.
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 02  10 aa f7 3f  ff ff ff ff")
        let view = try RTPPacketView.parse(bytes)
        #expect(try F.elements(bytes).map(\.0) == [1])
        #expect(view.extensionRange == 16..<24)
        #expect(try RTPPacket(parsing: bytes).extensions == [try RTPHeaderExtensionElement(id: 1, data: [0xAA])])
    }

    @Test("An extension block of length 0 is valid and empty")
    func emptyBlock() throws {
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 00") + [9]
        let view = try RTPPacketView.parse(bytes)
        #expect(view.hasExtension)
        #expect(view.extensionRange.isEmpty)
        #expect(view.payloadRange == 16..<17)
        #expect(try F.elements(bytes).isEmpty)
    }

    @Test("Extension values decode through a negotiated map")
    func valuesThroughMap() throws {
        let map = try RTPExtensionMap([
            (id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            (id: 3, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            (id: 5, uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
        ])
        // audio level V=1 level 42; abs-send-time 0x123456; transport seq 0xBEEF.
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 03  10 aa  32 12 34 56  51 be ef  00 00 00")
        let view = try RTPPacketView.parse(bytes)
        try bytes.withUnsafeBytes { raw in
            let level = try #require(try view.extensionValue(RTPExtensions.AudioLevel.self, map: map, in: raw))
            #expect(level.voiceActivity && level.level == 42)
            #expect(try view.extensionValue(RTPExtensions.AbsSendTime.self, map: map, in: raw)?.rawValue == 0x12_3456)
            #expect(try view.extensionValue(RTPExtensions.TransportSequenceNumber.self, map: map, in: raw)?.value == 0xBEEF)
            // Not negotiated: nil. Negotiated but absent: nil.
            #expect(try view.extensionValue(RTPExtensions.AudioLevel.self, map: RTPExtensionMap(), in: raw) == nil)
            #expect(try view.extensionValue(RTPExtensions.AudioLevel.self, id: 7, in: raw) == nil)
            // Present with the wrong size for the kind: an error, not a wrong value.
            #expect(throws: RTPError.self) { try view.extensionValue(RTPExtensions.AudioLevel.self, id: 3, in: raw) }
        }
    }

    @Test("The element iterator never reads outside a shorter buffer than the one parsed")
    func iteratorStaysInBounds() throws {
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 02  10 aa 23 01  02 03 04 00")
        let view = try RTPPacketView.parse(bytes)
        let short = Array(bytes.prefix(19))
        let ids = short.withUnsafeBytes { raw in view.extensionElements(in: raw).map(\.id) }
        #expect(ids == [1])
    }
}
