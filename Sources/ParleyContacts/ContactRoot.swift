import ParleySecurity

/// The root secret of a contact session (design.md, "Keys"):
///
///     HKDF-SHA256(ikm:  X25519(own per-contact private, peer per-contact public)
///                       || inviter contribution || acceptor contribution,
///                 salt: invitation id,
///                 info: "parley contact v1" || inviter Ed25519 pk || inviter X25519 pk
///                       || acceptor Ed25519 pk || acceptor X25519 pk) → 32 bytes
///
/// Each side contributes 32 random bytes, so neither alone chooses the root.
public enum ContactRoot {
    /// Bytes of each side's contribution and of the root.
    public static let contributionLength = 32
    public static let length = 32
    static let info = Array("parley contact v1".utf8)

    /// The root from its parts; both sides get the same 32 bytes.
    ///
    /// - Throws: `ContactsError.other` for parts of the wrong length or a low-order peer key.
    public static func derive(
        ownAgreementPrivateKey: SecretBytes, peerAgreementKey: [UInt8], invitationID: [UInt8],
        inviterContribution: SecretBytes, acceptorContribution: SecretBytes,
        inviterSigningKey: [UInt8], inviterAgreementKey: [UInt8],
        acceptorSigningKey: [UInt8], acceptorAgreementKey: [UInt8]
    ) throws(ContactsError) -> SecretBytes {
        guard inviterContribution.count == contributionLength, acceptorContribution.count == contributionLength else {
            throw ContactsError.other("a contact-root contribution must be \(contributionLength) bytes")
        }
        guard invitationID.count == Invitation.idLength,
            inviterSigningKey.count == Ed25519.publicKeyLength, acceptorSigningKey.count == Ed25519.publicKeyLength,
            inviterAgreementKey.count == X25519.keyLength, acceptorAgreementKey.count == X25519.keyLength
        else {
            throw ContactsError.other("a contact-root input has the wrong length")
        }
        let shared = try contactsSecurity("agreeing on the contact key") { () throws(SecurityError) in
            try X25519.sharedSecret(privateKey: ownAgreementPrivateKey, publicKey: peerAgreementKey)
        }
        defer { shared.wipe() }
        var ikm = shared.copyBytes() + inviterContribution.copyBytes() + acceptorContribution.copyBytes()
        defer { wipeBytes(&ikm) }
        var root = try contactsSecurity("deriving the contact root") { () throws(SecurityError) in
            try HKDF.derive(
                ikm: ikm, salt: invitationID,
                info: info + inviterSigningKey + inviterAgreementKey + acceptorSigningKey + acceptorAgreementKey,
                length: length)
        }
        defer { wipeBytes(&root) }
        return SecretBytes(copying: root)
    }

    /// The inviter's root, once an acceptance is opened.
    public static func deriveForInviter(
        invitation: Invitation, secrets: InvitationSecrets, acceptance: OpenedAcceptance
    ) throws(ContactsError) -> SecretBytes {
        try derive(
            ownAgreementPrivateKey: secrets.agreementKeyPair.privateKey, peerAgreementKey: acceptance.agreementKey,
            invitationID: invitation.invitationID, inviterContribution: secrets.contribution,
            acceptorContribution: acceptance.contribution, inviterSigningKey: invitation.signingKey,
            inviterAgreementKey: invitation.agreementKey, acceptorSigningKey: acceptance.signingKey,
            acceptorAgreementKey: acceptance.agreementKey)
    }

    /// The acceptor's root, once the inviter's contribution has arrived (in its
    /// confirmation).
    public static func deriveForAcceptor(
        invitation: Invitation, acceptance: Acceptance, secrets: AcceptanceSecrets, inviterContribution: SecretBytes
    ) throws(ContactsError) -> SecretBytes {
        try derive(
            ownAgreementPrivateKey: secrets.agreementKeyPair.privateKey, peerAgreementKey: invitation.agreementKey,
            invitationID: invitation.invitationID, inviterContribution: inviterContribution,
            acceptorContribution: secrets.contribution, inviterSigningKey: invitation.signingKey,
            inviterAgreementKey: invitation.agreementKey, acceptorSigningKey: acceptance.signingKey,
            acceptorAgreementKey: acceptance.agreementKey)
    }
}
