import Foundation
import ParleySecurity

/// What a supervised profile hands its guardian to ask for the approval of one contact:
/// the guardian key it is supervised by, its own identifier (the approval's subject), the
/// contact's per-contact Ed25519 public key, and, when known, the contact's display name
/// and a note. Not signed: the guardian checks it with the person who handed it over, and
/// the approval it leads to is only accepted for exactly this subject and contact key.
///
/// Encoding: version (1) || guardian key (32) || subject (32) || contact key (32) ||
/// name length (1) || name (UTF-8, at most 64 bytes) || note length (1) || note (UTF-8,
/// at most 200 bytes). Text form: `parley-approval-request:` + unpadded base64url.
public struct ApprovalRequest: Equatable, Sendable {
    public static let currentVersion: UInt8 = 1
    /// The prefix of the text form.
    public static let textPrefix = "parley-approval-request:"
    /// The most UTF-8 bytes of the note.
    public static let maximumNoteBytes = 200

    public let version: UInt8
    /// The guardian the supervised profile is supervised by.
    public let guardianKey: [UInt8]
    /// The supervised profile's identifier.
    public let subject: [UInt8]
    /// The contact's per-contact Ed25519 public key.
    public let contactKey: [UInt8]
    /// The contact's display name, if the supervised side knows it.
    public let contactName: String?
    /// A note for the guardian, e.g. who the contact is.
    public let note: String?

    /// A request; empty names and notes count as none.
    ///
    /// - Throws: `ContactsError.invalidApprovalRequest` for keys or a subject of the wrong
    ///   length, or a name or note that is too long or has control characters.
    public init(
        guardianKey: [UInt8], subject: [UInt8], contactKey: [UInt8], contactName: String? = nil, note: String? = nil
    ) throws(ContactsError) {
        guard guardianKey.count == Ed25519.publicKeyLength, contactKey.count == Ed25519.publicKeyLength,
            subject.count == ContactApproval.subjectLength
        else {
            throw ContactsError.invalidApprovalRequest("a key or the profile identifier has the wrong length")
        }
        self.version = Self.currentVersion
        self.guardianKey = guardianKey
        self.subject = subject
        self.contactKey = contactKey
        self.contactName = try Self.check(contactName, "contact name", maximum: Profile.maximumNameBytes)
        self.note = try Self.check(note, "note", maximum: Self.maximumNoteBytes)
    }

    private static func check(_ text: String?, _ what: String, maximum: Int) throws(ContactsError) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        guard text.utf8.count <= maximum else {
            throw ContactsError.invalidApprovalRequest("the \(what) is \(text.utf8.count) bytes long; use at most \(maximum) bytes (UTF-8)")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ContactsError.invalidApprovalRequest("the \(what) contains control characters; use printable text")
        }
        return text
    }

    /// The compact encoding.
    public var encoded: [UInt8] {
        var bytes = [version] + guardianKey + subject + contactKey
        for field in [contactName, note] {
            let utf8 = Array((field ?? "").utf8)
            bytes.append(UInt8(truncatingIfNeeded: utf8.count))
            bytes += utf8
        }
        return bytes
    }

    /// `parley-approval-request:` + base64url of `encoded`.
    public var text: String { Self.textPrefix + ParleyURI.base64URLEncode(encoded) }

    /// Reads the text form.
    ///
    /// - Throws: `ContactsError.invalidApprovalRequest` saying what is wrong.
    public static func parse(text: String) throws(ContactsError) -> ApprovalRequest {
        let bytes = try SignedCodeText.decode(text, prefix: textPrefix) { ContactsError.invalidApprovalRequest($0) }
        var reader = InvitationReader(bytes) { ContactsError.invalidApprovalRequest($0) }
        let version = try reader.byte("version")
        guard version == currentVersion else {
            throw ContactsError.invalidApprovalRequest(
                "it is version \(version) and this Parley reads version \(currentVersion); update Parley on both sides")
        }
        let guardianKey = try reader.take(Ed25519.publicKeyLength, "guardian key")
        let subject = try reader.take(ContactApproval.subjectLength, "profile identifier")
        let contactKey = try reader.take(Ed25519.publicKeyLength, "contact key")
        func string(_ what: String) throws(ContactsError) -> String? {
            let length = Int(try reader.byte("\(what) length"))
            let utf8 = try reader.take(length, what)
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw ContactsError.invalidApprovalRequest("its \(what) is not UTF-8; copy the whole request again")
            }
            return text.isEmpty ? nil : text
        }
        let name = try string("contact name")
        let note = try string("note")
        try reader.expectEnd()
        return try ApprovalRequest(guardianKey: guardianKey, subject: subject, contactKey: contactKey, contactName: name, note: note)
    }

    /// The guardian's side: signs the approval this request asks for with `guardian`,
    /// valid for `expiresIn` from `now`.
    ///
    /// - Throws: `ContactsError.invalidApprovalRequest` if the request names another
    ///   guardian key; what `ContactApproval.create` throws.
    public func approve(
        with guardian: Ed25519.KeyPair, expiresIn: Duration = .seconds(365 * 24 * 3600), now: Date = Date()
    ) throws(ContactsError) -> ContactApproval {
        guard bytesEqual(guardian.publicKey, guardianKey) else {
            throw ContactsError.invalidApprovalRequest(
                "it is addressed to another guardian key (\(Data(guardianKey).base64EncodedString())), not yours (\(Data(guardian.publicKey).base64EncodedString())); the supervised profile was set up with `parley init --supervised-by` and that key")
        }
        return try ContactApproval.create(
            guardianKey: guardian, subject: subject, contactKey: contactKey, expiresIn: expiresIn, now: now)
    }
}
