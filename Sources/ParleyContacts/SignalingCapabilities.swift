import ParleySecurity

/// What a device can run, as one byte sent inside the sealed acceptance and confirmation
/// (never in clear): bit 0, AES-256-GCM (libsodium runs it only with hardware AES, e.g.
/// not on ARM in libsodium 1.0.18). Other bits are reserved (sent as 0, ignored).
///
/// Each side seals signaling to a contact with AES-256-GCM only if both can run it, and
/// XChaCha20-Poly1305 otherwise; a channel opens any algorithm its header names that this
/// device can run, so two sides that chose differently still understand each other.
public enum SignalingCapabilities {
    public static let aes256GCM: UInt8 = 0x01

    /// This device's byte.
    public static var local: UInt8 { AEAD.Algorithm.aes256GCM.isAvailable ? aes256GCM : 0 }

    /// The algorithm to seal with toward a peer with `peer` capabilities (nil: unknown,
    /// e.g. a contact made before capabilities were exchanged).
    public static func algorithm(peer: UInt8?, local: UInt8 = SignalingCapabilities.local) -> AEAD.Algorithm {
        guard let peer, peer & aes256GCM != 0, local & aes256GCM != 0 else { return .xChaCha20Poly1305 }
        return .aes256GCM
    }
}
