import Testing
@testable import ParleyRTP

/// Exact bytes of each packet type, written by hand from the RFC layouts (RFC 3550 §6.4–6.6,
/// RFC 4585 §6.2.1/§6.3.1, RFC 5104 §4.3.1) and, for transport-wide feedback, the draft's
/// chunk examples and pion/rtcp's packet vectors.
@Suite struct RTCPPacketTests {
    /// Serializes `packet` and checks the bytes, then parses the bytes and checks the value.
    private func expectBytes(_ packet: RTCPPacket, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let written = try RTCPCompound.serialize([packet])
        #expect(written == bytes, "serialized", sourceLocation: sourceLocation)
        let parsed = try RTCPCompound.parse(bytes)
        #expect(parsed == [packet], "parsed", sourceLocation: sourceLocation)
    }

    @Test func senderReportBytes() throws {
        let sr = RTCPSenderReport(
            ssrc: 0x1234_5678, ntpTimestamp: NTPTimestamp(seconds: 0xE1B2_C3D4, fraction: 0x8000_0000),
            rtpTimestamp: 0x0001_0000, packetCount: 10, octetCount: 1600,
            reports: [RTCPReportBlock(
                ssrc: 0x9ABC_DEF0, fractionLost: 0x40, cumulativeLost: -2, extendedHighestSequence: 0x0001_0005,
                jitter: 0x20, lastSR: 0xC3D4_8000, delaySinceLastSR: 0x0001_8000)])
        try expectBytes(.senderReport(sr), [
            0x81, 0xC8, 0x00, 0x0C,  // V=2 RC=1 PT=200 length 12
            0x12, 0x34, 0x56, 0x78,
            0xE1, 0xB2, 0xC3, 0xD4, 0x80, 0x00, 0x00, 0x00,
            0x00, 0x01, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x0A,
            0x00, 0x00, 0x06, 0x40,
            0x9A, 0xBC, 0xDE, 0xF0,
            0x40, 0xFF, 0xFF, 0xFE,  // fraction 64/256, cumulative lost −2 (24-bit two's complement)
            0x00, 0x01, 0x00, 0x05,
            0x00, 0x00, 0x00, 0x20,
            0xC3, 0xD4, 0x80, 0x00,
            0x00, 0x01, 0x80, 0x00,
        ])
    }

    @Test func receiverReportBytes() throws {
        try expectBytes(.receiverReport(RTCPReceiverReport(ssrc: 0xCAFE_BABE)), [0x80, 0xC9, 0x00, 0x01, 0xCA, 0xFE, 0xBA, 0xBE])
        let block = RTCPReportBlock(
            ssrc: 1, fractionLost: 25, cumulativeLost: 8_388_607, extendedHighestSequence: 0xFFFF_FFFF,
            jitter: 7, lastSR: 0, delaySinceLastSR: 0)
        try expectBytes(.receiverReport(RTCPReceiverReport(ssrc: 2, reports: [block], profileExtension: [1, 2, 3, 4])), [
            0x81, 0xC9, 0x00, 0x08,
            0x00, 0x00, 0x00, 0x02,
            0x00, 0x00, 0x00, 0x01, 0x19, 0x7F, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x07,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x01, 0x02, 0x03, 0x04,
        ])
    }

    @Test func sourceDescriptionBytes() throws {
        // "host": 4 + 2 + 4 = 10 bytes, a null and one byte of padding.
        try expectBytes(.sourceDescription(RTCPSourceDescription(chunks: [.init(ssrc: 0x0102_0304, cname: "host")])), [
            0x81, 0xCA, 0x00, 0x03,
            0x01, 0x02, 0x03, 0x04,
            0x01, 0x04, 0x68, 0x6F, 0x73, 0x74, 0x00, 0x00,
        ])
        // Items ending on a word boundary still need a null octet: a whole word of them.
        let two = RTCPSourceDescription(chunks: [
            .init(ssrc: 5, items: [.init(type: .cname, text: "abcdef")]),
            .init(ssrc: 6, items: [.init(type: .tool, text: "p"), .init(type: .init(rawValue: 42), value: [9])]),
        ])
        try expectBytes(.sourceDescription(two), [
            0x82, 0xCA, 0x00, 0x07,
            0x00, 0x00, 0x00, 0x05,
            0x01, 0x06, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x06,
            0x06, 0x01, 0x70, 0x2A, 0x01, 0x09, 0x00, 0x00,
        ])
        #expect(two.chunks[0].cname == "abcdef")
        #expect(two.chunks[1].cname == nil)
    }

    @Test func goodbyeBytes() throws {
        try expectBytes(.goodbye(RTCPGoodbye(sources: [0xDEAD_BEEF], reasonText: "bye")), [
            0x81, 0xCB, 0x00, 0x02,
            0xDE, 0xAD, 0xBE, 0xEF,
            0x03, 0x62, 0x79, 0x65,
        ])
        try expectBytes(.goodbye(RTCPGoodbye(sources: [1, 2], reasonText: "done")), [
            0x82, 0xCB, 0x00, 0x04,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
            0x04, 0x64, 0x6F, 0x6E, 0x65, 0x00, 0x00, 0x00,
        ])
        try expectBytes(.goodbye(RTCPGoodbye(sources: [7])), [0x81, 0xCB, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07])
    }

    @Test func genericNACKBytes() throws {
        let nack = RTCPGenericNACK(senderSSRC: 0x11, mediaSSRC: 0x22, lostSequenceNumbers: [100, 101, 103, 117, 118])
        // PID 100 with BLP bits 0 (101) and 2 (103); 117 is 17 after 100, so a new PID.
        #expect(nack.entries == [.init(packetID: 100, lostBitmask: 0b101), .init(packetID: 117, lostBitmask: 0b1)])
        #expect(nack.lostSequenceNumbers == [100, 101, 103, 117, 118])
        try expectBytes(.genericNACK(nack), [
            0x81, 0xCD, 0x00, 0x04,
            0x00, 0x00, 0x00, 0x11,
            0x00, 0x00, 0x00, 0x22,
            0x00, 0x64, 0x00, 0x05,
            0x00, 0x75, 0x00, 0x01,
        ])
    }

    @Test func genericNACKCompressesAcrossTheWrap() {
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [65534, 65535, 0, 14, 65535])
        #expect(nack.entries == [.init(packetID: 65534, lostBitmask: 0x8003)])
        #expect(nack.lostSequenceNumbers == [65534, 65535, 0, 14])
    }

    @Test func pictureLossIndicationBytes() throws {
        try expectBytes(.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 0x0A0B_0C0D, mediaSSRC: 0x0102_0304)), [
            0x81, 0xCE, 0x00, 0x02,
            0x0A, 0x0B, 0x0C, 0x0D,
            0x01, 0x02, 0x03, 0x04,
        ])
    }

    @Test func fullIntraRequestBytes() throws {
        let fir = RTCPFullIntraRequest(senderSSRC: 0xAA, entries: [.init(ssrc: 0xBB, sequenceNumber: 7), .init(ssrc: 0xCC, sequenceNumber: 255)])
        try expectBytes(.fullIntraRequest(fir), [
            0x84, 0xCE, 0x00, 0x06,
            0x00, 0x00, 0x00, 0xAA,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0xBB, 0x07, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0xCC, 0xFF, 0x00, 0x00, 0x00,
        ])
        // Reserved bits set by a sender are ignored.
        let parsed = try RTCPCompound.parse([
            0x84, 0xCE, 0x00, 0x04, 0, 0, 0, 0xAA, 0, 0, 0, 0, 0, 0, 0, 0xBB, 0x07, 0xFF, 0xFF, 0xFF,
        ])
        #expect(parsed == [.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 0xAA, entries: [.init(ssrc: 0xBB, sequenceNumber: 7)]))])
    }

    // MARK: Transport-wide feedback

    /// pion/rtcp TestTransportLayerCC_Unmarshal "example1": one run-length chunk, one small
    /// delta of 148 × 250 µs = 37 ms, one byte of padding with the P bit.
    @Test func transportFeedbackPionExample1() throws {
        let fb = RTCPTransportFeedback(
            senderSSRC: 4_195_875_351, mediaSSRC: 1_124_282_272, baseSequenceNumber: 153, packetStatusCount: 1,
            referenceTime: 4_057_090, feedbackPacketCount: 23,
            chunks: [.runLength(.receivedSmallDelta, count: 1)], receiveDeltas: [148])
        try expectBytes(.transportWideFeedback(fb), [
            0xAF, 0xCD, 0x00, 0x05,
            0xFA, 0x17, 0xFA, 0x17,
            0x43, 0x03, 0x2F, 0xA0,
            0x00, 0x99, 0x00, 0x01,
            0x3D, 0xE8, 0x02, 0x17,
            0x20, 0x01, 0x94, 0x01,
        ])
        #expect(fb.packetResults == [.init(sequenceNumber: 153, symbol: .receivedSmallDelta, receiveDelta: 148)])
    }

    /// pion/rtcp TestTransportLayerCC_Marshal "example6": a 1-bit status vector that
    /// overhangs the packet status count (12 of 14 symbols used), 7 small deltas.
    @Test func transportFeedbackPionOneBitVector() throws {
        let r = RTCPTransportFeedback.Symbol.receivedSmallDelta, n = RTCPTransportFeedback.Symbol.notReceived
        let fb = RTCPTransportFeedback(
            senderSSRC: 4_195_875_351, mediaSSRC: 1_124_282_272, baseSequenceNumber: 39956, packetStatusCount: 12,
            referenceTime: 7_701_536, feedbackPacketCount: 0,
            chunks: [.statusVector([r, r, r, r, r, n, r, r, n, n, n, n, n, n])],
            receiveDeltas: [193, 63, 59, 63, 83, 144, 59])
        try expectBytes(.transportWideFeedback(fb), [
            0xAF, 0xCD, 0x00, 0x07,
            0xFA, 0x17, 0xFA, 0x17,
            0x43, 0x03, 0x2F, 0xA0,
            0x9C, 0x14, 0x00, 0x0C,
            0x75, 0x84, 0x20, 0x00,
            0xBE, 0xC0, 0xC1, 0x3F,
            0x3B, 0x3F, 0x53, 0x90,
            0x3B, 0x00, 0x00, 0x03,
        ])
        #expect(fb.packetResults.filter(\.received).count == 7)
        #expect(fb.packetResults[5] == .init(sequenceNumber: 39961, symbol: .notReceived, receiveDelta: nil))
    }

    /// Draft §3.1.3 example 1: run-length chunk 0x00DD, 221 packets not received.
    @Test func transportFeedbackDraftRunLengthExample() throws {
        let fb = RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 1000, referenceTime: 5, feedbackPacketCount: 9,
            packetDeltas: Array(repeating: nil, count: 221))
        #expect(fb.chunks == [.runLength(.notReceived, count: 221)])
        try expectBytes(.transportWideFeedback(fb), [
            0xAF, 0xCD, 0x00, 0x05,
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x02,
            0x03, 0xE8, 0x00, 0xDD,
            0x00, 0x00, 0x05, 0x09,
            0x00, 0xDD, 0x00, 0x02,  // chunk, then 2 bytes of padding (P bit)
        ])
    }

    /// Draft §3.1.3 example 2 (0x6018: 24 packets received without delta), §3.1.4
    /// example 1 (0x9F1C, 1-bit symbols) and example 2 (0xCD50, 2-bit symbols).
    @Test func transportFeedbackDraftChunkExamples() throws {
        typealias S = RTCPTransportFeedback.Symbol
        let header: [UInt8] = [0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x10]
        func packet(count: UInt16, chunk: [UInt8], deltas: [UInt8]) -> [UInt8] {
            var body = header + [UInt8(count >> 8), UInt8(count & 0xFF), 0x00, 0x00, 0x40, 0x00] + chunk + deltas
            body += [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            return [0x8F, 0xCD, 0x00, UInt8(body.count / 4)] + body
        }
        let runBytes = packet(count: 24, chunk: [0x60, 0x18], deltas: [])
        #expect(try RTCPCompound.parse(runBytes) == [.transportWideFeedback(RTCPTransportFeedback(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 16, packetStatusCount: 24, referenceTime: 64,
            feedbackPacketCount: 0, chunks: [.runLength(.receivedWithoutDelta, count: 24)], receiveDeltas: []))])

        let oneBit: [S] = [.notReceived, .receivedSmallDelta, .receivedSmallDelta, .receivedSmallDelta, .receivedSmallDelta,
                           .receivedSmallDelta, .notReceived, .notReceived, .notReceived, .receivedSmallDelta,
                           .receivedSmallDelta, .receivedSmallDelta, .notReceived, .notReceived]
        let vector1 = packet(count: 14, chunk: [0x9F, 0x1C], deltas: [1, 2, 3, 4, 5, 6, 7, 8])
        let parsed1 = try RTCPCompound.parse(vector1)
        guard case .transportWideFeedback(let fb1) = parsed1.first else { Issue.record("not TWCC"); return }
        #expect(fb1.chunks == [.statusVector(oneBit)])
        #expect(fb1.receiveDeltas == [1, 2, 3, 4, 5, 6, 7, 8])
        // Serialized as the last packet it pads with the P bit; the content is the same.
        let again = try RTCPCompound.serialize(parsed1)
        #expect(Array(again[4..<28]) == Array(vector1[4..<28]))

        let twoBit: [S] = [.notReceived, .receivedWithoutDelta, .receivedSmallDelta, .receivedSmallDelta,
                           .receivedSmallDelta, .notReceived, .notReceived]
        let vector2 = packet(count: 7, chunk: [0xCD, 0x50], deltas: [10, 20, 30])
        guard case .transportWideFeedback(let fb2) = try RTCPCompound.parse(vector2).first else { Issue.record("not TWCC"); return }
        #expect(fb2.chunks == [.statusVector(twoBit)])
        #expect(fb2.packetResults.map(\.receiveDelta) == [nil, nil, 10, 20, 30, nil, nil])
        #expect(try RTCPCompound.serialize([.transportWideFeedback(fb2), .pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: 2))])
            .prefix(vector2.count) == vector2[...])  // not last: zero padding, no P bit
    }

    @Test func transportFeedbackBuilderChoosesChunks() throws {
        // 3 small, 1 lost, 2 small, then a large and a negative delta, then 20 lost.
        let deltas: [Int16?] = [4, 8, 12, nil, 0, 255, 256, -4] + Array(repeating: nil, count: 20)
        let fb = RTCPTransportFeedback(
            senderSSRC: 9, mediaSSRC: 10, baseSequenceNumber: 65530, referenceTime: 0xFF_FFFF, feedbackPacketCount: 255,
            packetDeltas: deltas)
        #expect(fb.packetStatusCount == 28)
        #expect(fb.chunks == [
            .statusVector([.receivedSmallDelta, .receivedSmallDelta, .receivedSmallDelta, .notReceived,
                           .receivedSmallDelta, .receivedSmallDelta, .receivedLargeDelta]),
            .statusVector([.receivedLargeDelta, .notReceived, .notReceived, .notReceived, .notReceived, .notReceived, .notReceived]),
            .runLength(.notReceived, count: 14),
        ])
        #expect(fb.packetResults.map(\.receiveDelta) == deltas)
        #expect(fb.packetResults.last?.sequenceNumber == 65530 &+ 27)
        let bytes = try RTCPCompound.serialize([.transportWideFeedback(fb)])
        #expect(try RTCPCompound.parse(bytes) == [.transportWideFeedback(fb)])

        // A run shorter than 14 followed by mixed small/lost statuses fits one 1-bit vector.
        let mixed = RTCPTransportFeedback(
            senderSSRC: 9, mediaSSRC: 10, baseSequenceNumber: 0, referenceTime: 0, feedbackPacketCount: 0,
            packetDeltas: Array(repeating: 1, count: 10) + [nil, 1, 1, 1])
        #expect(mixed.chunks == [.statusVector(Array(repeating: .receivedSmallDelta, count: 10)
            + [.notReceived, .receivedSmallDelta, .receivedSmallDelta, .receivedSmallDelta])])
    }

    // MARK: Compound and unknown

    @Test func compoundKeepsOrderAndUnknownPackets() throws {
        let app: [UInt8] = [0x83, 0xCC, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x74, 0x65, 0x73, 0x74, 0xAA, 0xBB, 0xCC, 0xDD]
        let remb: [UInt8] = [0x8F, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0]
        let packets: [RTCPPacket] = [
            .receiverReport(.init(ssrc: 1)),
            .sourceDescription(.init(chunks: [.init(ssrc: 1, cname: "a")])),
            .unknown(type: 204, bytes: app),
            .unknown(type: 206, bytes: remb),
            .goodbye(.init(sources: [1])),
        ]
        let bytes = try RTCPCompound.serialize(packets)
        #expect(bytes.count == 8 + 12 + 16 + 12 + 8)
        #expect(Array(bytes[20..<36]) == app)
        #expect(try RTCPCompound.parse(bytes) == packets)
    }

    @Test func serializeIntoCallerBuffer() throws {
        let packets: [RTCPPacket] = [.pictureLossIndication(.init(senderSSRC: 1, mediaSSRC: 2))]
        var buffer = [UInt8](repeating: 0xEE, count: 16)
        let n = try buffer.withUnsafeMutableBytes { raw in try RTCPCompound.serialize(packets, into: raw) }
        #expect(n == 12)
        #expect(buffer[12...] == [0xEE, 0xEE, 0xEE, 0xEE])
        let parsed = try buffer.withUnsafeBytes { raw in try RTCPCompound.parse(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
        #expect(parsed == packets)

        var small = [UInt8](repeating: 0, count: 11)
        #expect(throws: RTPError.bufferTooSmall(needed: 12, available: 11)) {
            try small.withUnsafeMutableBytes { raw in try RTCPCompound.serialize(packets, into: raw) }
        }
    }
}
