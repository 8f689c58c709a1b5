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

/// The inviter's answer to an acceptance: its 32-byte contribution to the contact root,
/// sealed to the acceptor and signed with the inviter's per-contact Ed25519 key.
///
///     version (1) | invitation id (16) | XChaCha20-Poly1305 nonce (24)
///     | sealed contribution (32 + 16) | signature (64)
///
/// Sealing key: HKDF-SHA256(X25519(inviter X25519, acceptor X25519), salt: invitation id,
/// info: "parley confirmation seal v1" || inviter Ed25519 pk || inviter X25519 pk
/// || acceptor Ed25519 pk || acceptor X25519 pk); the header and the four keys are the
/// associated data. The signature covers "parley confirmation v1" || the four keys || body.
public enum Confirmation {
    public static let currentVersion: UInt8 = 1
    static let signatureContext = Array("parley confirmation v1".utf8)
    static let sealContext = Array("parley confirmation seal v1".utf8)
    static let aead = AEAD.Algorithm.xChaCha20Poly1305
    public static let encodedLength = 1 + Invitation.idLength + 24 + ContactRoot.contributionLength + 16
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

    /// The inviter's confirmation for an opened acceptance.
    public static func create(
        invitation: Invitation, secrets: InvitationSecrets, acceptance: OpenedAcceptance
    ) throws(ContactsError) -> [UInt8] {
        let keys = keys(invitation, acceptance.signingKey, acceptance.agreementKey)
        let shared = try contactsSecurity("agreeing on the confirmation key") { () throws(SecurityError) in
            try X25519.sharedSecret(privateKey: secrets.agreementKeyPair.privateKey, publicKey: acceptance.agreementKey)
        }
        let key = try sealKey(shared: shared, invitationID: invitation.invitationID, keys: keys)
        defer { key.wipe() }
        let nonce = try contactsSecurity("drawing a nonce") { () throws(SecurityError) in try aead.randomNonce() }
        let header = [currentVersion] + invitation.invitationID + nonce
        var plaintext = secrets.contribution.copyBytes()
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

    /// The acceptor's side: checks a confirmation and returns the inviter's contribution.
    public static func open(
        _ bytes: [UInt8], invitation: Invitation, acceptorSigningKey: [UInt8],
        acceptorAgreementPrivateKey: SecretBytes, acceptorAgreementKey: [UInt8]
    ) throws(ContactsError) -> SecretBytes {
        var reader = InvitationReader(bytes) { ContactsError.invalidAcceptance("confirmation: \($0)") }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidAcceptance("the confirmation is version \(version); update Parley")
        }
        let id = try reader.take(Invitation.idLength, "invitation id")
        let nonce = try reader.take(aead.nonceLength, "nonce")
        let headerLength = reader.offset
        let sealed = try reader.take(ContactRoot.contributionLength + 16, "sealed contribution")
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
        guard plaintext.count == ContactRoot.contributionLength else {
            throw ContactsError.invalidAcceptance("the confirmation's sealed secret has the wrong size")
        }
        return SecretBytes(copying: plaintext)
    }
}
