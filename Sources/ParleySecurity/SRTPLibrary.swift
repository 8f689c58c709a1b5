import CSRTP
import CSodium

/// libsrtp2's one-time initialization and the policy setup shared by `SRTPSession` and
/// `SRTPBareCalls`.
enum SRTPLibrary {
    /// `srtp_init()`'s status, computed once by the first caller (Swift global `let`s are
    /// initialized lazily and thread-safely), and after a successful init the address of
    /// the crypto backend anchor (`makeBackendAnchor`; kept so that it stays reachable, 0
    /// if there is none).
    private static let state: (status: Int32, anchor: Int) = {
        let status = Int32(bitPattern: srtp_init().rawValue)
        return (status, status == 0 ? makeBackendAnchor() : 0)
    }()

    /// Calls `srtp_init()` the first time only.
    static func initialize() throws(SecurityError) {
        let status = state.status
        guard status == 0 else { throw SecurityError.srtp(function: "srtp_init", status: status) }
    }

    /// A libsrtp session that lives as long as the process and is never used: it keeps the
    /// crypto backend initialized between sessions.
    ///
    /// A libsrtp2 built on NSS (Debian's is) calls `NSS_InitContext` for every cipher it
    /// allocates and `NSS_ShutdownContext` for every cipher it frees. When the last context
    /// goes NSS shuts down completely, and the next cipher initializes it again: about
    /// 450–700 µs each time, paid whenever a session is created with no other alive (every
    /// call setup, both sides). While one cipher stays alive, a context is a reference count
    /// and a stream costs about 10 µs. With libsrtp's own or OpenSSL crypto the anchor
    /// costs only its memory.
    ///
    /// The anchor is keyed with fresh random bytes that are wiped at once (libsrtp keeps
    /// only the derived session keys, inside NSS) and never protects or unprotects
    /// anything. Failing to create it only costs speed.
    private static func makeBackendAnchor() -> Int {
        guard (try? SecureRandom.initialize()) != nil else { return 0 }
        var policy = srtp_policy_t()
        srtp_crypto_policy_set_rtp_default(&policy.rtp)
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        policy.ssrc.type = ssrc_any_outbound
        policy.window_size = 128
        var session: srtp_t? = nil
        var key = [UInt8](repeating: 0, count: 30)
        let status = key.withUnsafeMutableBufferPointer { bytes -> srtp_err_status_t in
            guard let base = bytes.baseAddress else { return srtp_err_status_bad_param }
            randombytes_buf(base, bytes.count)
            defer { sodium_memzero(base, bytes.count) }
            policy.key = base
            defer { policy.key = nil }
            return srtp_create(&session, &policy)
        }
        guard status == srtp_err_status_ok, let session else { return 0 }
        return Int(bitPattern: UnsafeRawPointer(session))
    }

    /// `SRTP_MAX_TRAILER_LEN`: bytes srtp_protect may write after an RTP packet.
    static let maximumTrailerLength = Int(parley_srtp_max_trailer_len())
    /// `SRTP_MAX_TRAILER_LEN + 4`: bytes srtp_protect_rtcp may write after an RTCP packet.
    static let maximumRTCPTrailerLength = Int(parley_srtp_max_rtcp_trailer_len())

    /// Fills the crypto policies of `policy` for `suite`.
    static func setCryptoPolicies(_ policy: inout srtp_policy_t, suite: SRTPSuite) {
        switch suite {
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        case .aeadAES256GCM:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp)
        case .aesCM128HmacSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aesCM128HmacSHA1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        }
    }

    /// Creates a libsrtp2 session holding one stream policy (a wildcard SSRC of the given
    /// direction, or one SSRC).
    static func createSession(
        suite: SRTPSuite, masterKey: [UInt8], direction: SRTPSession.Direction, ssrc: SRTPSession.SSRC,
        replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) -> OpaquePointer {
        try checkKey(masterKey.count, suite: suite)
        return try masterKey.withUnsafeBytes { key in
            createSession(
                suite: suite, checkedKey: key, direction: direction, ssrc: ssrc,
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        }.get()
    }

    /// `createSession` with the keying material in a `SecretBytes`, used in place.
    static func createSession(
        suite: SRTPSuite, masterKey: SecretBytes, direction: SRTPSession.Direction, ssrc: SRTPSession.SSRC,
        replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) -> OpaquePointer {
        try checkKey(masterKey.count, suite: suite)
        return try masterKey.withUnsafeBytes { key in
            createSession(
                suite: suite, checkedKey: key, direction: direction, ssrc: ssrc,
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        }.get()
    }

    /// Adds one more stream policy (one SSRC, its own key) to an existing session.
    static func addStream(
        to session: OpaquePointer, suite: SRTPSuite, masterKey: [UInt8], direction: SRTPSession.Direction,
        ssrc: UInt32, replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) {
        try checkKey(masterKey.count, suite: suite)
        try masterKey.withUnsafeBytes { key in
            addStream(
                to: session, suite: suite, checkedKey: key, direction: direction, ssrc: ssrc,
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        }.get()
    }

    /// `addStream` with the keying material in a `SecretBytes`, used in place.
    static func addStream(
        to session: OpaquePointer, suite: SRTPSuite, masterKey: SecretBytes, direction: SRTPSession.Direction,
        ssrc: UInt32, replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) {
        try checkKey(masterKey.count, suite: suite)
        try masterKey.withUnsafeBytes { key in
            addStream(
                to: session, suite: suite, checkedKey: key, direction: direction, ssrc: ssrc,
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        }.get()
    }

    /// Throws `invalidKeyLength` unless `count` is the suite's keying material length.
    private static func checkKey(_ count: Int, suite: SRTPSuite) throws(SecurityError) {
        guard count == suite.keyingMaterialLength else {
            throw SecurityError.invalidKeyLength(suite: suite, expected: suite.keyingMaterialLength, actual: count)
        }
    }

    private static func createSession(
        suite: SRTPSuite, checkedKey key: UnsafeRawBufferPointer, direction: SRTPSession.Direction,
        ssrc: SRTPSession.SSRC, replayWindowSize: Int, allowRepeatTransmission: Bool
    ) -> Result<OpaquePointer, SecurityError> {
        do throws(SecurityError) {
            try initialize()
            var policy = try makePolicy(
                suite: suite, direction: direction, ssrc: ssrc,
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
            var session: srtp_t? = nil
            let status = withKey(key, in: &policy) { srtp_create(&session, &$0) }
            guard status == srtp_err_status_ok, let session else {
                throw SecurityError.srtp(function: "srtp_create", status: Int32(bitPattern: status.rawValue))
            }
            return .success(session)
        } catch {
            return .failure(error)
        }
    }

    private static func addStream(
        to session: OpaquePointer, suite: SRTPSuite, checkedKey key: UnsafeRawBufferPointer,
        direction: SRTPSession.Direction, ssrc: UInt32, replayWindowSize: Int, allowRepeatTransmission: Bool
    ) -> Result<Void, SecurityError> {
        do throws(SecurityError) {
            var policy = try makePolicy(
                suite: suite, direction: direction, ssrc: .specific(ssrc),
                replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
            // libsrtp 2.5 adds a second stream for an SSRC that has one without complaint;
            // which key then applies is libsrtp's business. Refuse instead.
            var roc: UInt32 = 0
            guard srtp_get_stream_roc(session, ssrc, &roc) != srtp_err_status_ok else {
                throw SecurityError.invalidParameter(
                    "the SRTP session already has a stream for SSRC \(ssrc); each SSRC is keyed once per session")
            }
            let status = withKey(key, in: &policy) { srtp_add_stream(session, &$0) }
            guard status == srtp_err_status_ok else {
                throw SecurityError.srtp(function: "srtp_add_stream", status: Int32(bitPattern: status.rawValue))
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// The policy of one stream, without its key.
    private static func makePolicy(
        suite: SRTPSuite, direction: SRTPSession.Direction, ssrc: SRTPSession.SSRC,
        replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) -> srtp_policy_t {
        guard (64..<0x8000).contains(replayWindowSize) else {
            throw SecurityError.invalidParameter(
                "SRTP replay window of \(replayWindowSize) packets is out of range; use 64 to 32767")
        }
        var policy = srtp_policy_t()
        setCryptoPolicies(&policy, suite: suite)
        switch ssrc {
        case .any:
            policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
            policy.ssrc.value = 0
        case .specific(let value):
            policy.ssrc.type = ssrc_specific
            policy.ssrc.value = UInt32(value)
        }
        policy.window_size = UInt(replayWindowSize)
        policy.allow_repeat_tx = allowRepeatTransmission ? 1 : 0
        policy.next = nil
        return policy
    }

    /// Runs `body` with `policy.key` pointing at `key` (already checked to be the suite's
    /// length), then clears the pointer.
    ///
    /// No copy of the key is made: libsrtp only reads it (`srtp_create`/`srtp_add_stream`
    /// copy it into a stack buffer of their own, derive the session keys and wipe that
    /// buffer) and keeps no pointer to it, so the pointer into the caller's array or
    /// `SecretBytes` (locked memory) is never written through, whatever its declared
    /// mutability.
    private static func withKey(
        _ key: UnsafeRawBufferPointer, in policy: inout srtp_policy_t,
        _ body: (inout srtp_policy_t) -> srtp_err_status_t
    ) -> srtp_err_status_t {
        guard let base = key.baseAddress else { return srtp_err_status_bad_param }
        policy.key = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        defer { policy.key = nil }
        return body(&policy)
    }
}
