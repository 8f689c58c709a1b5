import ParleySecurity

/// Bytes from a hex string; spaces and newlines are ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { $0.isHexDigit })
    var bytes: [UInt8] = []
    var index = 0
    while index + 1 < digits.count {
        bytes.append(UInt8(String(digits[index...index + 1]), radix: 16)!)
        index += 2
    }
    return bytes
}

/// A deterministic generator for test packets (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }
}

/// Big-endian bytes of a 32-bit value.
func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
     UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

/// An RTP packet: version 2, the CSRCs, optionally a one-byte-header extension block
/// (RFC 8285) of `extensionWords` 32-bit words, then `payload`.
func rtpPacket(
    sequence: UInt16, timestamp: UInt32 = 0x1234_5678, ssrc: UInt32 = 0xCAFE_BABE, payloadType: UInt8 = 111,
    csrcs: [UInt32] = [], extensionWords: Int? = nil, payload: [UInt8]
) -> [UInt8] {
    let x: UInt8 = extensionWords == nil ? 0 : 0x10
    var packet: [UInt8] = [0x80 | x | UInt8(csrcs.count), payloadType & 0x7F, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    packet += bigEndian(timestamp) + bigEndian(ssrc)
    for csrc in csrcs { packet += bigEndian(csrc) }
    if let words = extensionWords {
        packet += [0xBE, 0xDE, UInt8(words >> 8), UInt8(words & 0xFF)]
        for word in 0..<words { packet += [0x12, UInt8(truncatingIfNeeded: word), 0xAA, 0x55] }
    }
    return packet + payload
}

/// An RTCP receiver report with one report block (32 bytes), sender SSRC `ssrc`.
func rtcpReceiverReport(ssrc: UInt32 = 0xCAFE_BABE, fill: UInt8 = 0x42) -> [UInt8] {
    [0x81, 201, 0x00, 0x07] + bigEndian(ssrc) + [UInt8](repeating: fill, count: 24)
}

/// `packet` followed by room for the SRTP (or SRTCP) trailer.
func withTrailerRoom(_ packet: [UInt8], rtcp: Bool = false) -> [UInt8] {
    packet + [UInt8](repeating: 0, count: rtcp ? SRTPSession.maximumRTCPTrailerLength : SRTPSession.maximumTrailerLength)
}

/// A sender and a receiver session sharing fresh random keying material.
func sessionPair(
    _ suite: SRTPSuite, replayWindowSize: Int = 128
) throws -> (sender: SRTPSession, receiver: SRTPSession, key: [UInt8]) {
    let key = try SRTPKeyingMaterial.random(for: suite)
    let sender = try SRTPSession(suite: suite, masterKey: key, direction: .outbound, replayWindowSize: replayWindowSize)
    let receiver = try SRTPSession(suite: suite, masterKey: key, direction: .inbound, replayWindowSize: replayWindowSize)
    return (sender, receiver, key)
}

/// Protects `packet` with `sender`; returns the SRTP packet, exactly its length.
func protect(_ packet: [UInt8], with sender: SRTPSession) throws -> [UInt8] {
    var buffer = withTrailerRoom(packet)
    let length = try sender.protectRTP(&buffer, length: packet.count)
    return Array(buffer[..<length])
}

/// Unprotects `packet` with `receiver`; returns the RTP packet.
func unprotect(_ packet: [UInt8], with receiver: SRTPSession) throws -> [UInt8] {
    var buffer = packet
    let length = try receiver.unprotectRTP(&buffer, length: packet.count)
    return Array(buffer[..<length])
}
