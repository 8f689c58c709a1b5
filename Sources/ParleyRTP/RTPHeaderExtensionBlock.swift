/// A header extension block in a profile other than RFC 8285's (RFC 3550 §5.3.1), kept
/// verbatim by `RTPPacket`. Valid by construction: the profile is not 0xBEDE or 0x100X
/// (those carry elements, see `RTPHeaderExtensionElement`) and the data is a whole
/// number of 32-bit words, at most 65535.
public struct RTPHeaderExtensionBlock: Sendable, Equatable {
    public let profile: UInt16
    public let data: [UInt8]

    public init(profile: UInt16, data: [UInt8]) throws(RTPError) {
        guard RTPHeaderExtensionForm(profile: profile) == .profileSpecific else {
            throw .malformed(
                what: "RTP header extension block",
                reason: "profile 0x\(String(profile, radix: 16)) is an RFC 8285 profile; use elements instead")
        }
        guard data.count % 4 == 0, data.count <= 0xFFFF * 4 else {
            throw .malformed(
                what: "RTP header extension block",
                reason: "\(data.count) data bytes is not a whole number of 32-bit words up to 65535")
        }
        self.profile = profile
        self.data = data
    }
}
