import ParleyRTP
import ParleySecurity

/// What every Parley call uses on the wire, whatever the transport: the header extension
/// ids (the SDP offer writes the same), the payload types and fresh stream identities.
public enum MediaProfile {
    /// Parley's own header extension ids (`SDPExtensionIDs()` writes the same in SDP).
    public static let extensions: RTPExtensionMap = {
        var map = RTPExtensionMap()
        try? map.register(id: 1, uri: RTPExtensions.AudioLevel.uri)
        try? map.register(id: 2, uri: RTPExtensions.AbsSendTime.uri)
        try? map.register(id: 3, uri: RTPExtensions.TransportSequenceNumber.uri)
        return map
    }()
    public static let audioPayloadType: UInt8 = 111
    public static let vp8PayloadType: UInt8 = 96
    public static let vp9PayloadType: UInt8 = 98

    /// A random SSRC, initial sequence number and initial timestamp, as RFC 3550 asks.
    public static func randomStreamIdentity() throws -> (ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32) {
        let bytes = try SecureRandom.bytes(count: 10)
        func word(_ i: Int) -> UInt32 { UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3]) }
        return (word(0), UInt16(bytes[4]) << 8 | UInt16(bytes[5]), word(6))
    }
}
