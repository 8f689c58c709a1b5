import Foundation
import ParleySecurity

extension ContactBook.Contact {
    /// The AEAD to seal signaling messages to this contact with: AES-256-GCM when both
    /// devices can run it (ours, and theirs as told in the sealed exchange), else
    /// XChaCha20-Poly1305, which every device runs.
    public var signalingAlgorithm: AEAD.Algorithm {
        SignalingCapabilities.algorithm(peer: peerCapabilities)
    }

    /// Our side of the relation, as the signaling channel names it.
    public var signalingRole: SignalingRole { role == .inviter ? .inviter : .acceptor }

    /// The contact root secret (32 bytes), out of the store's base64.
    public func rootSecret() throws(ContactsError) -> SecretBytes {
        var bytes = try unb64(root)
        defer { wipeBytes(&bytes) }
        guard bytes.count == ContactRoot.length else {
            throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a contact root has the wrong length")
        }
        return SecretBytes(copying: bytes)
    }

    /// The contact's per-contact Ed25519 public key.
    public func peerSigningPublicKey() throws(ContactsError) -> [UInt8] {
        let bytes = try unb64(peerSigningKey)
        guard bytes.count == Ed25519.publicKeyLength else {
            throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a contact's signing key has the wrong length")
        }
        return bytes
    }

    /// A signaling channel with this contact for one session (for a call: the call id).
    /// It seals under the current root (key index `currentKeyIndex`) and, during a key
    /// rotation (`ContactRotation`), also opens under the second slot's root.
    ///
    /// - Parameters:
    ///   - sessionID: 16 bytes both sides use.
    ///   - sequences: the persisted send sequence of our direction for this contact and
    ///     its current key index (`ContactBook.sequencePath`, or use
    ///     `ContactBook.signalingChannel(for:sessionID:directory:algorithm:)`, which opens
    ///     and locks it).
    ///   - algorithm: the AEAD to seal with; by default `signalingAlgorithm`, one both
    ///     sides can run (the channel opens whatever the header names, if it can).
    public func signalingChannel(
        sessionID: [UInt8], sequences: SignalingSequenceStore, algorithm: AEAD.Algorithm? = nil
    ) throws(ContactsError) -> SignalingChannel {
        let root = try rootSecret()
        defer { root.wipe() }
        let signing = try signingKeyPair(signingSecretKey)
        let second = try secondKey.map { (slot) throws(ContactsError) in
            SignalingKeySlot(root: SecretBytes(copying: try unb64(slot.root)), keyIndex: slot.keyIndex)
        }
        return try SignalingChannel(
            root: root, role: signalingRole, signingKey: signing.secretKey, peerSigningKey: try peerSigningPublicKey(),
            sessionID: sessionID, algorithm: algorithm ?? signalingAlgorithm, sequences: sequences,
            keyIndex: currentKeyIndex, second: second)
    }
}
