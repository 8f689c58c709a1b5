import CSRTP

/// libsrtp2's one-time initialization and the policy setup shared by `SRTPSession` and
/// `SRTPBareCalls`.
enum SRTPLibrary {
    /// `srtp_init()`'s status, computed once by the first caller (Swift global `let`s are
    /// initialized lazily and thread-safely).
    private static let initStatus: Int32 = Int32(bitPattern: srtp_init().rawValue)

    /// Calls `srtp_init()` the first time only.
    static func initialize() throws(SecurityError) {
        let status = initStatus
        guard status == 0 else { throw SecurityError.srtp(function: "srtp_init", status: status) }
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
        try initialize()
        var session: srtp_t? = nil
        let status = try withPolicy(
            suite: suite, masterKey: masterKey, direction: direction, ssrc: ssrc,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission
        ) { policy in srtp_create(&session, &policy) }
        guard status == srtp_err_status_ok, let session else {
            throw SecurityError.srtp(function: "srtp_create", status: Int32(bitPattern: status.rawValue))
        }
        return session
    }

    /// Adds one more stream policy (one SSRC, its own key) to an existing session.
    static func addStream(
        to session: OpaquePointer, suite: SRTPSuite, masterKey: [UInt8], direction: SRTPSession.Direction,
        ssrc: UInt32, replayWindowSize: Int, allowRepeatTransmission: Bool
    ) throws(SecurityError) {
        let status = try withPolicy(
            suite: suite, masterKey: masterKey, direction: direction, ssrc: .specific(ssrc),
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission
        ) { policy in srtp_add_stream(session, &policy) }
        guard status == srtp_err_status_ok else {
            throw SecurityError.srtp(function: "srtp_add_stream", status: Int32(bitPattern: status.rawValue))
        }
    }

    /// Builds the policy for one stream and runs `body` with it; the key copy the policy
    /// points to is wiped afterwards (libsrtp derives its session keys inside
    /// `srtp_create`/`srtp_add_stream` and keeps no pointer to the master key).
    private static func withPolicy(
        suite: SRTPSuite, masterKey: [UInt8], direction: SRTPSession.Direction, ssrc: SRTPSession.SSRC,
        replayWindowSize: Int, allowRepeatTransmission: Bool,
        _ body: (inout srtp_policy_t) -> srtp_err_status_t
    ) throws(SecurityError) -> srtp_err_status_t {
        guard masterKey.count == suite.keyingMaterialLength else {
            throw SecurityError.invalidKeyLength(
                suite: suite, expected: suite.keyingMaterialLength, actual: masterKey.count)
        }
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
        var key = masterKey
        defer { key.withUnsafeMutableBytes { sodiumWipe($0) } }
        return key.withUnsafeMutableBufferPointer { keyBytes -> srtp_err_status_t in
            policy.key = keyBytes.baseAddress
            defer { policy.key = nil }
            return body(&policy)
        }
    }
}
