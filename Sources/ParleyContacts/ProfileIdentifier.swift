import Foundation
import ParleySecurity

extension Profile {
    /// Bytes of a profile identifier.
    public static let identifierLength = 32

    /// A fresh random identifier.
    static func newIdentifier() throws(ContactsError) -> [UInt8] {
        try contactsSecurity("drawing the profile identifier") { () throws(SecurityError) in
            try SecureRandom.bytes(count: identifierLength)
        }
    }

    /// The 32 bytes of an identifier written as unpadded base64url (how Parley prints it)
    /// or standard base64; nil for anything else.
    public static func identifierBytes(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = ParleyURI.base64URLDecode(trimmed) ?? Data(base64Encoded: trimmed).map { [UInt8]($0) }
        guard let bytes, bytes.count == identifierLength else { return nil }
        return bytes
    }

    /// An identifier as Parley prints it: unpadded base64url.
    public static func identifierText(_ bytes: [UInt8]) -> String { ParleyURI.base64URLEncode(bytes) }

    /// Checks an Ed25519 public key given as standard base64 or unpadded base64url and
    /// returns it as standard base64 (how `profile.json` keeps keys).
    ///
    /// - Parameters:
    ///   - what: names the key in the message, e.g. "the guardian key (--supervised-by)".
    ///   - source: where a correct key comes from, for the message.
    /// - Throws: `ContactsError.other` saying what is wrong.
    public static func validatePublicKey(_ text: String, what: String, source: String) throws(ContactsError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let expected = "an Ed25519 public key is \(Ed25519.publicKeyLength) bytes written as base64 (44 characters) or base64url (43 characters); \(source)"
        guard !trimmed.isEmpty else { throw ContactsError.other("\(what) is empty: \(expected)") }
        guard let bytes = ParleyURI.base64URLDecode(trimmed) ?? Data(base64Encoded: trimmed).map({ [UInt8]($0) }) else {
            throw ContactsError.other("\(what) '\(printable(trimmed))' is not base64 or base64url: \(expected)")
        }
        guard bytes.count == Ed25519.publicKeyLength else {
            throw ContactsError.other("\(what) is \(bytes.count) bytes long, not \(Ed25519.publicKeyLength): \(expected)")
        }
        guard bytes.contains(where: { $0 != 0 }) else {
            throw ContactsError.other("\(what) is all zeros, which is not a usable key: \(expected)")
        }
        return Data(bytes).base64EncodedString()
    }

    /// At most 60 characters of `text`, control characters replaced: safe to echo.
    static func printable(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        return cleaned.count > 60 ? String(cleaned.prefix(57)) + "..." : cleaned
    }
}

extension ProfileStore {
    /// This profile's 32-byte identifier. A profile made before identifiers existed gets a
    /// fresh one on first need, saved atomically (and read back, so two processes doing
    /// this at once end up using the one that stayed on disk).
    ///
    /// - Throws: what `load` and `save` throw.
    public func identifier() throws(ContactsError) -> [UInt8] {
        var profile = try load()
        if let text = profile.identifier, let bytes = Profile.identifierBytes(text) { return bytes }
        profile.identifier = Profile.identifierText(try Profile.newIdentifier())
        try save(profile)
        let saved = try load()
        guard let text = saved.identifier, let bytes = Profile.identifierBytes(text) else {
            throw ContactsError.corruptStore(path: profilePath, reason: "its identifier could not be saved")
        }
        return bytes
    }
}
