import Foundation
import ParleySecurity

/// A paid-tier license: the issuer's signed statement that a licensee may hold group
/// calls of up to `maximumParticipants` people until `expiry`.
///
/// The issuer signs (Ed25519) `"parley entitlement v1" || licensee || maximumParticipants
/// (u8, 3...8) || expiry (u64 big-endian Unix seconds)`; `licensee` is the licensee's
/// 32-byte identifier.
///
/// Compact encoding (138 bytes): version (1) || issuer public key (32) || licensee (32) ||
/// maximum participants (1) || expiry (8) || signature (64). Text form: `parley-license:` +
/// unpadded base64url of those bytes.
public struct Entitlement: Equatable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// Bytes of a licensee identifier.
    public static let licenseeLength = 32
    /// The participant limits a license may carry.
    public static let participantRange: ClosedRange<Int> = 3...8
    /// Bytes of the compact encoding.
    public static let encodedLength = 1 + 32 + 32 + 1 + 8 + 64
    /// The prefix of the text form.
    public static let textPrefix = "parley-license:"
    static let signatureContext = Array("parley entitlement v1".utf8)

    public let version: UInt8
    /// The key that signed (as stated by the license; `verify` checks it).
    public let issuerKey: [UInt8]
    public let licensee: [UInt8]
    public let maximumParticipants: Int
    /// Unix seconds; the license is expired from then on.
    public let expiry: Int64
    public let signature: [UInt8]

    /// The compact encoding.
    public var encoded: [UInt8] {
        [version] + issuerKey + Self.signedBody(licensee: licensee, maximumParticipants: maximumParticipants, expiry: expiry)
            + signature
    }

    /// `parley-license:` + base64url of `encoded`.
    public var text: String { Self.textPrefix + ParleyURI.base64URLEncode(encoded) }

    /// True when the license has expired at `now`.
    public func isExpired(now: Date = Date()) -> Bool {
        unixSeconds(now.timeIntervalSince1970) >= expiry
    }

    static func signedBody(licensee: [UInt8], maximumParticipants: Int, expiry: Int64) -> [UInt8] {
        var body = licensee + [UInt8(truncatingIfNeeded: maximumParticipants)]
        body.appendBigEndian(UInt64(expiry))
        return body
    }

    /// The issuer's license for `licensee`, allowing calls of up to `maximumParticipants`
    /// (3...8), valid for `expiresIn` from `now`.
    ///
    /// - Throws: `ContactsError.other` for a licensee of the wrong length, a limit outside
    ///   3...8, a non-positive lifetime, or a signing failure.
    public static func create(
        issuerKey: Ed25519.KeyPair, licensee: [UInt8], maximumParticipants: Int,
        expiresIn: Duration = .seconds(365 * 24 * 3600), now: Date = Date()
    ) throws(ContactsError) -> Entitlement {
        guard licensee.count == licenseeLength else {
            throw ContactsError.other(
                "the licensee identifier must be \(licenseeLength) bytes (it has \(licensee.count))")
        }
        guard participantRange.contains(maximumParticipants) else {
            throw ContactsError.other(
                "a license allows \(participantRange.lowerBound) to \(participantRange.upperBound) participants (not \(maximumParticipants))")
        }
        let expiry = try expiryAfter(expiresIn, now: now, what: "a license")
        let body = signedBody(licensee: licensee, maximumParticipants: maximumParticipants, expiry: expiry)
        let signature = try contactsSecurity("signing the license") { () throws(SecurityError) in
            try Ed25519.sign(message: signatureContext + body, secretKey: issuerKey.secretKey)
        }
        return Entitlement(
            version: currentVersion, issuerKey: issuerKey.publicKey, licensee: licensee,
            maximumParticipants: maximumParticipants, expiry: expiry, signature: signature)
    }

    /// Reads the text form (structure only; `verify` checks the signature and expiry).
    ///
    /// - Throws: `ContactsError.invalidLicense(.damaged)` saying what is wrong.
    public static func parse(text: String) throws(ContactsError) -> Entitlement {
        let bytes = try SignedCodeText.decode(text, prefix: textPrefix) { ContactsError.invalidLicense(.damaged($0)) }
        return try parse(bytes: bytes)
    }

    /// Reads the compact encoding (structure only; see `parse(text:)`).
    public static func parse(bytes: [UInt8]) throws(ContactsError) -> Entitlement {
        var reader = InvitationReader(bytes) { ContactsError.invalidLicense(.damaged($0)) }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidLicense(
                .damaged("it is version \(version) and this Parley reads version \(currentVersion)"))
        }
        let issuerKey = try reader.take(Ed25519.publicKeyLength, "issuer key")
        let licensee = try reader.take(licenseeLength, "licensee")
        let maximum = Int(try reader.byte("maximum participants"))
        let rawExpiry = try reader.uint64("expiry")
        let signature = try reader.take(Ed25519.signatureLength, "signature")
        try reader.expectEnd()
        guard rawExpiry <= UInt64(Int64.max) else {
            throw ContactsError.invalidLicense(.damaged("its expiry is out of range"))
        }
        return Entitlement(
            version: version, issuerKey: issuerKey, licensee: licensee, maximumParticipants: maximum,
            expiry: Int64(rawExpiry), signature: signature)
    }

    /// Checks, in this order: signed by `issuerPublicKey`, signature valid, limit within
    /// 3...8, for `licensee` (when given), not expired at `now`.
    ///
    /// - Throws: `ContactsError.invalidLicense` with `.wrongIssuer`, `.damaged`,
    ///   `.anotherLicensee` or `.expired`.
    public func verify(issuerPublicKey: [UInt8], licensee: [UInt8]? = nil, now: Date = Date()) throws(ContactsError) {
        guard issuerPublicKey.count == Ed25519.publicKeyLength, bytesEqual(issuerKey, issuerPublicKey) else {
            throw ContactsError.invalidLicense(.wrongIssuer)
        }
        let body = Self.signedBody(licensee: self.licensee, maximumParticipants: maximumParticipants, expiry: expiry)
        guard version == Self.currentVersion,
            Ed25519.verify(signature: signature, message: Self.signatureContext + body, publicKey: issuerPublicKey)
        else {
            throw ContactsError.invalidLicense(.damaged("its signature does not match"))
        }
        guard Self.participantRange.contains(maximumParticipants) else {
            throw ContactsError.invalidLicense(.damaged("its participant limit \(maximumParticipants) is outside 3...8"))
        }
        if let licensee, !bytesEqual(self.licensee, licensee) { throw ContactsError.invalidLicense(.anotherLicensee) }
        guard !isExpired(now: now) else { throw ContactsError.invalidLicense(.expired(at: expiry)) }
    }
}
