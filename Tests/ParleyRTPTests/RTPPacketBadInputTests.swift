import Testing
@testable import ParleyRTP

/// Every malformed packet is refused with the matching `RTPError`, never a crash.
@Suite("RTP packet view: bad input")
struct RTPPacketBadInputTests {
    typealias F = RTPPacketFixtures

    @Test("Fewer than 12 bytes is a truncated header", arguments: [0, 1, 11])
    func shortHeader(length: Int) {
        let bytes = Array(F.fixedHeader().prefix(length))
        #expect(F.parseError(bytes) == .truncated(what: "RTP header", needed: 12, available: length))
    }

    @Test("A version other than 2 is refused", arguments: [UInt8(0x00), 0x40, 0xC0])
    func wrongVersion(firstByte: UInt8) {
        let error = F.parseError(F.fixedHeader(firstByte: firstByte))
        guard case .malformed(let what, let reason) = error else {
            Issue.record("expected malformed, got \(String(describing: error))")
            return
        }
        #expect(what == "RTP header")
        #expect(reason == "version is \(firstByte >> 6), expected 2")
    }

    @Test("A CSRC count beyond the packet is truncated")
    func csrcBeyondPacket() {
        // CC = 3 needs 24 bytes; 12 + 8 present.
        let bytes = F.fixedHeader(firstByte: 0x83) + [0, 0, 0, 1, 0, 0, 0, 2]
        #expect(F.parseError(bytes) == .truncated(what: "RTP CSRC list (CC=3)", needed: 24, available: 20))
        #expect(F.parseError(F.fixedHeader(firstByte: 0x8F)) == .truncated(what: "RTP CSRC list (CC=15)", needed: 72, available: 12))
    }

    @Test("An extension header cut off is truncated")
    func extensionHeaderBeyondPacket() {
        let bytes = F.fixedHeader(firstByte: 0x90) + [0xBE, 0xDE, 0x00]
        #expect(F.parseError(bytes) == .truncated(what: "RTP header extension header", needed: 16, available: 15))
    }

    @Test("An extension length beyond the packet is truncated")
    func extensionLengthBeyondPacket() {
        // Claims 2 words (8 bytes), 4 present.
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 02  10 aa 00 00")
        #expect(F.parseError(bytes) == .truncated(what: "RTP header extension (length 2 words)", needed: 24, available: 20))
        let huge = F.fixedHeader(firstByte: 0x90) + F.bytes("be de ff ff")
        #expect(F.parseError(huge) == .truncated(what: "RTP header extension (length 65535 words)", needed: 16 + 4 * 65535, available: 16))
    }

    @Test("Padding flag with a pad count of 0 is malformed")
    func zeroPadCount() {
        let bytes = F.fixedHeader(firstByte: 0xA0) + [1, 2, 3, 0]
        #expect(F.parseError(bytes) == .malformed(what: "RTP padding", reason: "the padding bit is set but the pad count (last byte) is 0"))
    }

    @Test("Padding count larger than what follows the header is malformed")
    func lyingPadCount() {
        let bytes = F.fixedHeader(firstByte: 0xA0) + [1, 2, 3, 5]
        #expect(F.parseError(bytes) == .malformed(what: "RTP padding", reason: "the pad count 5 exceeds the 4 bytes after the header"))
        // Padding may not reach back into the extension block either.
        let intoExtension = F.fixedHeader(firstByte: 0xB0) + F.bytes("be de 00 01  10 aa 00 00  02")
        #expect(F.parseError(intoExtension) == .malformed(what: "RTP padding", reason: "the pad count 2 exceeds the 1 bytes after the header"))
    }

    @Test("Padding flag with nothing after the header is malformed")
    func paddingWithNoBytes() {
        let bytes = F.fixedHeader(firstByte: 0xA0)
        #expect(F.parseError(bytes) == .malformed(what: "RTP padding", reason: "the padding bit is set but no bytes follow the header"))
    }

    @Test("A one-byte element longer than its block is malformed")
    func oneByteElementBeyondBlock() {
        // id 2 with L=15 (16 bytes) in a 4-byte block.
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 01  2f aa bb cc") + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
        #expect(F.parseError(bytes) == .malformed(
            what: "RTP one-byte header extension element",
            reason: "id 2 declares 16 data bytes but only 3 remain in the extension block"))
    }

    @Test("A one-byte element with reserved id 0 and a nonzero length is malformed")
    func oneByteIdZero() {
        let bytes = F.fixedHeader(firstByte: 0x90) + F.bytes("be de 00 01  05 aa bb cc")
        guard case .malformed(let what, _) = F.parseError(bytes) else {
            Issue.record("expected malformed")
            return
        }
        #expect(what == "RTP one-byte header extension element")
    }

    @Test("A two-byte element longer than its block, or missing its length byte, is malformed")
    func twoByteElementBeyondBlock() {
        let long = F.fixedHeader(firstByte: 0x90) + F.bytes("10 00 00 01  01 05 aa bb") + [1, 2, 3, 4]
        #expect(F.parseError(long) == .malformed(
            what: "RTP two-byte header extension element",
            reason: "id 1 declares 5 data bytes but only 2 remain in the extension block"))
        let cut = F.fixedHeader(firstByte: 0x90) + F.bytes("10 00 00 01  01 01 aa 07")
        #expect(F.parseError(cut) == .malformed(
            what: "RTP two-byte header extension element",
            reason: "id 7 at the last byte of the extension block has no length byte"))
    }

    @Test("Every error has a readable description")
    func descriptions() {
        let error = F.parseError(Array(F.fixedHeader().prefix(5)))
        #expect(error?.description == "RTP header is truncated: 12 bytes needed, 5 present")
    }

    @Test("Owning parse reports the same errors as the view")
    func owningParse() {
        let bytes = F.fixedHeader(firstByte: 0xA0) + [1, 2, 3, 0]
        #expect(throws: F.parseError(bytes)!) { try RTPPacket(parsing: bytes) }
    }
}

@Suite("RTP packet drop counter")
struct RTPPacketDropCounterTests {
    typealias F = RTPPacketFixtures

    @Test("Bad packets are counted by kind and the good one parses")
    func counts() {
        let inputs: [[UInt8]] = [
            Array(F.fixedHeader().prefix(3)),  // truncated
            F.fixedHeader(firstByte: 0x40),  // malformed: version 1
            F.fixedHeader(firstByte: 0x90) + [0xBE, 0xDE],  // truncated extension header
            F.fixedHeader(firstByte: 0xA0) + [0],  // malformed padding
            F.fixedHeader() + [1, 2],  // good
        ]
        var counter = RTPPacketDropCounter()
        var parsed = 0
        for input in inputs {
            input.withUnsafeBytes { raw in
                if RTPPacketView.parse(raw, dropCounter: &counter) != nil { parsed += 1 }
            }
        }
        #expect(parsed == 1)
        #expect(counter.truncated == 2)
        #expect(counter.malformed == 2)
        #expect(counter.other == 0)
        #expect(counter.total == 4)
        #expect(counter.lastError == .malformed(what: "RTP padding", reason: "the padding bit is set but the pad count (last byte) is 0"))
    }
}
