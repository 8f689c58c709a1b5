import ParleySecurity

/// Which side of the contact relation we are; the two directions get different keys.
public enum SignalingRole: Sendable, Equatable {
    case inviter
    case acceptor

    /// Direction byte of what this role sends: 1 inviter → acceptor, 2 acceptor → inviter.
    var sendDirection: UInt8 { self == .inviter ? 1 : 2 }
    var receiveDirection: UInt8 { self == .inviter ? 2 : 1 }
}

/// The fixed header of a sealed signaling envelope (also its AEAD additional data).
/// Version 2 (written since key rotation) names the contact key the envelope is sealed
/// under:
///
///     version (u8 = 2) || algorithm id (u8: 1 AES-256-GCM, 2 XChaCha20-Poly1305)
///     || key index (u32 big-endian) || session id (16 bytes) || sequence (u64 big-endian)
///                                                                    = 30 bytes
///
/// Version 1 (26 bytes, no key index) is still read, as key index 0:
///
///     version (u8 = 1) || algorithm id (u8) || session id (16) || sequence (u64 BE)
public struct SignalingEnvelopeHeader: Equatable, Sendable {
    /// The version written.
    public static let version: UInt8 = 2
    /// Bytes of a version-2 header (the one written).
    public static let length = 30
    /// Bytes of a version-1 header (read only).
    public static let version1Length = 26
    public static let sessionIDLength = 16

    public var version: UInt8
    public var algorithm: AEAD.Algorithm
    /// Which contact root (`ContactBook.Contact.keyIndex`) sealed it; 0 for version 1.
    public var keyIndex: UInt32
    public var sessionID: [UInt8]
    public var sequence: UInt64

    public init(algorithm: AEAD.Algorithm, sessionID: [UInt8], sequence: UInt64, keyIndex: UInt32 = 0) {
        self.version = Self.version
        self.algorithm = algorithm
        self.keyIndex = keyIndex
        self.sessionID = sessionID
        self.sequence = sequence
    }

    /// Bytes of this header when encoded (26 for version 1, 30 for version 2).
    public var encodedLength: Int { version == 1 ? Self.version1Length : Self.length }

    /// Reads the header at the start of `envelope` (nothing is verified: a relay or a
    /// test may look, but only `SignalingChannel.open` authenticates).
    ///
    /// - Throws: `ContactsError.invalidSignalingMessage` if too short, of another version
    ///   or with an unknown algorithm.
    public init(parsing envelope: [UInt8]) throws(ContactsError) {
        guard let version = envelope.first else {
            throw ContactsError.invalidSignalingMessage("the envelope is empty")
        }
        guard version == 1 || version == 2 else {
            throw ContactsError.invalidSignalingMessage("unknown envelope version \(version) (a newer Parley?)")
        }
        let length = version == 1 ? Self.version1Length : Self.length
        guard envelope.count >= length else {
            throw ContactsError.invalidSignalingMessage("the envelope is too short (\(envelope.count) bytes)")
        }
        guard let algorithm = Self.algorithm(id: envelope[1]) else {
            throw ContactsError.invalidSignalingMessage("unknown encryption algorithm \(envelope[1])")
        }
        var keyIndex: UInt32 = 0
        var offset = 2
        if version == 2 {
            for byte in envelope[2..<6] { keyIndex = keyIndex << 8 | UInt32(byte) }
            offset = 6
        }
        var sequence: UInt64 = 0
        for byte in envelope[(offset + 16)..<(offset + 24)] { sequence = sequence << 8 | UInt64(byte) }
        self.version = version
        self.algorithm = algorithm
        self.keyIndex = keyIndex
        self.sessionID = Array(envelope[offset..<(offset + 16)])
        self.sequence = sequence
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [version, Self.id(of: algorithm)]
        if version != 1 {
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: keyIndex >> UInt32(shift))) }
        }
        bytes += sessionID
        bytes.appendBigEndian(sequence)
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

    init() {}

    /// A window that refuses every number up to `receivedThrough` (a persisted floor:
    /// everything up to it was received before).
    init(receivedThrough: UInt64) {
        highest = receivedThrough
        seen = receivedThrough == 0 ? 0 : UInt64.max
    }

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

/// A second contact root a channel can open (never seal) with, during a key rotation
/// (`ContactRotation`): the next root (index + 1) on the side that answered a rotation,
/// or the previous one (index − 1) on the side that started it.
public struct SignalingKeySlot {
    public var root: SecretBytes
    public var keyIndex: UInt32
    /// Sequence numbers up to this one were already received under this key and are refused.
    public var receivedThrough: UInt64

    public init(root: SecretBytes, keyIndex: UInt32, receivedThrough: UInt64 = 0) {
        self.root = root
        self.keyIndex = keyIndex
        self.receivedThrough = receivedThrough
    }
}

/// Seals and opens the signaling messages of one session with one contact (design.md,
/// "Keys"; call offers/answers, candidates, rosters, hangups, acks, key rotations).
///
/// Keys: `HKDF-Expand(prk: contact root, info: "parley signaling v1" || direction, 32)`,
/// direction 1 for inviter → acceptor and 2 for acceptor → inviter, so each side sends
/// under one key and receives under the other. The root is the contact's current one,
/// named by its key index (0 at first, +1 per rotation, see `ContactRotation`); during a
/// rotation a channel may also open, never seal, with a second root (`SignalingKeySlot`).
///
/// Envelope: `header || AEAD(message.encoded(), AD: header) || Ed25519 signature` where
/// the header is `SignalingEnvelopeHeader` (version 2, 30 bytes, with the key index), the
/// AEAD nonce is the sequence number big-endian, left-padded with zeros to 12
/// (AES-256-GCM) or 24 (XChaCha20-Poly1305) bytes, and the signature (our per-contact
/// key) covers everything before it. Nonces never repeat under a key because sequence
/// numbers come from a `SignalingSequenceStore` (one file per contact, key index and
/// direction), which never hands out a number twice, even across restarts.
///
/// Sessions: a call uses its own random 16-byte session id (chosen by the caller and
/// carried in the offer). Messages between two contacts outside a call (key rotation, and
/// anything else sent through the relay mailboxes) use the contact's fixed *control
/// session*, `ContactBook.controlSessionID(contactID:)` = HKDF-SHA256(ikm: invitation id,
/// info: "parley control session v1")[0..<16]; it stays the same across rotations (the
/// key index tells the roots apart), and its replay state survives restarts because the
/// contact store keeps the highest sequence received per key (`receivedThrough`), which
/// works because one relay mailbox delivers in order.
///
/// Keys: `HKDF-Expand(prk: contact root, info: "parley signaling v1" || direction ||
/// algorithm id, 32)` — one key per direction and per AEAD, so a key never serves two
/// algorithms. A channel seals with its `algorithm` (`Contact.signalingAlgorithm`:
/// AES-256-GCM only if both devices run it) and opens whichever algorithm the header names,
/// if this device runs it.
///
/// `open` checks, in order: signature (peer's per-contact key), version, algorithm (one
/// this device runs; the header names it), session id, key index (the current one or the second slot's),
/// decryption, then the replay window of that key (64 messages: duplicates and older
/// messages refused, reordering inside the window accepted). The windows live in memory,
/// per channel, starting at `receivedThrough`; messages of another session are refused by
/// their session id.
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
    /// The index of the root this channel seals under (and opens).
    public let keyIndex: UInt32
    /// The index of the second root it also opens, if any.
    public let secondKeyIndex: UInt32?
    /// The key index of the last envelope `open` accepted.
    public private(set) var lastOpenedKeyIndex: UInt32?
    let sendKey: SecretBytes
    /// Receive keys by algorithm id, of the current root and of the second slot's.
    let receiveKeys: [UInt8: SecretBytes]
    let secondReceiveKeys: [UInt8: SecretBytes]?
    private let signingKey: SecretBytes
    private let sequences: SignalingSequenceStore
    private var window: SignalingReplayWindow
    private var secondWindow: SignalingReplayWindow

    /// - Parameters:
    ///   - root: the 32-byte contact root (`ContactRoot`), the current one.
    ///   - role: our side of the contact relation.
    ///   - signingKey: our per-contact Ed25519 secret key (64 bytes, seed + public key).
    ///   - peerSigningKey: the contact's per-contact Ed25519 public key (32 bytes).
    ///   - sessionID: 16 bytes naming this session; both sides use the same.
    ///   - algorithm: the AEAD both sides use; it must be available on this CPU.
    ///   - sequences: the persisted send sequence of our direction for this contact and
    ///     key index.
    ///   - keyIndex: the index of `root` (0 until the contact's keys rotate).
    ///   - receivedThrough: sequence numbers up to this one under `root` are refused
    ///     (already received: a persisted replay floor; 0 for none).
    ///   - second: another root to open with during a rotation (never sealed with).
    /// - Throws: `ContactsError.other` for inputs of the wrong length or an unavailable
    ///   algorithm.
    public init(
        root: SecretBytes, role: SignalingRole, signingKey: SecretBytes, peerSigningKey: [UInt8],
        sessionID: [UInt8], algorithm: AEAD.Algorithm, sequences: SignalingSequenceStore,
        keyIndex: UInt32 = 0, receivedThrough: UInt64 = 0, second: SignalingKeySlot? = nil
    ) throws(ContactsError) {
        guard root.count == ContactRoot.length, second.map({ $0.root.count == ContactRoot.length }) ?? true else {
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
        guard second?.keyIndex != keyIndex else {
            throw ContactsError.other("the second signaling key must have another key index than the current one")
        }
        self.role = role
        self.signingKey = signingKey
        self.peerSigningKey = peerSigningKey
        self.sessionID = sessionID
        self.algorithm = algorithm
        self.sequences = sequences
        self.keyIndex = keyIndex
        self.window = SignalingReplayWindow(receivedThrough: receivedThrough)
        self.sendKey = try Self.deriveKey(root: root, direction: role.sendDirection, algorithm: algorithm)
        self.receiveKeys = try Self.receiveKeys(root: root, direction: role.receiveDirection)
        if let second {
            self.secondKeyIndex = second.keyIndex
            self.secondReceiveKeys = try Self.receiveKeys(root: second.root, direction: role.receiveDirection)
            self.secondWindow = SignalingReplayWindow(receivedThrough: second.receivedThrough)
        } else {
            self.secondKeyIndex = nil
            self.secondReceiveKeys = nil
            self.secondWindow = SignalingReplayWindow()
        }
    }

    /// The receive keys of every algorithm this device runs.
    static func receiveKeys(root: SecretBytes, direction: UInt8) throws(ContactsError) -> [UInt8: SecretBytes] {
        var keys: [UInt8: SecretBytes] = [:]
        for algorithm in AEAD.Algorithm.allCases where algorithm.isAvailable {
            keys[SignalingEnvelopeHeader.id(of: algorithm)] = try deriveKey(root: root, direction: direction, algorithm: algorithm)
        }
        return keys
    }

    /// The highest sequence number opened under `keyIndex` (to persist as a replay
    /// floor), or nil if that key is not this channel's.
    public func highestReceived(keyIndex index: UInt32) -> UInt64? {
        if index == keyIndex { return window.highest }
        if index == secondKeyIndex { return secondWindow.highest }
        return nil
    }

    /// The AEAD key of one direction (1: inviter → acceptor, 2: acceptor → inviter) and
    /// algorithm.
    static func deriveKey(root: SecretBytes, direction: UInt8, algorithm: AEAD.Algorithm) throws(ContactsError) -> SecretBytes {
        var prk = root.copyBytes()
        defer { wipeBytes(&prk) }
        let info = keyInfo + [direction, SignalingEnvelopeHeader.id(of: algorithm)]
        var key = try contactsSecurity("deriving a signaling key") { () throws(SecurityError) in
            try HKDF.expand(prk: prk, info: info, length: 32)
        }
        defer { wipeBytes(&key) }
        return SecretBytes(copying: key)
    }

    /// The nonce of `sequence`: big-endian, left-padded with zeros to the algorithm's length.
    static func nonce(sequence: UInt64, algorithm: AEAD.Algorithm) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: algorithm.nonceLength - 8)
        nonce.appendBigEndian(sequence)
        return nonce
    }

    /// Encrypts, authenticates and signs `message` under the next sequence number of the
    /// current key.
    ///
    /// - Throws: `ContactsError.storage` if the sequence cannot be reserved on disk (nothing
    ///   is sealed), `.other` if encryption or signing fails.
    public func seal(_ message: SignalingMessage) throws(ContactsError) -> [UInt8] {
        let sequence = try sequences.next()
        let header = SignalingEnvelopeHeader(
            algorithm: algorithm, sessionID: sessionID, sequence: sequence, keyIndex: keyIndex).encoded()
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

    /// Verifies, decrypts and checks for replay an envelope sealed by the peer's channel,
    /// under the current key or the second slot's.
    ///
    /// - Throws: `ContactsError.invalidSignalingMessage` if it is damaged, forged, of
    ///   another session, algorithm or key index; `.signalingReplayed` if its sequence
    ///   number was already received or is older than the window.
    public func open(_ envelope: [UInt8]) throws(ContactsError) -> SignalingMessage {
        guard envelope.count <= Self.maximumEnvelopeLength else {
            throw ContactsError.invalidSignalingMessage("the envelope is too large (\(envelope.count) bytes)")
        }
        let minimum = SignalingEnvelopeHeader.version1Length + 16 + Ed25519.signatureLength
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
        let headerLength = header.encodedLength
        guard signed.count >= headerLength + header.algorithm.tagLength else {
            throw ContactsError.invalidSignalingMessage("the envelope is too short (\(envelope.count) bytes)")
        }
        let algorithmID = SignalingEnvelopeHeader.id(of: header.algorithm)
        guard header.algorithm.isAvailable, receiveKeys[algorithmID] != nil else {
            throw ContactsError.invalidSignalingMessage(
                "it was encrypted with \(header.algorithm.rawValue), which this device cannot run; the contact's Parley should use XChaCha20-Poly1305")
        }
        guard bytesEqual(header.sessionID, sessionID) else {
            throw ContactsError.invalidSignalingMessage("it belongs to another session")
        }
        let second: Bool
        if header.keyIndex == keyIndex {
            second = false
        } else if let secondKeyIndex, secondReceiveKeys != nil, header.keyIndex == secondKeyIndex {
            second = true
        } else {
            let known = secondKeyIndex.map { "key \(keyIndex) or \($0)" } ?? "key \(keyIndex)"
            throw ContactsError.invalidSignalingMessage(
                "it is sealed under contact key \(header.keyIndex) but this contact uses \(known) (the keys rotated; "
                    + "run `parley contacts sync` on both sides)")
        }
        guard second ? secondWindow.allows(header.sequence) : window.allows(header.sequence) else {
            throw ContactsError.signalingReplayed(sequence: header.sequence)
        }
        let headerBytes = Array(signed[..<headerLength])
        let nonce = Self.nonce(sequence: header.sequence, algorithm: header.algorithm)
        guard let key = second ? secondReceiveKeys?[algorithmID] : receiveKeys[algorithmID] else {
            throw ContactsError.invalidSignalingMessage("no key for \(header.algorithm.rawValue)")
        }
        var plaintext: [UInt8]
        do {
            plaintext = try AEAD.open(
                ciphertext: Array(signed[headerLength...]), additionalData: headerBytes,
                nonce: nonce, key: key, algorithm: header.algorithm)
        } catch {
            throw ContactsError.invalidSignalingMessage("it does not decrypt (altered, or not for this contact)")
        }
        defer { wipeBytes(&plaintext) }
        let message = try SignalingMessage(decoding: plaintext)
        if second { secondWindow.record(header.sequence) } else { window.record(header.sequence) }
        lastOpenedKeyIndex = header.keyIndex
        return message
    }
}
