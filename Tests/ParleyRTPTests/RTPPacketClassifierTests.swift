import Testing
@testable import ParleyRTP

@Suite("Demultiplexing by first bytes (RFC 7983, RFC 5761)")
struct RTPPacketClassifierTests {
    @Test("First-byte ranges", arguments: [
        (UInt8(0), RTPPacketKind.stun), (3, .stun), (4, .unknown), (15, .unknown),
        (16, .zrtp), (19, .zrtp), (20, .dtls), (22, .dtls), (63, .dtls),
        (64, .turnChannel), (79, .turnChannel), (80, .unknown), (127, .unknown),
        (192, .unknown), (255, .unknown),
    ])
    func firstByte(byte: UInt8, kind: RTPPacketKind) {
        #expect(RTPPacketClassifier.classify([byte, 0x60, 0, 0]) == kind)
    }

    @Test("RTP versus RTCP by the second byte: 192...223 is RTCP", arguments: [
        (UInt8(0), RTPPacketKind.rtp), (96, .rtp), (127, .rtp), (0x80 | 63, .rtp),
        (64, .rtp), (95, .rtp),  // PT 64...95 without marker: not an RTCP packet type
        (192, .rtcp), (200, .rtcp), (201, .rtcp), (205, .rtcp), (206, .rtcp), (223, .rtcp),
        (224, .rtp), (0x80 | 96, .rtp), (191, .rtp),
    ])
    func rtpOrRTCP(second: UInt8, kind: RTPPacketKind) {
        #expect(RTPPacketClassifier.classify([0x80, second, 0, 1]) == kind)
        #expect(RTPPacketClassifier.classify([0xBF, second]) == kind)
        #expect(RTPPacketClassifier.classify(firstByte: 0x81, secondByte: second) == kind)
    }

    @Test("Too short to tell")
    func short() {
        #expect(RTPPacketClassifier.classify([]) == .unknown)
        #expect(RTPPacketClassifier.classify([0x80]) == .unknown)
        #expect(RTPPacketClassifier.classify(firstByte: 0x80, secondByte: nil) == .unknown)
        #expect(RTPPacketClassifier.classify(firstByte: 0x16, secondByte: nil) == .dtls)
    }
}
