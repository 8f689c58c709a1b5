import CSodium

/// The key schedule of one call (design.md, "Keys"): from fresh X25519 ephemerals and the
/// contact root secret to a call secret, SRTP keying material for each sender SSRC and
/// direction, and the short authentication string.
///
/// ```
/// shared      = X25519(our ephemeral private key, their ephemeral public key)
/// callSecret  = HKDF-SHA256(ikm: shared, salt: contact root,
///                           info: "parley call v1" || call id (16) || transcript hash (32), L = 32)
/// srtp(s, d, ssrc) = HKDF-Expand(callSecret,
///                           info: "parley srtp v1" || suite name (ASCII) || d (1) || ssrc (4, big-endian),
///                           L = s.keyingMaterialLength)       // master key || master salt
/// sas         = HKDF-Expand(callSecret, info: "parley sas v1", L = 5) → 5 words of SASWordList
/// ```
///
/// Direction bytes: caller→callee 0x01, callee→caller 0x02. The transcript hash is
/// `transcriptHash(_:)` of the offer/answer messages, in the order both sides agree on.
///
/// `wipe()` (at hangup) and deinit zero the call secret and our ephemeral private key,
/// which the schedule takes over: do not use that key after the call. Keying material
/// already handed out is the caller's to wipe (SecretBytes wipes itself on deinit).
public final class CallKeySchedule: CustomStringConvertible {
    /// Which end of the call we are.
    public enum Role: Sendable, Equatable {
        case caller
        case callee
    }

    /// Which way media flows; each direction has its own keys.
    public enum Direction: UInt8, Sendable, Equatable, CaseIterable {
        case callerToCallee = 0x01
        case calleeToCaller = 0x02
    }

    /// Bytes of a call id.
    public static let callIDLength = 16
    /// Bytes of a transcript hash (SHA-256).
    public static let transcriptHashLength = 32
    /// Bytes of the contact root secret.
    public static let rootSecretLength = 32
    /// Bytes of the call secret.
    public static let callSecretLength = 32

    static let callLabel = Array("parley call v1".utf8)
    static let srtpLabel = Array("parley srtp v1".utf8)

    /// Our role in the call.
    public let role: Role
    /// The call id (not secret).
    public let callID: [UInt8]
    /// The transcript hash bound into the call secret (not secret).
    public let transcriptHash: [UInt8]
    /// The 32-byte call secret. Zero after `wipe()`.
    public let callSecret: SecretBytes
    /// The five words both sides show; kept after `wipe()` for the call report.
    public let shortAuthenticationString: ShortAuthenticationString
    private let ephemeralPrivateKey: SecretBytes
    /// True once `wipe()` ran: no more keys come out.
    public private(set) var isWiped = false

    /// Runs the schedule.
    ///
    /// - Parameters:
    ///   - ephemeralPrivateKey: our fresh X25519 private key for this call (32 bytes);
    ///     the schedule wipes it with the rest.
    ///   - peerEphemeralPublicKey: the other side's ephemeral public key (32 bytes).
    ///   - contactRoot: the contact root secret (32 bytes).
    ///   - callID: 16 bytes.
    ///   - transcriptHash: 32 bytes, `transcriptHash(_:)` of the offer/answer.
    ///   - role: caller or callee.
    /// - Throws: `SecurityError.wrongLength` for inputs of the wrong size,
    ///   `.lowOrderPublicKey` for a degenerate peer key.
    public init(
        ephemeralPrivateKey: SecretBytes, peerEphemeralPublicKey: [UInt8], contactRoot: SecretBytes,
        callID: [UInt8], transcriptHash: [UInt8], role: Role
    ) throws(SecurityError) {
        guard contactRoot.count == Self.rootSecretLength else {
            throw SecurityError.wrongLength(what: "contact root secret", expected: Self.rootSecretLength, actual: contactRoot.count)
        }
        guard callID.count == Self.callIDLength else {
            throw SecurityError.wrongLength(what: "call id", expected: Self.callIDLength, actual: callID.count)
        }
        guard transcriptHash.count == Self.transcriptHashLength else {
            throw SecurityError.wrongLength(what: "call transcript hash", expected: Self.transcriptHashLength, actual: transcriptHash.count)
        }
        let shared = try X25519.sharedSecret(privateKey: ephemeralPrivateKey, publicKey: peerEphemeralPublicKey)
        defer { shared.wipe() }
        var ikm = shared.copyBytes()
        var salt = contactRoot.copyBytes()
        defer {
            ikm.withUnsafeMutableBytes { sodiumWipe($0) }
            salt.withUnsafeMutableBytes { sodiumWipe($0) }
        }
        var secret = try HKDF.derive(
            ikm: ikm, salt: salt, info: Self.callLabel + callID + transcriptHash, length: Self.callSecretLength)
        defer { secret.withUnsafeMutableBytes { sodiumWipe($0) } }
        let callSecret = SecretBytes(copying: secret)
        self.callSecret = callSecret
        self.shortAuthenticationString = try ShortAuthenticationString(callSecret: callSecret)
        self.ephemeralPrivateKey = ephemeralPrivateKey
        self.role = role
        self.callID = callID
        self.transcriptHash = transcriptHash
    }

    deinit { wipe() }

    /// SHA-256 of the offer/answer transcript: each message as a 4-byte big-endian length
    /// followed by its bytes, in order (`crypto_hash_sha256`).
    public static func transcriptHash(_ messages: [[UInt8]]) -> [UInt8] {
        _ = try? SecureRandom.initialize()
        var state = crypto_hash_sha256_state()
        defer { withUnsafeMutableBytes(of: &state) { sodiumWipe($0) } }
        _ = crypto_hash_sha256_init(&state)
        for message in messages {
            let n = UInt32(truncatingIfNeeded: message.count)
            let prefix: [UInt8] = [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
            prefix.withBytePointer { _ = crypto_hash_sha256_update(&state, $0, 4) }
            message.withBytePointer { _ = crypto_hash_sha256_update(&state, $0, UInt64(message.count)) }
        }
        var digest = [UInt8](repeating: 0, count: transcriptHashLength)
        digest.withMutableBytePointer { _ = crypto_hash_sha256_final(&state, $0) }
        return digest
    }

    /// The HKDF info for one SRTP key: label, suite name, direction byte, SSRC big-endian.
    public static func srtpInfo(suite: SRTPSuite, senderSSRC: UInt32, direction: Direction) -> [UInt8] {
        srtpLabel + Array(suite.rawValue.utf8) + [direction.rawValue]
            + [UInt8(senderSSRC >> 24), UInt8(truncatingIfNeeded: senderSSRC >> 16),
               UInt8(truncatingIfNeeded: senderSSRC >> 8), UInt8(truncatingIfNeeded: senderSSRC)]
    }

    /// SRTP master key followed by master salt (`suite.keyingMaterialLength` bytes) for the
    /// stream sent by `senderSSRC` in `direction`. Both sides get the same bytes.
    ///
    /// - Throws: `SecurityError.invalidParameter` after `wipe()`.
    public func srtpKeyingMaterial(suite: SRTPSuite, senderSSRC: UInt32, direction: Direction) throws(SecurityError) -> SecretBytes {
        guard !isWiped else {
            throw SecurityError.invalidParameter("the call keys were wiped at hangup; start a new call for new keys")
        }
        var prk = callSecret.copyBytes()
        defer { prk.withUnsafeMutableBytes { sodiumWipe($0) } }
        var okm = try HKDF.expand(
            prk: prk, info: Self.srtpInfo(suite: suite, senderSSRC: senderSSRC, direction: direction),
            length: suite.keyingMaterialLength)
        defer { okm.withUnsafeMutableBytes { sodiumWipe($0) } }
        return SecretBytes(copying: okm)
    }

    /// The direction our own streams flow in.
    public var sendingDirection: Direction { role == .caller ? .callerToCallee : .calleeToCaller }
    /// The direction the peer's streams flow in.
    public var receivingDirection: Direction { role == .caller ? .calleeToCaller : .callerToCallee }

    /// Keying material for a stream we send from `ssrc`.
    public func outboundKeyingMaterial(suite: SRTPSuite, ssrc: UInt32) throws(SecurityError) -> SecretBytes {
        try srtpKeyingMaterial(suite: suite, senderSSRC: ssrc, direction: sendingDirection)
    }

    /// Keying material for a stream the peer sends from `ssrc`.
    public func inboundKeyingMaterial(suite: SRTPSuite, ssrc: UInt32) throws(SecurityError) -> SecretBytes {
        try srtpKeyingMaterial(suite: suite, senderSSRC: ssrc, direction: receivingDirection)
    }

    /// Zeroes the call secret and our ephemeral private key (`sodium_memzero`). Idempotent.
    public func wipe() {
        callSecret.wipe()
        ephemeralPrivateKey.wipe()
        isWiped = true
    }

    public var description: String {
        "CallKeySchedule(\(role), \(isWiped ? "wiped" : "live"))"
    }
}
