import Testing
@testable import ParleyRTP

/// Bad input: every check of the parser gives a clear error naming the packet and field,
/// and no input crashes it.
@Suite struct RTCPMalformedTests {
    enum Kind { case truncated, malformed }

    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let kind: Kind
        /// Substrings the error's description must contain.
        let mentions: [String]
        var description: String { name }
    }

    static let pli: [UInt8] = [0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2]
    static let rr: [UInt8] = [0x80, 0xC9, 0x00, 0x01, 0, 0, 0, 1]

    /// TWCC with the given status count, chunk words and deltas, zero-padded, or padded
    /// with the P bit (so the packet really ends after the deltas).
    static func twcc(count: UInt16, chunks: [UInt16], deltas: [UInt8], extra: Int = 0, pBit: Bool = false) -> [UInt8] {
        var body: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, UInt8(count >> 8), UInt8(count & 0xFF), 0, 0, 1, 0]
        for c in chunks { body += [UInt8(c >> 8), UInt8(c & 0xFF)] }
        body += deltas
        let padding = (4 - body.count % 4) % 4
        if pBit && padding > 0 {
            body += [UInt8](repeating: 0, count: padding - 1) + [UInt8(padding)]
            return [0xAF, 0xCD, 0x00, UInt8(body.count / 4)] + body
        }
        body += [UInt8](repeating: 0, count: padding + extra)
        return [0x8F, 0xCD, 0x00, UInt8(body.count / 4)] + body
    }

    static let cases: [Case] = [
        Case(name: "empty", bytes: [], kind: .truncated, mentions: ["RTCP compound packet"]),
        Case(name: "short header", bytes: [0x80, 0xC9, 0x00], kind: .truncated, mentions: ["RTCP header"]),
        Case(name: "trailing bytes after a packet", bytes: rr + [0x80, 0xC9], kind: .truncated, mentions: ["RTCP header after 1 packets"]),
        Case(name: "version 1", bytes: [0x40, 0xC9, 0x00, 0x01, 0, 0, 0, 1], kind: .malformed, mentions: ["receiver report", "version 1"]),
        Case(name: "length beyond the buffer", bytes: [0x80, 0xC9, 0x00, 0x05, 0, 0, 0, 1], kind: .truncated,
             mentions: ["receiver report", "length field 5"]),
        Case(name: "length 0xFFFF", bytes: [0x80, 0xC8, 0xFF, 0xFF, 0, 0, 0, 1], kind: .truncated, mentions: ["sender report"]),
        Case(name: "padding on a packet that is not last", bytes: [0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 1] + rr, kind: .malformed,
             mentions: ["receiver report", "padding bit", "not the last"]),
        Case(name: "padding count 0", bytes: [0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0], kind: .malformed,
             mentions: ["receiver report padding", "count 0"]),
        Case(name: "padding count past the header", bytes: [0xA1, 0xCA, 0x00, 0x01, 0, 0, 0, 9], kind: .malformed,
             mentions: ["source description padding", "count 9"]),
        Case(name: "SR shorter than sender info", bytes: [0x80, 0xC8, 0x00, 0x01, 0, 0, 0, 1], kind: .malformed,
             mentions: ["sender report", "sender info"]),
        Case(name: "SR report count beyond length", bytes: [0x82, 0xC8, 0x00, 0x0C] + [UInt8](repeating: 0, count: 48), kind: .malformed,
             mentions: ["sender report", "report count 2"]),
        Case(name: "RR report count beyond length", bytes: [0x81, 0xC9, 0x00, 0x01, 0, 0, 0, 1], kind: .malformed,
             mentions: ["receiver report", "report count 1"]),
        Case(name: "RR extension not whole words", bytes: [0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 1, 9, 9, 0, 2], kind: .malformed,
             mentions: ["receiver report", "profile-specific extension of 2 bytes"]),
        Case(name: "SDES item length past the packet", bytes: [0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 0x61, 0x62], kind: .malformed,
             mentions: ["source description chunk 0 item 1", "length 9"]),
        Case(name: "SDES without end-of-list", bytes: [0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 0x61, 0x62], kind: .malformed,
             mentions: ["source description chunk 0", "null"]),
        Case(name: "SDES source count beyond length", bytes: [0x82, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 0x61, 0x00], kind: .malformed,
             mentions: ["source description", "source count 2"]),
        Case(name: "SDES bytes after the chunks", bytes: [0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5], kind: .malformed,
             mentions: ["source description", "after the 1 chunks"]),
        Case(name: "SDES length octet missing", bytes: [0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 0x61, 0x05], kind: .malformed,
             mentions: ["source description chunk 0 item 5", "length octet"]),
        Case(name: "BYE source count beyond length", bytes: [0x83, 0xCB, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2], kind: .malformed,
             mentions: ["BYE", "source count 3"]),
        Case(name: "BYE reason past the packet", bytes: [0x81, 0xCB, 0x00, 0x02, 0, 0, 0, 1, 0x08, 0x61, 0x62, 0x63], kind: .malformed,
             mentions: ["BYE reason", "length 8"]),
        Case(name: "BYE bytes after the reason", bytes: [0x81, 0xCB, 0x00, 0x03, 0, 0, 0, 1, 0x01, 0x61, 0, 0, 7, 7, 7, 7], kind: .malformed,
             mentions: ["BYE", "after the reason"]),
        Case(name: "NACK without FCI", bytes: [0x81, 0xCD, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2], kind: .malformed,
             mentions: ["generic NACK", "no FCI"]),
        Case(name: "NACK shorter than its SSRCs", bytes: [0x81, 0xCD, 0x00, 0x01, 0, 0, 0, 1], kind: .malformed,
             mentions: ["generic NACK", "two SSRCs"]),
        Case(name: "NACK partial FCI entry", bytes: [0xA1, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 2], kind: .malformed,
             mentions: ["generic NACK", "FCI of 2 bytes"]),
        Case(name: "PLI with FCI", bytes: [0x81, 0xCE, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3], kind: .malformed,
             mentions: ["picture loss indication", "12 bytes"]),
        Case(name: "PLI short", bytes: [0x81, 0xCE, 0x00, 0x01, 0, 0, 0, 1], kind: .malformed,
             mentions: ["picture loss indication", "4 bytes"]),
        Case(name: "FIR without entries", bytes: [0x84, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0], kind: .malformed,
             mentions: ["full intra request", "no FCI"]),
        Case(name: "FIR partial entry", bytes: [0x84, 0xCE, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5], kind: .malformed,
             mentions: ["full intra request", "FCI of 4 bytes"]),
        Case(name: "TWCC shorter than fixed fields", bytes: [0x8F, 0xCD, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1], kind: .malformed,
             mentions: ["transport-wide feedback", "fixed fields"]),
        Case(name: "TWCC run beyond status count", bytes: twcc(count: 5, chunks: [0x2006], deltas: [1, 2, 3, 4, 5, 6]), kind: .malformed,
             mentions: ["transport-wide feedback run-length chunk 0", "run of 6", "packet status count 5"]),
        Case(name: "TWCC run length 0", bytes: twcc(count: 5, chunks: [0x2000], deltas: []), kind: .malformed,
             mentions: ["run-length chunk 0", "run length 0"]),
        Case(name: "TWCC chunks missing", bytes: twcc(count: 30, chunks: [0x000A], deltas: [], pBit: true), kind: .malformed,
             mentions: ["transport-wide feedback", "covering 10 of the 30"]),
        Case(name: "TWCC deltas missing", bytes: twcc(count: 8, chunks: [0x2008], deltas: [1, 2, 3, 4, 5], pBit: true), kind: .malformed,
             mentions: ["transport-wide feedback receive deltas", "status 5"]),
        Case(name: "TWCC large delta cut", bytes: twcc(count: 1, chunks: [0x4001], deltas: [1], pBit: true), kind: .malformed,
             mentions: ["receive deltas", "status 0"]),
        Case(name: "TWCC bytes after deltas", bytes: twcc(count: 1, chunks: [0x2001], deltas: [1], extra: 4), kind: .malformed,
             mentions: ["transport-wide feedback", "after the receive deltas"]),
    ]

    @Test(arguments: cases)
    func malformedInputIsRefusedWithAClearError(_ c: Case) {
        do {
            let packets = try RTCPCompound.parse(c.bytes)
            Issue.record("\(c.name): parsed as \(packets)")
        } catch {
            switch (c.kind, error) {
            case (.truncated, .truncated), (.malformed, .malformed): break
            default: Issue.record("\(c.name): wrong kind of error: \(error)")
            }
            for m in c.mentions {
                #expect(error.description.contains(m), "\(c.name): \"\(error.description)\" lacks \"\(m)\"")
            }
        }
    }

    @Test func theTableCoversValidBaselines() throws {
        // The baselines the malformed cases are cut from do parse.
        #expect(try RTCPCompound.parse(Self.pli).count == 1)
        #expect(try RTCPCompound.parse(Self.rr + Self.pli).count == 2)
        #expect(try RTCPCompound.parse(Self.twcc(count: 8, chunks: [0x2008], deltas: [1, 2, 3, 4, 5, 6, 7, 8])).count == 1)
        #expect(try RTCPCompound.parse(Self.twcc(count: 1, chunks: [0x4001], deltas: [1, 2])).count == 1)
        // Padding with the P bit on the last packet is fine, and stripped.
        #expect(try RTCPCompound.parse(Self.rr + [0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 7, 0, 0, 0, 4])
            == [.receiverReport(.init(ssrc: 1)), .receiverReport(.init(ssrc: 7))])
    }

    @Test func serializeRefusesValuesThatCannotGoOnTheWire() {
        func error(_ packets: [RTCPPacket]) -> RTPError? {
            do { _ = try RTCPCompound.serialize(packets); return nil } catch { return error }
        }
        let blocks = (0..<32).map { RTCPReportBlock(ssrc: UInt32($0)) }
        #expect(error([.receiverReport(.init(ssrc: 1, reports: blocks))])?.description.contains("32 report blocks") == true)
        #expect(error([.receiverReport(.init(ssrc: 1, reports: [.init(ssrc: 2, cumulativeLost: 8_388_608)]))])?
            .description.contains("cumulative lost 8388608") == true)
        #expect(error([.receiverReport(.init(ssrc: 1, profileExtension: [1]))]) != nil)
        #expect(error([.sourceDescription(.init(chunks: [.init(ssrc: 1, items: [.init(type: .init(rawValue: 0), value: [])])]))])?
            .description.contains("end-of-list") == true)
        #expect(error([.sourceDescription(.init(chunks: [.init(ssrc: 1, items: [.init(type: .note, value: .init(repeating: 1, count: 256))])]))])?
            .description.contains("256 bytes") == true)
        #expect(error([.goodbye(.init(sources: [1], reason: .init(repeating: 0x61, count: 300)))]) != nil)
        #expect(error([.genericNACK(.init(senderSSRC: 1, mediaSSRC: 2, entries: []))])?.description.contains("no FCI") == true)
        #expect(error([.fullIntraRequest(.init(senderSSRC: 1, entries: []))]) != nil)
        #expect(error([]) != nil)
        let twcc = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, packetStatusCount: 3, referenceTime: 0,
            feedbackPacketCount: 0, chunks: [.runLength(.receivedSmallDelta, count: 2)], receiveDeltas: [1, 2])
        #expect(error([.transportWideFeedback(twcc)])?.description.contains("cover 2 of the 3") == true)
        var badDelta = twcc
        badDelta.chunks = [.runLength(.receivedSmallDelta, count: 3)]
        badDelta.receiveDeltas = [1, 2, 300]
        #expect(error([.transportWideFeedback(badDelta)])?.description.contains("300 is outside") == true)
        var badVector = twcc
        badVector.chunks = [.statusVector([.receivedLargeDelta] + Array(repeating: .notReceived, count: 13))]
        #expect(error([.transportWideFeedback(badVector)])?.description.contains("14-symbol") == true)
        var badRef = twcc
        badRef.packetStatusCount = 0
        badRef.chunks = []
        badRef.receiveDeltas = []
        badRef.referenceTime = 1 << 24
        #expect(error([.transportWideFeedback(badRef)])?.description.contains("24 bits") == true)
        let paddedUnknown: [UInt8] = [0xA0, 0xCC, 0x00, 0x01, 0, 0, 0, 4]
        #expect(error([.unknown(type: 204, bytes: paddedUnknown), .receiverReport(.init(ssrc: 1))])?.description.contains("padding bit") == true)
        #expect(error([.unknown(type: 204, bytes: [0x80, 0xCC, 0x00, 0x02, 0, 0, 0, 0])])?.description.contains("length field 2") == true)
    }

    /// Random bytes and random corruptions of valid compound packets: parse either throws
    /// an RTPError or returns packets that serialize and parse back to themselves.
    @Test func corruptedInputNeverCrashesAndWhatParsesRoundTrips() throws {
        var gen = RTCPPacketGenerator(seed: 2024)
        var accepted = 0, refused = 0
        for i in 0..<6000 {
            var bytes: [UInt8]
            if i % 10 == 0 {
                bytes = gen.bytes(0...64)
            } else {
                bytes = try RTCPCompound.serialize(gen.compound())
                for _ in 0..<gen.int(1...4) {
                    switch gen.int(0...3) {
                    case 0: bytes[gen.int(0...(bytes.count - 1))] = gen.u8()
                    case 1: bytes[gen.int(0...(bytes.count - 1))] ^= 1 << UInt8(gen.int(0...7))
                    case 2: bytes.removeLast(gen.int(0...min(8, bytes.count - 1)))
                    default:
                        // Lie in a length field of the first packet.
                        if bytes.count >= 4 { bytes[3] = bytes[3] &+ UInt8(gen.int(1...3)) }
                    }
                }
            }
            let packets: [RTCPPacket]
            do {
                packets = try RTCPCompound.parse(bytes)
            } catch {
                refused += 1
                continue
            }
            accepted += 1
            // Whatever parses must serialize (no throw here) and parse back the same.
            let again = try RTCPCompound.parse(try RTCPCompound.serialize(packets))
            #expect(again == packets)
        }
        #expect(accepted > 300)
        #expect(refused > 1000)
    }
}
