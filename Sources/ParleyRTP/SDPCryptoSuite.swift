/// The SRTP crypto suites Parley negotiates with `a=crypto` (RFC 4568 §6.2, RFC 7714 §12).
public enum SDPCryptoSuite: String, Equatable, Hashable, Sendable, CaseIterable {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 4568). What ffmpeg reads.
    case aesCM128HmacSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    /// AES-128 counter mode, HMAC-SHA1 with a 32-bit tag (RFC 4568).
    case aesCM128HmacSHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    /// AES-128-GCM (RFC 7714): Parley's default.
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    /// AES-256-GCM (RFC 7714).
    case aeadAES256GCM = "AEAD_AES_256_GCM"

    /// Master key length in bytes.
    public var keyLength: Int {
        switch self {
        case .aesCM128HmacSHA1_80, .aesCM128HmacSHA1_32, .aeadAES128GCM: return 16
        case .aeadAES256GCM: return 32
        }
    }

    /// Master salt length in bytes: 14 for AES-CM (RFC 3711), 12 for GCM (RFC 7714 §12).
    public var saltLength: Int {
        switch self {
        case .aesCM128HmacSHA1_80, .aesCM128HmacSHA1_32: return 14
        case .aeadAES128GCM, .aeadAES256GCM: return 12
        }
    }

    /// The length of the `inline:` key: master key then master salt (30, 30, 28, 44).
    public var keyAndSaltLength: Int { keyLength + saltLength }
}
