import ParleySecurity

extension SRTPSuite {
    /// The command line's short names: aes-gcm, aes-gcm-256, aes-cm-hmac-sha1-80, aes-cm-hmac-sha1-32
    /// (the RFC names are accepted too).
    init?(cliName: String) {
        switch cliName.lowercased() {
        case "aes-gcm", "aes-128-gcm", "aead_aes_128_gcm": self = .aeadAES128GCM
        case "aes-gcm-256", "aead_aes_256_gcm": self = .aeadAES256GCM
        case "aes-cm-hmac-sha1-80", "aes_cm_128_hmac_sha1_80": self = .aesCM128HmacSHA1_80
        case "aes-cm-hmac-sha1-32", "aes_cm_128_hmac_sha1_32": self = .aesCM128HmacSHA1_32
        default: return nil
        }
    }
}
