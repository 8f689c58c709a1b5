/// An SRTP protection profile: the cipher, the authentication and their key sizes.
///
/// The raw values are the SDES crypto-suite names (RFC 4568, RFC 7714 §14.1).
/// `aeadAES128GCM` is Parley's default (about 3–4× cheaper than AES-CM + HMAC-SHA1 with
/// Debian's NSS-backed libsrtp2); `aesCM128HmacSHA1_80` is there for interoperability.
public enum SRTPSuite: String, CaseIterable, Sendable, Codable {
    /// AES-128 in Galois/Counter Mode, 16-byte tag (RFC 7714).
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    /// AES-256 in Galois/Counter Mode, 16-byte tag (RFC 7714).
    case aeadAES256GCM = "AEAD_AES_256_GCM"
    /// AES-128 counter mode, HMAC-SHA1 truncated to 80 bits (RFC 3711).
    case aesCM128HmacSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    /// AES-128 counter mode, HMAC-SHA1 truncated to 32 bits on SRTP (80 bits on SRTCP,
    /// as RFC 4568 and RFC 5764 require).
    case aesCM128HmacSHA1_32 = "AES_CM_128_HMAC_SHA1_32"

    /// The suite Parley uses unless told otherwise.
    public static let `default` = SRTPSuite.aeadAES128GCM

    /// Bytes of master key.
    public var masterKeyLength: Int {
        switch self {
        case .aeadAES128GCM, .aesCM128HmacSHA1_80, .aesCM128HmacSHA1_32: return 16
        case .aeadAES256GCM: return 32
        }
    }

    /// Bytes of master salt: 12 for the AEAD suites, 14 for AES-CM.
    public var masterSaltLength: Int {
        isAEAD ? 12 : 14
    }

    /// Bytes of keying material a session takes: master key followed by master salt
    /// (28 for AEAD_AES_128_GCM, 44 for AEAD_AES_256_GCM, 30 for the AES-CM suites).
    public var keyingMaterialLength: Int { masterKeyLength + masterSaltLength }

    /// True for the AEAD (GCM) suites.
    public var isAEAD: Bool {
        switch self {
        case .aeadAES128GCM, .aeadAES256GCM: return true
        case .aesCM128HmacSHA1_80, .aesCM128HmacSHA1_32: return false
        }
    }

    /// Bytes of authentication tag on an SRTP (RTP) packet.
    public var authTagLength: Int {
        switch self {
        case .aeadAES128GCM, .aeadAES256GCM: return 16
        case .aesCM128HmacSHA1_80: return 10
        case .aesCM128HmacSHA1_32: return 4
        }
    }

    /// Bytes of authentication tag on an SRTCP packet.
    public var rtcpAuthTagLength: Int {
        isAEAD ? 16 : 10
    }

    /// Bytes `protectRTP` adds to an RTP packet (no MKI).
    public var overhead: Int { authTagLength }

    /// Bytes `protectRTCP` adds to an RTCP packet: the tag and the 4-byte E flag + SRTCP index.
    public var rtcpOverhead: Int { rtcpAuthTagLength + 4 }
}
