/// What a datagram on a multiplexed port holds, from its first bytes.
public enum RTPPacketKind: Sendable, Equatable {
    case rtp
    case rtcp
    case stun
    case dtls
    /// ZRTP (RFC 7983: first byte 16...19).
    case zrtp
    /// TURN ChannelData (RFC 7983: first byte 64...79).
    case turnChannel
    case unknown
}

/// Demultiplexes RTP, RTCP, STUN, DTLS, ZRTP and TURN channel data sharing one port,
/// by the first byte (RFC 7983 §7) and, for RTP versus RTCP, the second (RFC 5761 §4).
public enum RTPPacketClassifier {
    /// Classifies a datagram from its first bytes (at least two are needed to tell RTP
    /// from RTCP; any shorter RTP-range datagram is `.unknown`). Never reads past `bytes`.
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> RTPPacketKind {
        // Plain comparisons: range patterns cost allocations in unoptimized builds.
        guard bytes.count >= 1 else { return .unknown }
        let first = bytes[0]
        if first <= 3 { return .stun }
        if first >= 16 && first <= 19 { return .zrtp }
        if first >= 20 && first <= 63 { return .dtls }
        if first >= 64 && first <= 79 { return .turnChannel }
        if first >= 128 && first <= 191 {
            guard bytes.count >= 2 else { return .unknown }
            // RFC 5761 §4: RTCP packet types 192...223 occupy the second byte; RTP
            // payload types 64...95 (which would collide with them when the marker
            // is set) must not be used on a muxed port.
            let second = bytes[1]
            return second >= 192 && second <= 223 ? .rtcp : .rtp
        }
        return .unknown
    }

    /// Classifies an array (convenience).
    public static func classify(_ bytes: [UInt8]) -> RTPPacketKind {
        bytes.withUnsafeBytes { classify($0) }
    }

    /// Classifies from the first two bytes of a datagram.
    public static func classify(firstByte: UInt8, secondByte: UInt8?) -> RTPPacketKind {
        if let secondByte {
            return withUnsafeBytes(of: (firstByte, secondByte)) { classify($0) }
        }
        return withUnsafeBytes(of: firstByte) { classify($0) }
    }
}
