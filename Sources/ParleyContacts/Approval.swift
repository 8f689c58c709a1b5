import Foundation
import ParleySecurity

/// A guardian's signed approval that a supervised profile may accept one contact.
///
/// The guardian signs (Ed25519) `"parley approval v1" || subject || contactKey || expiry`,
/// where `subject` is the supervised profile's 32-byte identifier (the value its side
/// shows), `contactKey` the contact's per-contact Ed25519 public key and `expiry` Unix
/// seconds (u64 big-endian).
///
/// Compact encoding (169 bytes): version (1) || guardian public key (32) || subject (32)
/// || contact key (32) || expiry (8, big-endian) || signature (64). Text form:
/// `parley-approval:` + unpadded base64url of those bytes.
public struct ContactApproval: Equatable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// Bytes of a subject (supervised profile identifier).
    public static let subjectLength = 32
    /// Bytes of the compact encoding.
    public static let encodedLength = 1 + 32 + 32 + 32 + 8 + 64
    /// The prefix of the text form.
    public static let textPrefix = "parley-approval:"
    static let signatureContext = Array("parley approval v1".utf8)

    public let version: UInt8
    /// The key that signed (as stated by the approval; `verify` checks it).
    public let guardianKey: [UInt8]
    public let subject: [UInt8]
    public let contactKey: [UInt8]
    /// Unix seconds; the approval is expired from then on.
    public let expiry: Int64
    public let signature: [UInt8]

    /// The compact encoding.
    public var encoded: [UInt8] {
        var bytes = [version] + guardianKey
        bytes += Self.signedBody(subject: subject, contactKey: contactKey, expiry: expiry)
        return bytes + signature
    }

    /// `parley-approval:` + base64url of `encoded`.
    public var text: String { Self.textPrefix + ParleyURI.base64URLEncode(encoded) }

    /// True when the approval has expired at `now`.
    public func isExpired(now: Date = Date()) -> Bool {
        unixSeconds(now.timeIntervalSince1970) >= expiry
    }

    static func signedBody(subject: [UInt8], contactKey: [UInt8], expiry: Int64) -> [UInt8] {
        var body = subject + contactKey
        body.appendBigEndian(UInt64(expiry))
        return body
    }

    /// The guardian's approval, valid for `expiresIn` from `now`, that the supervised
    /// profile `subject` may accept the contact whose per-contact key is `contactKey`.
    ///
    /// - Throws: `ContactsError.other` for a subject or contact key of the wrong length,
    ///   a non-positive lifetime, or a signing failure.
    public static func create(
        guardianKey: Ed25519.KeyPair, subject: [UInt8], contactKey: [UInt8],
        expiresIn: Duration = .seconds(365 * 24 * 3600), now: Date = Date()
    ) throws(ContactsError) -> ContactApproval {
        guard subject.count == subjectLength else {
            throw ContactsError.other(
                "the supervised profile's identifier must be \(subjectLength) bytes (it has \(subject.count)); copy it again from the supervised side")
        }
        guard contactKey.count == Ed25519.publicKeyLength else {
            throw ContactsError.other(
                "the contact's key must be \(Ed25519.publicKeyLength) bytes (it has \(contactKey.count)); copy it again")
        }
        let expiry = try expiryAfter(expiresIn, now: now, what: "an approval")
        let body = signedBody(subject: subject, contactKey: contactKey, expiry: expiry)
        let signature = try contactsSecurity("signing the approval") { () throws(SecurityError) in
            try Ed25519.sign(message: signatureContext + body, secretKey: guardianKey.secretKey)
        }
        return ContactApproval(
            version: currentVersion, guardianKey: guardianKey.publicKey, subject: subject,
            contactKey: contactKey, expiry: expiry, signature: signature)
    }

    /// Reads the text form (structure only; `verify` checks the signature and fields).
    ///
    /// - Throws: `ContactsError.invalidApproval(.damaged)` saying what is wrong.
    public static func parse(text: String) throws(ContactsError) -> ContactApproval {
        let bytes = try SignedCodeText.decode(text, prefix: textPrefix) { ContactsError.invalidApproval(.damaged($0)) }
        return try parse(bytes: bytes)
    }

    /// Reads the compact encoding (structure only; see `parse(text:)`).
    public static func parse(bytes: [UInt8]) throws(ContactsError) -> ContactApproval {
        var reader = InvitationReader(bytes) { ContactsError.invalidApproval(.damaged($0)) }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidApproval(
                .damaged("it is version \(version) and this Parley reads version \(currentVersion)"))
        }
        let guardianKey = try reader.take(Ed25519.publicKeyLength, "guardian key")
        let subject = try reader.take(subjectLength, "profile identifier")
        let contactKey = try reader.take(Ed25519.publicKeyLength, "contact key")
        let rawExpiry = try reader.uint64("expiry")
        let signature = try reader.take(Ed25519.signatureLength, "signature")
        try reader.expectEnd()
        guard rawExpiry <= UInt64(Int64.max) else {
            throw ContactsError.invalidApproval(.damaged("its expiry is out of range"))
        }
        return ContactApproval(
            version: version, guardianKey: guardianKey, subject: subject, contactKey: contactKey,
            expiry: Int64(rawExpiry), signature: signature)
    }

    /// Checks, in this order: signed by `guardianPublicKey`, signature valid, for `subject`,
    /// for `contactKey`, not expired at `now`.
    ///
    /// - Throws: `ContactsError.invalidApproval` with `.wrongGuardian`, `.damaged`,
    ///   `.anotherProfile`, `.anotherContact` or `.expired`.
    public func verify(
        guardianPublicKey: [UInt8], subject: [UInt8], contactKey: [UInt8], now: Date = Date()
    ) throws(ContactsError) {
        guard guardianPublicKey.count == Ed25519.publicKeyLength, bytesEqual(guardianKey, guardianPublicKey) else {
            throw ContactsError.invalidApproval(.wrongGuardian)
        }
        let body = Self.signedBody(subject: self.subject, contactKey: self.contactKey, expiry: expiry)
        guard version == Self.currentVersion,
            Ed25519.verify(signature: signature, message: Self.signatureContext + body, publicKey: guardianPublicKey)
        else {
            throw ContactsError.invalidApproval(.damaged("its signature does not match"))
        }
        guard bytesEqual(self.subject, subject) else { throw ContactsError.invalidApproval(.anotherProfile) }
        guard bytesEqual(self.contactKey, contactKey) else { throw ContactsError.invalidApproval(.anotherContact) }
        guard !isExpired(now: now) else { throw ContactsError.invalidApproval(.expired(at: expiry)) }
    }
}

/// `prefix` + unpadded base64url text forms of signed codes (approvals, licenses).
enum SignedCodeText {
    /// The bytes after `prefix` (any case, surrounding white space ignored); only canonical
    /// unpadded base64url.
    static func decode(
        _ text: String, prefix: String, refuse: (String) -> ContactsError
    ) throws(ContactsError) -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count > prefix.count, trimmed.prefix(prefix.count).lowercased() == prefix else {
            throw refuse("it does not start with \"\(prefix)\"; paste the whole code, including \"\(prefix)\"")
        }
        guard let bytes = ParleyURI.base64URLDecode(String(trimmed.dropFirst(prefix.count))) else {
            throw refuse("the text after \"\(prefix)\" is not valid base64url; copy the code again without changes")
        }
        return bytes
    }
}

/// Unix seconds `lifetime` after `now`.
func expiryAfter(_ lifetime: Duration, now: Date, what: String) throws(ContactsError) -> Int64 {
    let seconds = lifetime.components.seconds
    guard seconds > 0 else { throw ContactsError.other("\(what) must be valid for at least one second; give a positive lifetime") }
    let (expiry, overflow) = unixSeconds(now.timeIntervalSince1970).addingReportingOverflow(seconds)
    guard !overflow else { throw ContactsError.other("the lifetime of \(what) is too long; give a shorter one") }
    return expiry
}
