import Foundation
import ParleySecurity

/// The answer to an invitation: the acceptor's fresh per-contact public keys and its
/// random 32-byte contribution to the contact root, plus (version 2) its display name,
/// sealed to the inviter, all signed by the acceptor's per-contact Ed25519 key and bound
/// to the invitation id and the inviter's public keys.
///
/// Encoding:
///
///     version (1) | invitation id (16) | acceptor Ed25519 public key (32)
///     | acceptor X25519 public key (32) | ephemeral X25519 public key (32)
///     | XChaCha20-Poly1305 nonce (24) | sealed secret | signature (64)
///
/// The sealed secret is, in version 1, the contribution (32 + 16 bytes); in version 2
/// (written when a display name is given) the contribution followed by the display name
/// as a `SealedName` field: name length (1) || UTF-8 name padded with zeros to 64 bytes
/// (32 + 65 + 16 bytes). The padding keeps every version-2 acceptance the same length, so
/// the relay learns nothing about the name, not even its length. Both versions are read.
///
/// The secret is sealed with XChaCha20-Poly1305 under
/// HKDF-SHA256(X25519(ephemeral, inviter X25519), salt: invitation id,
/// info: "parley acceptance seal v1" || ephemeral pk || inviter X25519 pk || acceptor keys),
/// with everything before it, plus the inviter's keys, as associated data. The signature
/// covers `"parley acceptance v1" || inviter Ed25519 pk || inviter X25519 pk || body`
/// (the version byte in the body tells the versions apart).
public struct Acceptance: Equatable, Sendable {
    /// The version written when a display name travels with the acceptance.
    public static let currentVersion: UInt8 = 2
    /// The version without a display name (still read; written when none is given).
    public static let version1: UInt8 = 1
    static let signatureContext = Array("parley acceptance v1".utf8)
    static let sealContext = Array("parley acceptance seal v1".utf8)
    static let aead = AEAD.Algorithm.xChaCha20Poly1305
    static func sealedLength(version: UInt8) -> Int {
        ContactRoot.contributionLength + (version == version1 ? 0 : SealedName.fieldLength) + 16
    }
    /// Bytes of an encoded acceptance (version 2, with a display name); every one has this length.
    public static let encodedLength = encodedLength(version: currentVersion)
    /// Bytes of a version-1 acceptance (no display name).
    public static let version1EncodedLength = encodedLength(version: version1)
    static func encodedLength(version: UInt8) -> Int {
        1 + Invitation.idLength + Ed25519.publicKeyLength + 2 * X25519.keyLength + 24 + sealedLength(version: version)
            + Ed25519.signatureLength
    }

    /// The bytes to send through the relay.
    public let encoded: [UInt8]
    public let invitationID: [UInt8]
    /// The acceptor's per-contact Ed25519 public key.
    public let signingKey: [UInt8]
    /// The acceptor's per-contact X25519 public key.
    public let agreementKey: [UInt8]

    /// Accepts `invitation` (already checked by `Invitation.parse`): fresh per-contact key
    /// pairs and a fresh contribution, sealed to the inviter with our display name and
    /// signed (version 2; version 1, without a name, if `displayName` is nil).
    ///
    /// - Throws: `ContactsError.invitationExpired` if it expired at `now`, `.other` for a
    ///   display name `Profile.validate` refuses.
    public static func create(
        for invitation: Invitation, displayName: String? = nil, now: Date = Date()
    ) throws(ContactsError) -> (acceptance: Acceptance, secrets: AcceptanceSecrets) {
        let nameField = try displayName.map { (name) throws(ContactsError) in
            try SealedName.encode(Profile.validate(name: name))
        }
        return try create(for: invitation, nameField: nameField, now: now)
    }

    /// `create` with the sealed name field as given (tests use it to send names that
    /// `Profile.validate` refuses); nil writes version 1.
    static func create(
        for invitation: Invitation, nameField: [UInt8]?, now: Date
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

        var header: [UInt8] = [nameField == nil ? version1 : currentVersion]
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
        var plaintext = contribution.copyBytes() + (nameField ?? [])
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
        guard version == currentVersion || version == version1 else {
            throw ContactsError.invalidAcceptance(
                "it is version \(version) and this Parley reads versions \(version1) and \(currentVersion); update Parley")
        }
        let id = try reader.take(Invitation.idLength, "invitation id")
        let signingKey = try reader.take(Ed25519.publicKeyLength, "signing key")
        let agreementKey = try reader.take(X25519.keyLength, "agreement key")
        let ephemeralKey = try reader.take(X25519.keyLength, "ephemeral key")
        let nonce = try reader.take(aead.nonceLength, "nonce")
        let headerLength = reader.offset
        let sealed = try reader.take(sealedLength(version: version), "sealed contribution")
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
        guard plaintext.count == sealedLength(version: version) - 16 else {
            throw ContactsError.invalidAcceptance("its sealed secret has the wrong size")
        }
        let contributionLength = ContactRoot.contributionLength
        let displayName: String? = try version == version1 ? nil : SealedName.decode(
            Array(plaintext[contributionLength...])) { ContactsError.invalidAcceptance("its display name \($0)") }
        return OpenedAcceptance(
            invitationID: id, signingKey: signingKey, agreementKey: agreementKey,
            contribution: SecretBytes(copying: Array(plaintext[..<contributionLength])), version: version,
            displayName: displayName,
            capabilities: version == version1 ? nil : SealedName.capabilities(Array(plaintext[contributionLength...])))
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
    /// The acceptance's version (1: no name; 2: with the acceptor's display name).
    public let version: UInt8
    /// The acceptor's display name (checked with `Profile.validate`); nil in version 1.
    public let displayName: String?
    /// The acceptor's capabilities (`SignalingCapabilities`); nil in version 1.
    public var capabilities: UInt8? = nil
}

/// A display name inside a sealed acceptance or confirmation, padded so that its length
/// does not show, followed by the sender's capabilities: name length (u8, at most
/// `Profile.maximumNameBytes`) || UTF-8 name || zeros up to `Profile.maximumNameBytes`
/// bytes || capabilities (u8; bit 0: this side can run AES-256-GCM, see
/// `SignalingCapabilities`). 66 bytes in all.
enum SealedName {
    static let fieldLength = 1 + Profile.maximumNameBytes + 1

    /// The field of a name already checked by `Profile.validate`, with this machine's
    /// capabilities.
    static func encode(_ name: String) -> [UInt8] {
        raw(Array(name.utf8))
    }

    /// The field as given: `bytes` (any length up to 64) with a length byte that may lie.
    static func raw(_ bytes: [UInt8], length: UInt8? = nil) -> [UInt8] {
        let body = Array(bytes.prefix(Profile.maximumNameBytes))
        return [length ?? UInt8(body.count)] + body + [UInt8](repeating: 0, count: Profile.maximumNameBytes - body.count)
            + [SignalingCapabilities.local]
    }

    /// The capabilities byte of a field `decode` accepted.
    static func capabilities(_ field: [UInt8]) -> UInt8 { field.last ?? 0 }

    /// Reads and checks a field; `refuse` builds the error from "is …" / "has …".
    static func decode(
        _ field: [UInt8], refuse: (String) -> ContactsError
    ) throws(ContactsError) -> String {
        guard field.count == fieldLength else { throw refuse("has the wrong size") }
        let length = Int(field[0])
        guard length <= Profile.maximumNameBytes else {
            throw refuse("is \(length) bytes long; at most \(Profile.maximumNameBytes) are allowed")
        }
        guard field[(1 + length)..<(fieldLength - 1)].allSatisfy({ $0 == 0 }) else { throw refuse("has bad padding") }
        guard let name = String(validating: field[1..<(1 + length)], as: UTF8.self) else {
            throw refuse("is not valid UTF-8")
        }
        guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw refuse("is empty") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw refuse("contains control characters")
        }
        do {
            return try Profile.validate(name: name)
        } catch {
            if case .other(let reason) = error { throw refuse("is refused (\(reason))") }
            throw refuse("is refused")
        }
    }
}
