import ParleySecurity

/// Which side of the contact relation we are; the two directions get different keys.
public enum SignalingRole: Sendable, Equatable {
    case inviter
    case acceptor

    /// Direction byte of what this role sends: 1 inviter → acceptor, 2 acceptor → inviter.
    var sendDirection: UInt8 { self == .inviter ? 1 : 2 }
    var receiveDirection: UInt8 { self == .inviter ? 2 : 1 }
}

/// The fixed header of a sealed signaling envelope (also its AEAD additional data):
///
///     version (u8 = 1) || algorithm id (u8: 1 AES-256-GCM, 2 XChaCha20-Poly1305)
///     || session id (16 bytes) || sequence (u64 big-endian)          = 26 bytes
public struct SignalingEnvelopeHeader: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let length = 26
    public static let sessionIDLength = 16

    public var version: UInt8
    public var algorithm: AEAD.Algorithm
    public var sessionID: [UInt8]
    public var sequence: UInt64

    public init(algorithm: AEAD.Algorithm, sessionID: [UInt8], sequence: UInt64) {
        self.version = Self.version
        self.algorithm = algorithm
        self.sessionID = sessionID
        self.sequence = sequence
    }

    /// Reads the header at the start of `envelope` (nothing is verified: a relay or a
    /// test may look, but only `SignalingChannel.open` authenticates).
    ///
    /// - Throws: `ContactsError.invalidSignalingMessage` if too short, of another version
    ///   or with an unknown algorithm.
    public init(parsing envelope: [UInt8]) throws(ContactsError) {
        guard envelope.count >= Self.length else {
            throw ContactsError.invalidSignalingMessage("the envelope is too short (\(envelope.count) bytes)")
        }
        guard envelope[0] == Self.version else {
            throw ContactsError.invalidSignalingMessage("unknown envelope version \(envelope[0]) (a newer Parley?)")
        }
        guard let algorithm = Self.algorithm(id: envelope[1]) else {
            throw ContactsError.invalidSignalingMessage("unknown encryption algorithm \(envelope[1])")
        }
        var sequence: UInt64 = 0
        for byte in envelope[18..<26] { sequence = sequence << 8 | UInt64(byte) }
        self.version = envelope[0]
        self.algorithm = algorithm
        self.sessionID = Array(envelope[2..<18])
        self.sequence = sequence
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [version, Self.id(of: algorithm)]
        bytes += sessionID
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: sequence >> UInt64(shift))) }
        return bytes
    }

    static func id(of algorithm: AEAD.Algorithm) -> UInt8 {
        switch algorithm {
        case .aes256GCM: return 1
        case .xChaCha20Poly1305: return 2
        }
    }

    static func algorithm(id: UInt8) -> AEAD.Algorithm? {
        switch id {
        case 1: return .aes256GCM
        case 2: return .xChaCha20Poly1305
        default: return nil
        }
    }
}

/// Sliding replay window over 64 sequence numbers (as in RFC 4303 §3.4.3): the highest
/// number seen and a bitmap of which of the 64 numbers up to it were seen. Duplicates and
/// numbers 64 or more below the highest are refused; reordering inside the window is fine.
struct SignalingReplayWindow {
    static let size: UInt64 = 64
    private(set) var highest: UInt64 = 0
    private var seen: UInt64 = 0  // bit i: highest - i was received

    /// True if `sequence` would be accepted now (nothing changes).
    func allows(_ sequence: UInt64) -> Bool {
        guard sequence != 0 else { return false }
        if sequence > highest { return true }
        let age = highest - sequence
        guard age < Self.size else { return false }
        return seen & (1 << age) == 0
    }

    /// Records `sequence` (call only after `allows` and after authentication).
    mutating func record(_ sequence: UInt64) {
        if sequence > highest {
            let shift = sequence - highest
            seen = shift >= Self.size ? 0 : seen << shift
            seen |= 1
            highest = sequence
        } else {
            seen |= 1 << (highest - sequence)
        }
    }
}

/// Seals and opens the signaling messages of one session with one contact (design.md,
/// "Keys"; call offers/answers, candidates, rosters, hangups, acks).
///
/// Keys: `HKDF-Expand(prk: contact root, info: "parley signaling v1" || direction, 32)`,
/// direction 1 for inviter → acceptor and 2 for acceptor → inviter, so each side sends
/// under one key and receives under the other.
///
/// Envelope: `header || AEAD(message.encoded(), AD: header) || Ed25519 signature` where
/// the header is `SignalingEnvelopeHeader` (26 bytes), the AEAD nonce is the sequence
/// number big-endian, left-padded with zeros to 12 (AES-256-GCM) or 24
/// (XChaCha20-Poly1305) bytes, and the signature (our per-contact key) covers everything
/// before it. Nonces never repeat under a key because sequence numbers come from a
/// `SignalingSequenceStore`, which never hands out a number twice, even across restarts.
///
/// `open` checks, in order: signature (peer's per-contact key), version, algorithm (it
/// must be this channel's: both sides agree on it; the header names it so a mismatch is
/// reported clearly), session id, decryption, then the replay window (64 messages:
/// duplicates and older messages refused, reordering inside the window accepted). The
/// window lives in memory, per session; messages of another session are refused by their
/// session id.
///
/// Not thread-safe; use from one task.
public final class SignalingChannel {
    static let keyInfo = Array("parley signaling v1".utf8)
    /// The largest envelope `open` considers (signaling messages are small).
    public static let maximumEnvelopeLength = 256 * 1024

    public let role: SignalingRole
    public let sessionID: [UInt8]
    public let algorithm: AEAD.Algorithm
    public let peerSigningKey: [UInt8]
    let sendKey: SecretBytes
    let receiveKey: SecretBytes
    private let signingKey: SecretBytes
    private let sequences: SignalingSequenceStore
    private var window = SignalingReplayWindow()

    /// - Parameters:
    ///   - root: the 32-byte contact root (`ContactRoot`).
    ///   - role: our side of the contact relation.
    ///   - signingKey: our per-contact Ed25519 secret key (64 bytes, seed + public key).
    ///   - peerSigningKey: the contact's per-contact Ed25519 public key (32 bytes).
    ///   - sessionID: 16 bytes naming this session; both sides use the same.
    ///   - algorithm: the AEAD both sides use; it must be available on this CPU.
    ///   - sequences: the persisted send sequence of our direction for this contact.
    /// - Throws: `ContactsError.other` for inputs of the wrong length or an unavailable
    ///   algorithm.
    public init(
        root: SecretBytes, role: SignalingRole, signingKey: SecretBytes, peerSigningKey: [UInt8],
        sessionID: [UInt8], algorithm: AEAD.Algorithm, sequences: SignalingSequenceStore
    ) throws(ContactsError) {
        guard root.count == ContactRoot.length else {
            throw ContactsError.other("a contact root must be \(ContactRoot.length) bytes")
        }
        guard signingKey.count == Ed25519.secretKeyLength, peerSigningKey.count == Ed25519.publicKeyLength else {
            throw ContactsError.other("a signaling signing key has the wrong length")
        }
        guard sessionID.count == SignalingEnvelopeHeader.sessionIDLength else {
            throw ContactsError.other("a signaling session id must be \(SignalingEnvelopeHeader.sessionIDLength) bytes")
        }
        guard algorithm.isAvailable else {
            throw ContactsError.other("\(algorithm.rawValue) is not available on this CPU; use XChaCha20-Poly1305")
        }
        self.role = role
        self.signingKey = signingKey
        self.peerSigningKey = peerSigningKey
        self.sessionID = sessionID
        self.algorithm = algorithm
        self.sequences = sequences
        self.sendKey = try Self.deriveKey(root: root, direction: role.sendDirection)
        self.receiveKey = try Self.deriveKey(root: root, direction: role.receiveDirection)
    }

    /// The AEAD key of one direction (1: inviter → acceptor, 2: acceptor → inviter).
    static func deriveKey(root: SecretBytes, direction: UInt8) throws(ContactsError) -> SecretBytes {
        var prk = root.copyBytes()
        defer { wipeBytes(&prk) }
        var key = try contactsSecurity("deriving a signaling key") { () throws(SecurityError) in
            try HKDF.expand(prk: prk, info: keyInfo + [direction], length: 32)
        }
        defer { wipeBytes(&key) }
        return SecretBytes(copying: key)
    }

    /// The nonce of `sequence`: big-endian, left-padded with zeros to the algorithm's length.
    static func nonce(sequence: UInt64, algorithm: AEAD.Algorithm) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: algorithm.nonceLength - 8)
        for shift in stride(from: 56, through: 0, by: -8) { nonce.append(UInt8(truncatingIfNeeded: sequence >> UInt64(shift))) }
        return nonce
    }

    /// Encrypts, authenticates and signs `message` under the next sequence number.
    ///
    /// - Throws: `ContactsError.storage` if the sequence cannot be reserved on disk (nothing
    ///   is sealed), `.other` if encryption or signing fails.
    public func seal(_ message: SignalingMessage) throws(ContactsError) -> [UInt8] {
        let sequence = try sequences.next()
        let header = SignalingEnvelopeHeader(algorithm: algorithm, sessionID: sessionID, sequence: sequence).encoded()
        let nonce = Self.nonce(sequence: sequence, algorithm: algorithm)
        var plaintext = message.encoded()
        defer { wipeBytes(&plaintext) }
        let ciphertext = try contactsSecurity("encrypting a signaling message") { () throws(SecurityError) in
            try AEAD.seal(plaintext: plaintext, additionalData: header, nonce: nonce, key: sendKey, algorithm: algorithm)
        }
        let signed = header + ciphertext
        let signature = try contactsSecurity("signing a signaling message") { () throws(SecurityError) in
            try Ed25519.sign(message: signed, secretKey: signingKey)
        }
        return signed + signature
    }

    /// Verifies, decrypts and checks for replay an envelope sealed by the peer's channel.
    ///
    /// - Throws: `ContactsError.invalidSignalingMessage` if it is damaged, forged, of
    ///   another session or algorithm; `.signalingReplayed` if its sequence number was
    ///   already received or is older than the window.
    public func open(_ envelope: [UInt8]) throws(ContactsError) -> SignalingMessage {
        guard envelope.count <= Self.maximumEnvelopeLength else {
            throw ContactsError.invalidSignalingMessage("the envelope is too large (\(envelope.count) bytes)")
        }
        let minimum = SignalingEnvelopeHeader.length + algorithm.tagLength + Ed25519.signatureLength
        guard envelope.count >= minimum else {
            throw ContactsError.invalidSignalingMessage("the envelope is too short (\(envelope.count) bytes)")
        }
        let signedLength = envelope.count - Ed25519.signatureLength
        let signed = Array(envelope[..<signedLength])
        let signature = Array(envelope[signedLength...])
        guard Ed25519.verify(signature: signature, message: signed, publicKey: peerSigningKey) else {
            throw ContactsError.invalidSignalingMessage("its signature is not the contact's (altered or forged)")
        }
        let header = try SignalingEnvelopeHeader(parsing: signed)
        guard header.algorithm == algorithm else {
            throw ContactsError.invalidSignalingMessage(
                "it was encrypted with \(header.algorithm.rawValue) but this session uses \(algorithm.rawValue)")
        }
        guard bytesEqual(header.sessionID, sessionID) else {
            throw ContactsError.invalidSignalingMessage("it belongs to another session")
        }
        guard window.allows(header.sequence) else {
            throw ContactsError.signalingReplayed(sequence: header.sequence)
        }
        let headerBytes = Array(signed[..<SignalingEnvelopeHeader.length])
        let nonce = Self.nonce(sequence: header.sequence, algorithm: algorithm)
        var plaintext: [UInt8]
        do {
            plaintext = try AEAD.open(
                ciphertext: Array(signed[SignalingEnvelopeHeader.length...]), additionalData: headerBytes,
                nonce: nonce, key: receiveKey, algorithm: algorithm)
        } catch {
            throw ContactsError.invalidSignalingMessage("it does not decrypt (altered, or not for this contact)")
        }
        defer { wipeBytes(&plaintext) }
        let message = try SignalingMessage(decoding: plaintext)
        window.record(header.sequence)
        return message
    }
}
