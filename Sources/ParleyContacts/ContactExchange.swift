import Foundation
import ParleySecurity

/// Where the two sides of an invitation meet at the relay. Both ids are derived from
/// values only the two parties know (the invitation id is never published by the relay),
/// so the relay cannot link a mailbox to a person:
///
///     inviter mailbox  = HKDF-SHA256(invitation id, info "parley mailbox inviter v1")[0..<16]
///     acceptor mailbox = HKDF-SHA256(invitation id || acceptor Ed25519 pk,
///                                    info "parley mailbox acceptor v1")[0..<16]
///
/// Each is claimed with the owner's per-contact Ed25519 key.
public enum ContactMailboxes {
    public static let length = 16

    public static func inviter(invitationID: [UInt8]) throws(ContactsError) -> [UInt8] {
        try contactsSecurity("deriving the inviter mailbox") { () throws(SecurityError) in
            try HKDF.derive(ikm: invitationID, salt: [], info: Array("parley mailbox inviter v1".utf8), length: length)
        }
    }

    public static func acceptor(invitationID: [UInt8], acceptorSigningKey: [UInt8]) throws(ContactsError) -> [UInt8] {
        try contactsSecurity("deriving the acceptor mailbox") { () throws(SecurityError) in
            try HKDF.derive(
                ikm: invitationID + acceptorSigningKey, salt: [], info: Array("parley mailbox acceptor v1".utf8),
                length: length)
        }
    }
}

/// The inviter's answer to an acceptance: its 32-byte contribution to the contact root
/// and (version 2) its display name, sealed to the acceptor and signed with the inviter's
/// per-contact Ed25519 key.
///
///     version (1) | invitation id (16) | XChaCha20-Poly1305 nonce (24)
///     | sealed secret | signature (64)
///
/// The sealed secret is the contribution (version 1: 32 + 16 bytes), or the contribution
/// followed by the inviter's display name as a padded `SealedName` field (version 2:
/// 32 + 65 + 16 bytes). The inviter answers a version-1 acceptance (an older Parley) with
/// a version-1 confirmation; both versions are read.
///
/// Sealing key: HKDF-SHA256(X25519(inviter X25519, acceptor X25519), salt: invitation id,
/// info: "parley confirmation seal v1" || inviter Ed25519 pk || inviter X25519 pk
/// || acceptor Ed25519 pk || acceptor X25519 pk); the header and the four keys are the
/// associated data. The signature covers "parley confirmation v1" || the four keys || body.
public enum Confirmation {
    /// The version written when a display name travels with the confirmation.
    public static let currentVersion: UInt8 = 2
    /// The version without a display name (still read; written when none is given).
    public static let version1: UInt8 = 1
    static let signatureContext = Array("parley confirmation v1".utf8)
    static let sealContext = Array("parley confirmation seal v1".utf8)
    static let aead = AEAD.Algorithm.xChaCha20Poly1305
    /// Bytes of a version-2 confirmation (with a display name); every one has this length.
    public static let encodedLength = 1 + Invitation.idLength + 24 + ContactRoot.contributionLength
        + SealedName.fieldLength + 16 + Ed25519.signatureLength
    /// Bytes of a version-1 confirmation.
    public static let version1EncodedLength = 1 + Invitation.idLength + 24 + ContactRoot.contributionLength + 16
        + Ed25519.signatureLength

    static func keys(_ invitation: Invitation, _ acceptorSigningKey: [UInt8], _ acceptorAgreementKey: [UInt8]) -> [UInt8] {
        invitation.signingKey + invitation.agreementKey + acceptorSigningKey + acceptorAgreementKey
    }

    static func sealKey(shared: SecretBytes, invitationID: [UInt8], keys: [UInt8]) throws(ContactsError) -> SecretBytes {
        defer { shared.wipe() }
        var ikm = shared.copyBytes()
        defer { wipeBytes(&ikm) }
        var key = try contactsSecurity("deriving the confirmation key") { () throws(SecurityError) in
            try HKDF.derive(ikm: ikm, salt: invitationID, info: sealContext + keys, length: aead.keyLength)
        }
        defer { wipeBytes(&key) }
        return SecretBytes(copying: key)
    }

    /// The inviter's confirmation for an opened acceptance: version 2 with our display
    /// name, or version 1 if `displayName` is nil or the acceptance is version 1.
    ///
    /// - Throws: `.other` for a display name `Profile.validate` refuses.
    public static func create(
        invitation: Invitation, secrets: InvitationSecrets, acceptance: OpenedAcceptance, displayName: String? = nil
    ) throws(ContactsError) -> [UInt8] {
        let name = acceptance.version == Acceptance.version1 ? nil : displayName
        let nameField = try name.map { (name) throws(ContactsError) in try SealedName.encode(Profile.validate(name: name)) }
        return try create(invitation: invitation, secrets: secrets, acceptance: acceptance, nameField: nameField)
    }

    /// `create` with the sealed name field as given (tests use it for refused names).
    static func create(
        invitation: Invitation, secrets: InvitationSecrets, acceptance: OpenedAcceptance, nameField: [UInt8]?
    ) throws(ContactsError) -> [UInt8] {
        let keys = keys(invitation, acceptance.signingKey, acceptance.agreementKey)
        let shared = try contactsSecurity("agreeing on the confirmation key") { () throws(SecurityError) in
            try X25519.sharedSecret(privateKey: secrets.agreementKeyPair.privateKey, publicKey: acceptance.agreementKey)
        }
        let key = try sealKey(shared: shared, invitationID: invitation.invitationID, keys: keys)
        defer { key.wipe() }
        let nonce = try contactsSecurity("drawing a nonce") { () throws(SecurityError) in try aead.randomNonce() }
        let header = [nameField == nil ? version1 : currentVersion] + invitation.invitationID + nonce
        var plaintext = secrets.contribution.copyBytes() + (nameField ?? [])
        defer { wipeBytes(&plaintext) }
        let sealed = try contactsSecurity("sealing the confirmation") { () throws(SecurityError) in
            try AEAD.seal(plaintext: plaintext, additionalData: header + keys, nonce: nonce, key: key, algorithm: aead)
        }
        let body = header + sealed
        let signature = try contactsSecurity("signing the confirmation") { () throws(SecurityError) in
            try Ed25519.sign(message: signatureContext + keys + body, secretKey: secrets.signingKeyPair.secretKey)
        }
        return body + signature
    }

    /// The acceptor's side: checks a confirmation and returns the inviter's contribution,
    /// display name and capabilities (`SignalingCapabilities`; both nil in version 1).
    public static func open(
        _ bytes: [UInt8], invitation: Invitation, acceptorSigningKey: [UInt8],
        acceptorAgreementPrivateKey: SecretBytes, acceptorAgreementKey: [UInt8]
    ) throws(ContactsError) -> (contribution: SecretBytes, displayName: String?, capabilities: UInt8?) {
        var reader = InvitationReader(bytes) { ContactsError.invalidAcceptance("confirmation: \($0)") }
        let version = try reader.byte("version")
        guard version == currentVersion || version == version1 else {
            throw ContactsError.invalidAcceptance("the confirmation is version \(version); update Parley")
        }
        let id = try reader.take(Invitation.idLength, "invitation id")
        let nonce = try reader.take(aead.nonceLength, "nonce")
        let headerLength = reader.offset
        let nameLength = version == version1 ? 0 : SealedName.fieldLength
        let sealed = try reader.take(ContactRoot.contributionLength + nameLength + 16, "sealed contribution")
        let bodyLength = reader.offset
        let signature = try reader.take(Ed25519.signatureLength, "signature")
        try reader.expectEnd()
        guard bytesEqual(id, invitation.invitationID) else {
            throw ContactsError.invalidAcceptance("the confirmation answers another invitation")
        }
        let keys = keys(invitation, acceptorSigningKey, acceptorAgreementKey)
        guard Ed25519.verify(
            signature: signature, message: signatureContext + keys + Array(bytes[..<bodyLength]),
            publicKey: invitation.signingKey)
        else {
            throw ContactsError.invalidAcceptance("the confirmation's signature does not match (altered or forged)")
        }
        let shared: SecretBytes
        do {
            shared = try X25519.sharedSecret(privateKey: acceptorAgreementPrivateKey, publicKey: invitation.agreementKey)
        } catch {
            throw ContactsError.invalidAcceptance("the inviter's agreement key is unusable (\(error))")
        }
        let key = try sealKey(shared: shared, invitationID: id, keys: keys)
        defer { key.wipe() }
        var plaintext: [UInt8]
        do {
            plaintext = try AEAD.open(
                ciphertext: sealed, additionalData: Array(bytes[..<headerLength]) + keys, nonce: nonce, key: key,
                algorithm: aead)
        } catch {
            throw ContactsError.invalidAcceptance("the confirmation's sealed secret does not open")
        }
        defer { wipeBytes(&plaintext) }
        let contributionLength = ContactRoot.contributionLength
        guard plaintext.count == contributionLength + nameLength else {
            throw ContactsError.invalidAcceptance("the confirmation's sealed secret has the wrong size")
        }
        let displayName: String? = try version == version1 ? nil : SealedName.decode(
            Array(plaintext[contributionLength...])) { ContactsError.invalidAcceptance("the inviter's display name \($0)") }
        let capabilities: UInt8? = version == version1 ? nil : SealedName.capabilities(Array(plaintext[contributionLength...]))
        return (SecretBytes(copying: Array(plaintext[..<contributionLength])), displayName, capabilities)
    }
}
