import Foundation
import ParleySecurity

/// The answer to an invitation: the acceptor's fresh per-contact public keys and its
/// random 32-byte contribution to the contact root, sealed to the inviter, all signed by
/// the acceptor's per-contact Ed25519 key and bound to the invitation id and the
/// inviter's public keys.
///
/// Encoding:
///
///     version (1) | invitation id (16) | acceptor Ed25519 public key (32)
///     | acceptor X25519 public key (32) | ephemeral X25519 public key (32)
///     | XChaCha20-Poly1305 nonce (24) | sealed contribution (32 + 16) | signature (64)
///
/// The contribution is sealed with XChaCha20-Poly1305 under
/// HKDF-SHA256(X25519(ephemeral, inviter X25519), salt: invitation id,
/// info: "parley acceptance seal v1" || ephemeral pk || inviter X25519 pk || acceptor keys),
/// with everything before it, plus the inviter's keys, as associated data. The signature
/// covers `"parley acceptance v1" || inviter Ed25519 pk || inviter X25519 pk || body`.
public struct Acceptance: Equatable, Sendable {
    public static let currentVersion: UInt8 = 1
    static let signatureContext = Array("parley acceptance v1".utf8)
    static let sealContext = Array("parley acceptance seal v1".utf8)
    static let aead = AEAD.Algorithm.xChaCha20Poly1305
    static let sealedLength = ContactRoot.contributionLength + 16
    /// Bytes of an encoded acceptance.
    public static let encodedLength =
        1 + Invitation.idLength + Ed25519.publicKeyLength + 2 * X25519.keyLength + 24 + sealedLength
        + Ed25519.signatureLength

    /// The bytes to send through the relay.
    public let encoded: [UInt8]
    public let invitationID: [UInt8]
    /// The acceptor's per-contact Ed25519 public key.
    public let signingKey: [UInt8]
    /// The acceptor's per-contact X25519 public key.
    public let agreementKey: [UInt8]

    /// Accepts `invitation` (already checked by `Invitation.parse`): fresh per-contact key
    /// pairs and a fresh contribution, sealed to the inviter and signed.
    ///
    /// - Throws: `ContactsError.invitationExpired` if it expired at `now`.
    public static func create(
        for invitation: Invitation, now: Date = Date()
    ) throws(ContactsError) -> (acceptance: Acceptance, secrets: AcceptanceSecrets) {
        guard !invitation.isExpired(now: now) else { throw ContactsError.invitationExpired(expiredAt: invitation.expiry) }
        let signing = try contactsSecurity("making a per-contact Ed25519 key") { () throws(SecurityError) in
            try Ed25519.generateKeyPair()
        }
        let agreement = try contactsSecurity("making a per-contact X25519 key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        let ephemeral = try contactsSecurity("making an ephemeral X25519 key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        defer { ephemeral.privateKey.wipe() }
        let contribution = try contactsSecurity("drawing the acceptor's secret") { () throws(SecurityError) in
            try SecretBytes(random: ContactRoot.contributionLength)
        }
        let nonce = try contactsSecurity("drawing a nonce") { () throws(SecurityError) in try aead.randomNonce() }

        var header: [UInt8] = [currentVersion]
        header += invitation.invitationID
        header += signing.publicKey
        header += agreement.publicKey
        header += ephemeral.publicKey
        header += nonce
        let key = try sealKey(
            shared: try contactsSecurity("agreeing on the sealing key") { () throws(SecurityError) in
                try X25519.sharedSecret(privateKey: ephemeral.privateKey, publicKey: invitation.agreementKey)
            },
            invitation: invitation, ephemeralKey: ephemeral.publicKey,
            acceptorSigningKey: signing.publicKey, acceptorAgreementKey: agreement.publicKey)
        defer { key.wipe() }
        var plaintext = contribution.copyBytes()
        defer { wipeBytes(&plaintext) }
        let sealed = try contactsSecurity("sealing the contribution") { () throws(SecurityError) in
            try AEAD.seal(
                plaintext: plaintext, additionalData: header + invitation.signingKey + invitation.agreementKey,
                nonce: nonce, key: key, algorithm: aead)
        }
        let body = header + sealed
        let signature = try contactsSecurity("signing the acceptance") { () throws(SecurityError) in
            try Ed25519.sign(
                message: signatureContext + invitation.signingKey + invitation.agreementKey + body,
                secretKey: signing.secretKey)
        }
        let acceptance = Acceptance(
            encoded: body + signature, invitationID: invitation.invitationID, signingKey: signing.publicKey,
            agreementKey: agreement.publicKey)
        let secrets = AcceptanceSecrets(signingKeyPair: signing, agreementKeyPair: agreement, contribution: contribution)
        return (acceptance, secrets)
    }

    /// The inviter's side: checks an acceptance of `invitation` and recovers the acceptor's
    /// keys and contribution.
    ///
    /// - Parameter acceptedInvitationIDs: ids of invitations already accepted; an
    ///   acceptance of one of them is a replay.
    /// - Throws: `ContactsError.invalidAcceptance` for damaged, altered or forged bytes or an
    ///   acceptance of another invitation, `.invitationExpired`, `.invitationAlreadyAccepted`.
    public static func open(
        _ bytes: [UInt8], invitationSecrets: InvitationSecrets, invitation: Invitation,
        acceptedInvitationIDs: Set<[UInt8]> = [], now: Date = Date()
    ) throws(ContactsError) -> OpenedAcceptance {
        guard bytesEqual(invitationSecrets.invitationID, invitation.invitationID),
            bytesEqual(invitationSecrets.agreementKeyPair.publicKey, invitation.agreementKey),
            bytesEqual(invitationSecrets.signingKeyPair.publicKey, invitation.signingKey)
        else {
            throw ContactsError.other("these invitation secrets belong to another invitation; pass the matching pair")
        }
        var reader = InvitationReader(bytes) { ContactsError.invalidAcceptance($0) }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidAcceptance(
                "it is version \(version) and this Parley reads version \(currentVersion); update Parley")
        }
        let id = try reader.take(Invitation.idLength, "invitation id")
        let signingKey = try reader.take(Ed25519.publicKeyLength, "signing key")
        let agreementKey = try reader.take(X25519.keyLength, "agreement key")
        let ephemeralKey = try reader.take(X25519.keyLength, "ephemeral key")
        let nonce = try reader.take(aead.nonceLength, "nonce")
        let headerLength = reader.offset
        let sealed = try reader.take(sealedLength, "sealed contribution")
        let bodyLength = reader.offset
        let signature = try reader.take(Ed25519.signatureLength, "signature")
        try reader.expectEnd()

        guard bytesEqual(id, invitation.invitationID) else {
            throw ContactsError.invalidAcceptance("it answers another invitation, not this one")
        }
        let body = Array(bytes[..<bodyLength])
        guard Ed25519.verify(
            signature: signature, message: signatureContext + invitation.signingKey + invitation.agreementKey + body,
            publicKey: signingKey)
        else {
            throw ContactsError.invalidAcceptance("its signature does not match (altered, damaged or forged)")
        }
        guard !invitation.isExpired(now: now) else { throw ContactsError.invitationExpired(expiredAt: invitation.expiry) }
        guard !acceptedInvitationIDs.contains(id) else { throw ContactsError.invitationAlreadyAccepted }

        let shared: SecretBytes
        do {
            shared = try X25519.sharedSecret(
                privateKey: invitationSecrets.agreementKeyPair.privateKey, publicKey: ephemeralKey)
        } catch {
            throw ContactsError.invalidAcceptance("its ephemeral key is unusable (\(error))")
        }
        let key = try sealKey(
            shared: shared, invitation: invitation, ephemeralKey: ephemeralKey,
            acceptorSigningKey: signingKey, acceptorAgreementKey: agreementKey)
        defer { key.wipe() }
        var plaintext: [UInt8]
        do {
            plaintext = try AEAD.open(
                ciphertext: sealed,
                additionalData: Array(bytes[..<headerLength]) + invitation.signingKey + invitation.agreementKey,
                nonce: nonce, key: key, algorithm: aead)
        } catch {
            throw ContactsError.invalidAcceptance("its sealed secret does not open (altered or not meant for us)")
        }
        defer { wipeBytes(&plaintext) }
        guard plaintext.count == ContactRoot.contributionLength else {
            throw ContactsError.invalidAcceptance("its sealed secret has the wrong size")
        }
        return OpenedAcceptance(
            invitationID: id, signingKey: signingKey, agreementKey: agreementKey,
            contribution: SecretBytes(copying: plaintext))
    }

    static func sealKey(
        shared: SecretBytes, invitation: Invitation, ephemeralKey: [UInt8], acceptorSigningKey: [UInt8],
        acceptorAgreementKey: [UInt8]
    ) throws(ContactsError) -> SecretBytes {
        defer { shared.wipe() }
        var ikm = shared.copyBytes()
        defer { wipeBytes(&ikm) }
        var key = try contactsSecurity("deriving the sealing key") { () throws(SecurityError) in
            try HKDF.derive(
                ikm: ikm, salt: invitation.invitationID,
                info: sealContext + ephemeralKey + invitation.agreementKey + acceptorSigningKey + acceptorAgreementKey,
                length: aead.keyLength)
        }
        defer { wipeBytes(&key) }
        return SecretBytes(copying: key)
    }
}

/// The acceptor's private side: per-contact private keys and its contribution.
public struct AcceptanceSecrets {
    public let signingKeyPair: Ed25519.KeyPair
    public let agreementKeyPair: X25519.KeyPair
    /// 32 random bytes, the acceptor's share of the contact root.
    public let contribution: SecretBytes

    /// Overwrites the private keys and the contribution with zeros.
    public func wipe() {
        signingKeyPair.secretKey.wipe()
        agreementKeyPair.privateKey.wipe()
        contribution.wipe()
    }
}

/// What the inviter learns from a valid acceptance.
public struct OpenedAcceptance {
    public let invitationID: [UInt8]
    /// The acceptor's per-contact Ed25519 public key.
    public let signingKey: [UInt8]
    /// The acceptor's per-contact X25519 public key.
    public let agreementKey: [UInt8]
    /// The acceptor's 32-byte share of the contact root.
    public let contribution: SecretBytes
}
