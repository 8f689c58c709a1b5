import Foundation

/// `parley:` URIs: the scheme followed by base64url (RFC 4648 §5, no padding) of the
/// signed bytes of an invitation.
public enum ParleyURI {
    /// The scheme with its colon.
    public static let prefix = "parley:"

    /// `parley:` + base64url of `bytes`, without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        prefix + base64URLEncode(bytes)
    }

    /// The bytes of a `parley:` URI. The scheme may be in any case; surrounding white space
    /// is ignored. Only canonical unpadded base64url is accepted, so one invitation has one
    /// URI.
    ///
    /// - Throws: `ContactsError.invalidInvitation` saying what is wrong.
    public static func decode(_ uri: String) throws(ContactsError) -> [UInt8] {
        let text = uri.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count > prefix.count, text.prefix(prefix.count).lowercased() == prefix else {
            throw ContactsError.invalidInvitation(
                "it does not start with \"\(prefix)\"; paste the whole code, including \"\(prefix)\"")
        }
        let payload = String(text.dropFirst(prefix.count))
        guard let bytes = base64URLDecode(payload) else {
            throw ContactsError.invalidInvitation(
                "the text after \"\(prefix)\" is not valid base64url; copy the code again without changes")
        }
        return bytes
    }

    static func base64URLEncode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// Nil unless `text` is canonical unpadded base64url.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard text.utf8.allSatisfy({ allowed.contains($0) }), text.utf8.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        guard let data = Data(base64Encoded: standard) else { return nil }
        let bytes = [UInt8](data)
        // Refuse non-zero unused bits: a second spelling of the same bytes.
        guard base64URLEncode(bytes) == text else { return nil }
        return bytes
    }
}
