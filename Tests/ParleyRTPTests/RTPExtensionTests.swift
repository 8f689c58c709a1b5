import Testing
@testable import ParleyRTP

@Suite("RTP header extensions: audio level, abs-send-time, transport-cc, extension map")
struct RTPExtensionTests {
    @Test("Audio level (RFC 6464): V bit and 7-bit -dBov level in one byte")
    func audioLevel() throws {
        #expect(try RTPExtensions.AudioLevel(voiceActivity: true, level: 42).encoded() == [0xAA])
        #expect(try RTPExtensions.AudioLevel(voiceActivity: false, level: 127).encoded() == [0x7F])
        let decoded = try RTPExtensions.AudioLevel(decoding: [0x85])
        #expect(decoded.voiceActivity && decoded.level == 5 && decoded.dBov == -5)
        #expect(throws: RTPError.self) { try RTPExtensions.AudioLevel(voiceActivity: true, level: 128) }
        #expect(throws: RTPError.self) { try RTPExtensions.AudioLevel(decoding: []) }
        #expect(throws: RTPError.self) { try RTPExtensions.AudioLevel(decoding: [1, 2]) }
        #expect(RTPExtensions.AudioLevel(voiceActivity: false, dBov: -30.4).level == 30)
        #expect(RTPExtensions.AudioLevel(voiceActivity: false, dBov: -200).level == 127)
        #expect(RTPExtensions.AudioLevel(voiceActivity: false, dBov: 3).level == 0)
        #expect(RTPExtensions.AudioLevel(voiceActivity: false, dBov: .nan).level == 0)
    }

    @Test("abs-send-time: 24-bit 6.18 fixed point seconds, from NTP and microseconds")
    func absSendTime() throws {
        let time = try RTPExtensions.AbsSendTime(rawValue: 0x12_3456)
        #expect(time.encoded() == [0x12, 0x34, 0x56])
        #expect(try RTPExtensions.AbsSendTime(decoding: [0xFF, 0xFF, 0xFF]).rawValue == 0xFF_FFFF)
        #expect(throws: RTPError.self) { try RTPExtensions.AbsSendTime(rawValue: 0x100_0000) }
        #expect(throws: RTPError.self) { try RTPExtensions.AbsSendTime(decoding: [1, 2]) }
        // 1.5 s: 1 << 18 + 1 << 17.
        #expect(RTPExtensions.AbsSendTime(microseconds: 1_500_000).rawValue == 0x06_0000)
        #expect(RTPExtensions.AbsSendTime(microseconds: 1_500_000).seconds == 1.5)
        // Wraps every 64 s, negative times too.
        #expect(RTPExtensions.AbsSendTime(microseconds: 65_500_000).rawValue == 0x06_0000)
        #expect(RTPExtensions.AbsSendTime(microseconds: -62_500_000).rawValue == 0x06_0000)
        // NTP 32.32: 1.5 s past some whole second 0x12345678 -> (ntp >> 14) & 0xFFFFFF.
        let ntp: UInt64 = 0x1234_5678_8000_0000
        #expect(RTPExtensions.AbsSendTime(ntpTimestamp: ntp).rawValue == UInt32((ntp >> 14) & 0xFF_FFFF))
        #expect(RTPExtensions.AbsSendTime(ntpTimestamp: ntp).rawValue == 0xE2_0000)  // 56.5 s mod 64
    }

    @Test("Transport-wide sequence number: 16 bits big-endian")
    func transportSequenceNumber() throws {
        #expect(RTPExtensions.TransportSequenceNumber(0x0102).encoded() == [0x01, 0x02])
        #expect(try RTPExtensions.TransportSequenceNumber(decoding: [0xFF, 0xFE]).value == 0xFFFE)
        #expect(throws: RTPError.self) { try RTPExtensions.TransportSequenceNumber(decoding: [1, 2, 3, 4]) }
    }

    @Test("Encoding into a buffer that is too small throws")
    func smallBuffer() throws {
        var two = [UInt8](repeating: 0, count: 2)
        _ = two.withUnsafeMutableBytes { raw in
            #expect(throws: RTPError.bufferTooSmall(needed: 3, available: 2)) {
                _ = try RTPExtensions.AbsSendTime(rawValue: 1).encode(into: raw)
            }
        }
    }

    @Test("The extension map resolves ids both ways from extmap pairs")
    func map() throws {
        var map = try RTPExtensionMap([
            (id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
            (id: 3, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            (id: 5, uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
            (id: 9, uri: "urn:ietf:params:rtp-hdrext:sdes:mid"),
        ])
        #expect(map.id(for: .audioLevel) == 1)
        #expect(map.id(for: .absSendTime) == 3)
        #expect(map.id(for: .transportSequenceNumber) == 5)
        #expect(map.kind(for: 3) == .absSendTime)
        #expect(map.kind(for: 9) == nil)
        #expect(map.kind(for: 0) == nil)
        #expect(map.otherURIs == [9: "urn:ietf:params:rtp-hdrext:sdes:mid"])
        #expect(map.fitsOneByteForm)
        // The same entry twice is fine; a second id for a kind is accepted, lowest id wins.
        try map.register(id: 1, uri: RTPExtensions.AudioLevel.uri)
        try map.register(id: 200, uri: RTPExtensions.AudioLevel.uri)
        #expect(map.id(for: .audioLevel) == 1)
        #expect(map.kind(for: 200) == .audioLevel)
        #expect(!map.fitsOneByteForm)
        // Errors.
        #expect(throws: RTPError.self) { try map.register(id: 1, uri: RTPExtensions.AbsSendTime.uri) }
        #expect(throws: RTPError.self) { try map.register(id: 0, uri: RTPExtensions.AbsSendTime.uri) }
        #expect(throws: RTPError.self) { try map.register(id: 256, uri: RTPExtensions.AbsSendTime.uri) }
        #expect(RTPExtensionKind(uri: "urn:nothing") == nil)
        #expect(RTPExtensionKind.allCases.allSatisfy { RTPExtensionKind(uri: $0.uri) == $0 })
    }
}
