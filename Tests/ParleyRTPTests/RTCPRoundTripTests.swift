import Testing
@testable import ParleyRTP

/// Seeded random RTCP packets of every type, valid by construction.
struct RTCPPacketGenerator {
    var rng: RTCPRandom

    init(seed: UInt64) { rng = RTCPRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func u8() -> UInt8 { UInt8.random(in: 0...255, using: &rng) }
    mutating func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
    mutating func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
    mutating func bool() -> Bool { Bool.random(using: &rng) }
    mutating func bytes(_ range: ClosedRange<Int>) -> [UInt8] { (0..<int(range)).map { _ in u8() } }

    mutating func reportBlock() -> RTCPReportBlock {
        RTCPReportBlock(
            ssrc: u32(), fractionLost: u8(),
            cumulativeLost: Int32.random(in: RTCPReportBlock.cumulativeLostRange, using: &rng),
            extendedHighestSequence: u32(), jitter: u32(), lastSR: u32(), delaySinceLastSR: u32())
    }

    mutating func packet(kind: Int) -> RTCPPacket {
        switch kind {
        case 0:
            return .senderReport(RTCPSenderReport(
                ssrc: u32(), ntpTimestamp: NTPTimestamp(rawValue: UInt64(u32()) << 32 | UInt64(u32())),
                rtpTimestamp: u32(), packetCount: u32(), octetCount: u32(),
                reports: (0..<int(0...31)).map { _ in reportBlock() }, profileExtension: bytes(0...3).flatMap { b -> [UInt8] in [b, 0, 0, b] }))
        case 1:
            return .receiverReport(RTCPReceiverReport(
                ssrc: u32(), reports: (0..<int(0...5)).map { _ in reportBlock() }, profileExtension: int(0...3) == 0 ? [1, 2, 3, 4] : []))
        case 2:
            return .sourceDescription(RTCPSourceDescription(chunks: (0..<int(0...4)).map { _ in
                RTCPSourceDescription.Chunk(ssrc: u32(), items: (0..<int(0...4)).map { _ in
                    RTCPSourceDescription.Item(
                        type: .init(rawValue: UInt8(int(1...255))), value: bytes(int(0...9) == 0 ? 200...255 : 0...20))
                })
            }))
        case 3:
            return .goodbye(RTCPGoodbye(sources: (0..<int(0...31)).map { _ in u32() }, reason: bool() ? bytes(0...255) : nil))
        case 4:
            if bool() {
                return .genericNACK(RTCPGenericNACK(
                    senderSSRC: u32(), mediaSSRC: u32(), entries: (0..<int(1...20)).map { _ in .init(packetID: u16(), lostBitmask: u16()) }))
            }
            let start = u16()
            return .genericNACK(RTCPGenericNACK(
                senderSSRC: u32(), mediaSSRC: u32(), lostSequenceNumbers: (0..<int(1...60)).map { _ in start &+ UInt16(int(0...200)) }))
        case 5:
            return .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: u32(), mediaSSRC: u32()))
        case 6:
            return .fullIntraRequest(RTCPFullIntraRequest(
                senderSSRC: u32(), mediaSSRC: bool() ? 0 : u32(), entries: (0..<int(1...6)).map { _ in .init(ssrc: u32(), sequenceNumber: u8()) }))
        case 7:
            // Bursts of one status, or mixed, so every chunk kind turns up.
            var deltas: [Int16?] = []
            let count = int(0...400)
            while deltas.count < count {
                let run = int(0...3) == 0 ? int(1...40) : 1
                let value: Int16? = switch int(0...3) {
                case 0: nil
                case 1: Int16(int(0...255))
                case 2: Int16.random(in: Int16.min...Int16.max, using: &rng)
                default: Int16(int(0...20))
                }
                deltas += repeatElement(value, count: run)
            }
            return .transportWideFeedback(RTCPTransportFeedback(
                senderSSRC: u32(), mediaSSRC: u32(), baseSequenceNumber: u16(), referenceTime: u32() & 0xFF_FFFF,
                feedbackPacketCount: u8(), packetDeltas: deltas))
        default:
            // APP (204), XR (207) or a payload-specific feedback format Parley does not parse.
            let type: UInt8 = [204, 207, 206][int(0...2)]
            let count: UInt8 = type == 206 ? 15 : UInt8(int(0...31))
            let body = bytes(0...8).flatMap { b -> [UInt8] in [b, b, 0, 1] }
            let length = body.count / 4
            return .unknown(type: type, bytes: [0x80 | count, type, UInt8(length >> 8), UInt8(length & 0xFF)] + body)
        }
    }

    static let kinds = 9

    mutating func compound() -> [RTCPPacket] {
        (0..<int(1...6)).map { _ in packet(kind: int(0...(Self.kinds - 1))) }
    }
}

@Suite struct RTCPRoundTripTests {
    @Test(arguments: 0..<RTCPPacketGenerator.kinds)
    func parseSerializeIsIdentityForEveryPacketType(kind: Int) throws {
        var gen = RTCPPacketGenerator(seed: UInt64(1000 + kind))
        for _ in 0..<300 {
            let packet = gen.packet(kind: kind)
            let bytes = try RTCPCompound.serialize([packet])
            #expect(bytes.count % 4 == 0)
            let parsed = try RTCPCompound.parse(bytes)
            #expect(parsed == [packet])
            if parsed != [packet] { return }
        }
    }

    @Test func parseSerializeIsIdentityForCompoundPackets() throws {
        var gen = RTCPPacketGenerator(seed: 77)
        for _ in 0..<500 {
            let packets = gen.compound()
            let size = try RTCPCompound.serializedSize(packets)
            var buffer = [UInt8](repeating: 0xA5, count: size + 13)
            let written = try buffer.withUnsafeMutableBytes { try RTCPCompound.serialize(packets, into: $0) }
            #expect(written == size)
            let parsed = try buffer.withUnsafeBytes { try RTCPCompound.parse(UnsafeRawBufferPointer(rebasing: $0[0..<written])) }
            #expect(parsed == packets)
            if parsed != packets { return }
        }
    }

    @Test func nackCompressionExpandsBackToTheSortedUniqueNumbers() {
        var gen = RTCPPacketGenerator(seed: 5)
        for _ in 0..<300 {
            let start = gen.u16()
            let lost = (0..<gen.int(1...80)).map { _ in start &+ UInt16(gen.int(0...500)) }
            let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [start] + lost)
            let expected = Set([start] + lost).sorted { ($0 &- start) < ($1 &- start) }
            #expect(nack.lostSequenceNumbers == expected)
        }
    }

    @Test func transportFeedbackBuilderRoundTripsPerPacketResults() {
        var gen = RTCPPacketGenerator(seed: 11)
        for _ in 0..<200 {
            guard case .transportWideFeedback(let fb) = gen.packet(kind: 7) else { continue }
            let rebuilt = RTCPTransportFeedback(
                senderSSRC: fb.senderSSRC, mediaSSRC: fb.mediaSSRC, baseSequenceNumber: fb.baseSequenceNumber,
                referenceTime: fb.referenceTime, feedbackPacketCount: fb.feedbackPacketCount,
                packetDeltas: fb.packetResults.map(\.receiveDelta))
            #expect(rebuilt == fb)
            #expect(fb.packetStatuses.count == Int(fb.packetStatusCount))
        }
    }
}
