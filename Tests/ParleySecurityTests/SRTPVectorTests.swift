import ParleySecurity
import Testing

/// Known-answer tests through `SRTPSession`: the packets libsrtp's own test driver
/// (test/srtp_driver.c, srtp_validate and srtp_validate_gcm) checks, made from master
/// keys, so they exercise the key derivation too.
@Suite("SRTP known-answer vectors")
struct SRTPVectorTests {
    /// RFC 3711 Appendix B.3 master key and master salt.
    static let rfc3711Key = hex("E1F97A0D3E018BE0D64FA32C06DE4139" + "0EC675AD498AFEEBB6960B3AABE6")
    /// libsrtp's AES-GCM test master key (000102…0f) and salt (a0a1…ab).
    static let gcmKey = hex("000102030405060708090a0b0c0d0e0f" + "a0a1a2a3a4a5a6a7a8a9aaab")

    static let rtpPlaintext = hex("800f1234decafbadcafebabe" + String(repeating: "ab", count: 16))
    static let rtcpPlaintext = hex("81c8000bcafebabe" + String(repeating: "ab", count: 16))

    struct Vector: Sendable, CustomStringConvertible {
        var suite: SRTPSuite
        var key: [UInt8]
        var srtp: [UInt8]
        var srtcp: [UInt8]
        var description: String { suite.rawValue }
    }

    static let vectors: [Vector] = [
        Vector(
            suite: .aesCM128HmacSHA1_80, key: rfc3711Key,
            srtp: hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb"),
            srtcp: hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798")),
        Vector(
            suite: .aeadAES128GCM, key: gcmKey,
            srtp: hex("800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e d2976826f796b201df3131a127e8a392"),
            srtcp: hex("81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e 80000001")),
    ]

    @Test("RTP protect is byte-exact and unprotect gives the plaintext back", arguments: vectors)
    func rtpVector(_ vector: Vector) throws {
        let sender = try SRTPSession(suite: vector.suite, masterKey: vector.key, direction: .outbound, ssrc: .specific(0xCAFE_BABE))
        var buffer = withTrailerRoom(Self.rtpPlaintext)
        let length = try sender.protectRTP(&buffer, length: Self.rtpPlaintext.count)
        #expect(length == Self.rtpPlaintext.count + vector.suite.overhead)
        #expect(Array(buffer[..<length]) == vector.srtp)

        let receiver = try SRTPSession(suite: vector.suite, masterKey: vector.key, direction: .inbound, ssrc: .specific(0xCAFE_BABE))
        var received = vector.srtp
        let plainLength = try receiver.unprotectRTP(&received, length: received.count)
        #expect(Array(received[..<plainLength]) == Self.rtpPlaintext)
        #expect(sender.statistics.protectedRTPPackets == 1)
        #expect(receiver.statistics.unprotectedRTPPackets == 1)
        #expect(receiver.statistics.failures == 0)
    }

    @Test("RTCP protect is byte-exact and unprotect gives the plaintext back", arguments: vectors)
    func rtcpVector(_ vector: Vector) throws {
        let sender = try SRTPSession(suite: vector.suite, masterKey: vector.key, direction: .outbound)
        var buffer = withTrailerRoom(Self.rtcpPlaintext, rtcp: true)
        let length = try sender.protectRTCP(&buffer, length: Self.rtcpPlaintext.count)
        #expect(length == Self.rtcpPlaintext.count + vector.suite.rtcpOverhead)
        #expect(Array(buffer[..<length]) == vector.srtcp)

        let receiver = try SRTPSession(suite: vector.suite, masterKey: vector.key, direction: .inbound)
        var received = vector.srtcp
        let plainLength = try receiver.unprotectRTCP(&received, length: received.count)
        #expect(Array(received[..<plainLength]) == Self.rtcpPlaintext)
        #expect(receiver.statistics.unprotectedRTCPPackets == 1)
    }

    @Test("the vector's SRTP packet with one changed tag byte fails authentication", arguments: vectors)
    func alteredVector(_ vector: Vector) throws {
        let receiver = try SRTPSession(suite: vector.suite, masterKey: vector.key, direction: .inbound)
        var received = vector.srtp
        received[received.count - 1] ^= 0x01
        #expect(throws: SecurityError.authenticationFailed(.rtp)) {
            _ = try receiver.unprotectRTP(&received, length: received.count)
        }
        #expect(receiver.statistics.authenticationFailures == 1)
    }
}
