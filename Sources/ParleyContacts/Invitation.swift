import Foundation
import ParleySecurity

/// A signed, expiring invitation to become a contact: the inviter's fresh per-contact
/// public keys (Ed25519 for signing, X25519 for agreement), a random id, an expiry and a
/// relay hint. Public data only; the private keys stay in `InvitationSecrets`.
///
/// Encoding (big-endian), signed with the per-contact Ed25519 key over
/// `"parley invitation v1" || body`:
///
///     version (1) | invitation id (16) | Ed25519 public key (32) | X25519 public key (32)
///     | expiry, Unix seconds (8) | relay hint length (1) | relay hint, UTF-8 | signature (64)
public struct Invitation: Equatable, Sendable {
    /// The only version this code writes and reads.
    public static let currentVersion: UInt8 = 1
    /// Bytes of the random invitation id.
    public static let idLength = 16
    /// Longest relay hint, in UTF-8 bytes.
    public static let maximumRelayHintLength = 255
    /// Domain separation for the signature.
    static let signatureContext = Array("parley invitation v1".utf8)

    public let version: UInt8
    /// 16 random bytes naming this invitation (and salting the contact root).
    public let invitationID: [UInt8]
    /// The inviter's per-contact Ed25519 public key.
    public let signingKey: [UInt8]
    /// The inviter's per-contact X25519 public key.
    public let agreementKey: [UInt8]
    /// Unix seconds after which the invitation is refused.
    public let expiry: Int64
    /// Where the inviter's relay can be reached, e.g. `127.0.0.1:7400`.
    public let relayHint: String
    /// Ed25519 signature of the body.
    public let signature: [UInt8]

    /// The signed bytes: body followed by signature.
    public var encoded: [UInt8] { Invitation.body(
        version: version, invitationID: invitationID, signingKey: signingKey, agreementKey: agreementKey,
        expiry: expiry, relayHint: relayHint) + signature }

    /// The `parley:` URI of `encoded`.
    public var uri: String { ParleyURI.encode(encoded) }

    /// True when the invitation has expired at `now`.
    public func isExpired(now: Date = Date()) -> Bool {
        unixSeconds(now.timeIntervalSince1970) >= expiry
    }

    /// A fresh invitation with new per-contact key pairs and a new random id, valid for
    /// `expiresIn` from `now`.
    ///
    /// - Throws: `ContactsError.other` for a relay hint that is empty or over 255 bytes, a
    ///   non-positive lifetime, or a failure of the random generator.
    public static func create(
        relayHint: String, expiresIn: Duration = .seconds(24 * 3600), now: Date = Date()
    ) throws(ContactsError) -> (invitation: Invitation, secrets: InvitationSecrets) {
        let hintLength = relayHint.utf8.count
        guard (1...maximumRelayHintLength).contains(hintLength) else {
            throw ContactsError.other(
                "the relay hint must be 1 to \(maximumRelayHintLength) bytes of UTF-8 (it has \(hintLength)); give a host:port such as 127.0.0.1:7400")
        }
        let lifetime = expiresIn.components.seconds
        guard lifetime > 0 else {
            throw ContactsError.other("an invitation must be valid for at least one second; give a positive --expires")
        }
        let (expiry, overflow) = unixSeconds(now.timeIntervalSince1970).addingReportingOverflow(lifetime)
        guard !overflow else { throw ContactsError.other("the invitation lifetime is too long; give a shorter --expires") }

        let signing = try contactsSecurity("making a per-contact Ed25519 key") { () throws(SecurityError) in
            try Ed25519.generateKeyPair()
        }
        let agreement = try contactsSecurity("making a per-contact X25519 key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        let id = try contactsSecurity("drawing an invitation id") { () throws(SecurityError) in
            try SecureRandom.bytes(count: idLength)
        }
        let contribution = try contactsSecurity("drawing the inviter's secret") { () throws(SecurityError) in
            try SecretBytes(random: ContactRoot.contributionLength)
        }
        let body = Invitation.body(
            version: currentVersion, invitationID: id, signingKey: signing.publicKey,
            agreementKey: agreement.publicKey, expiry: expiry, relayHint: relayHint)
        let signature = try contactsSecurity("signing the invitation") { () throws(SecurityError) in
            try Ed25519.sign(message: signatureContext + body, secretKey: signing.secretKey)
        }
        let invitation = Invitation(
            version: currentVersion, invitationID: id, signingKey: signing.publicKey,
            agreementKey: agreement.publicKey, expiry: expiry, relayHint: relayHint, signature: signature)
        let secrets = InvitationSecrets(
            invitationID: id, signingKeyPair: signing, agreementKeyPair: agreement, contribution: contribution)
        return (invitation, secrets)
    }

    /// Reads and checks a `parley:` URI: version, lengths, signature, then expiry.
    ///
    /// - Throws: `ContactsError.invalidInvitation` for anything damaged, altered or forged,
    ///   `.invitationExpired` naming when it expired.
    public static func parse(uri: String, now: Date = Date()) throws(ContactsError) -> Invitation {
        try parse(bytes: try ParleyURI.decode(uri), now: now)
    }

    /// Reads and checks the signed bytes of an invitation (see `parse(uri:now:)`).
    public static func parse(bytes: [UInt8], now: Date = Date()) throws(ContactsError) -> Invitation {
        var reader = InvitationReader(bytes) { ContactsError.invalidInvitation($0) }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidInvitation(
                "it is version \(version) and this Parley reads version \(currentVersion); update Parley or ask for a new invitation")
        }
        let id = try reader.take(idLength, "invitation id")
        let signingKey = try reader.take(Ed25519.publicKeyLength, "signing key")
        let agreementKey = try reader.take(X25519.keyLength, "agreement key")
        let rawExpiry = try reader.uint64("expiry")
        let hintLength = Int(try reader.byte("relay hint length"))
        let hintBytes = try reader.take(hintLength, "relay hint")
        let bodyLength = reader.offset
        let signature = try reader.take(Ed25519.signatureLength, "signature")
        try reader.expectEnd()

        guard Ed25519.verify(signature: signature, message: signatureContext + bytes[..<bodyLength], publicKey: signingKey)
        else {
            throw ContactsError.invalidInvitation(
                "its signature does not match (the code was altered or damaged); ask the sender for it again")
        }
        guard hintLength > 0, let relayHint = String(validating: hintBytes, as: UTF8.self) else {
            throw ContactsError.invalidInvitation("its relay hint is empty or not UTF-8; ask for a new invitation")
        }
        guard rawExpiry <= UInt64(Int64.max) else {
            throw ContactsError.invalidInvitation("its expiry is out of range; ask for a new invitation")
        }
        let invitation = Invitation(
            version: version, invitationID: id, signingKey: signingKey, agreementKey: agreementKey,
            expiry: Int64(rawExpiry), relayHint: relayHint, signature: signature)
        guard !invitation.isExpired(now: now) else { throw ContactsError.invitationExpired(expiredAt: invitation.expiry) }
        return invitation
    }

    static func body(
        version: UInt8, invitationID: [UInt8], signingKey: [UInt8], agreementKey: [UInt8], expiry: Int64,
        relayHint: String
    ) -> [UInt8] {
        var bytes: [UInt8] = [version]
        bytes += invitationID
        bytes += signingKey
        bytes += agreementKey
        bytes.appendBigEndian(UInt64(bitPattern: expiry))
        let hint = Array(relayHint.utf8)
        bytes.append(UInt8(truncatingIfNeeded: hint.count))
        bytes += hint
        return bytes
    }
}

/// The inviter's private side of one invitation: the per-contact private keys and the
/// inviter's random 32-byte contribution to the contact root (sent later, in the
/// inviter's confirmation). Keep it until the invitation is accepted or expires.
public struct InvitationSecrets {
    public let invitationID: [UInt8]
    /// Per-contact Ed25519 key pair (secret key in `SecretBytes`).
    public let signingKeyPair: Ed25519.KeyPair
    /// Per-contact X25519 key pair (private key in `SecretBytes`).
    public let agreementKeyPair: X25519.KeyPair
    /// 32 random bytes, the inviter's share of the contact root.
    public let contribution: SecretBytes

    public init(
        invitationID: [UInt8], signingKeyPair: Ed25519.KeyPair, agreementKeyPair: X25519.KeyPair,
        contribution: SecretBytes
    ) {
        self.invitationID = invitationID
        self.signingKeyPair = signingKeyPair
        self.agreementKeyPair = agreementKeyPair
        self.contribution = contribution
    }

    /// Overwrites the private keys and the contribution with zeros.
    public func wipe() {
        signingKeyPair.secretKey.wipe()
        agreementKeyPair.privateKey.wipe()
        contribution.wipe()
    }
}
