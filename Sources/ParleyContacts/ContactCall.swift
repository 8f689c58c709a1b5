import Foundation
import ParleySecurity

extension ContactBook.Contact {
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
    ///
    /// - Parameters:
    ///   - sessionID: 16 bytes both sides use.
    ///   - sequences: the persisted send sequence of our direction for this contact.
    ///   - algorithm: the AEAD both sides use.
    public func signalingChannel(
        sessionID: [UInt8], sequences: SignalingSequenceStore, algorithm: AEAD.Algorithm = .preferred
    ) throws(ContactsError) -> SignalingChannel {
        let root = try rootSecret()
        defer { root.wipe() }
        let signing = try signingKeyPair(signingSecretKey)
        return try SignalingChannel(
            root: root, role: signalingRole, signingKey: signing.secretKey, peerSigningKey: try peerSigningPublicKey(),
            sessionID: sessionID, algorithm: algorithm, sequences: sequences)
    }
}

/// The contact exchange with both sides in one process: what `parley invite`,
/// `parley accept` and two `parley contacts sync` do through a relay, without the relay.
/// `parley loopback` uses it so its simulated participants are contacts of each other
/// and the call's keys come from a real contact session.
public enum LocalContactExchange {
    /// Makes an invitation in `inviter`, accepts it in `acceptor`, answers the acceptance
    /// and completes the contact on both sides.
    ///
    /// - Returns: the new contact's index in each book's `contacts`.
    public static func establish(
        inviter: inout ContactBook, acceptor: inout ContactBook, relayHint: String = "127.0.0.1:7400",
        now: Date = Date()
    ) throws(ContactsError) -> (inviter: Int, acceptor: Int) {
        let (invitation, secrets) = try Invitation.create(relayHint: relayHint, expiresIn: .seconds(3600), now: now)
        inviter.add(invitation, secrets: secrets)
        secrets.wipe()
        let acceptance = try acceptor.accept(uri: invitation.uri, now: now)
        let confirmation = try inviter.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, now: now)
        try acceptor.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox, now: now)
        guard let a = inviter.contacts.lastIndex(where: { $0.id == b64(invitation.invitationID) }),
              let b = acceptor.contacts.lastIndex(where: { $0.id == b64(invitation.invitationID) })
        else { throw ContactsError.other("the local contact exchange did not establish a contact") }
        return (a, b)
    }
}
