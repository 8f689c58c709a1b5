import Foundation
import ParleySecurity

/// An Ed25519 key pair kept in a file of its own, mode 0600, written atomically: a
/// guardian's key (`guardian.key` in the profile directory, which signs approvals) or a
/// license issuer's key (which signs licenses).
///
/// The file holds one line: `parley-guardian-secret-key:` or `parley-issuer-secret-key:`
/// followed by the unpadded base64url of the 32-byte Ed25519 seed. The prefix keeps one
/// kind of key from being used as the other.
public enum SigningKeyFile {
    /// What a key signs.
    public enum Purpose: String, Sendable, CaseIterable {
        case guardian, issuer

        var prefix: String { "parley-\(rawValue)-secret-key:" }
        var name: String { self == .guardian ? "guardian key" : "license issuer key" }
    }

    /// The guardian key's file name in the profile directory.
    public static let guardianFileName = "guardian.key"

    /// Creates a fresh key pair in a new file at `path`.
    ///
    /// - Throws: `.other` if the file exists (it is never replaced), `.storage` if it
    ///   cannot be written.
    public static func create(at path: String, purpose: Purpose) throws(ContactsError) -> Ed25519.KeyPair {
        guard !DurableFile.exists(path) else {
            throw ContactsError.other("\(path) already exists; it is never replaced (use it, or choose another file)")
        }
        let seed = try contactsSecurity("drawing a \(purpose.name)") { () throws(SecurityError) in
            try SecretBytes(random: Ed25519.seedLength)
        }
        defer { seed.wipe() }
        let keyPair = try contactsSecurity("making a \(purpose.name)") { () throws(SecurityError) in
            try Ed25519.keyPair(seed: seed)
        }
        var seedBytes = seed.copyBytes()
        var text = Array((purpose.prefix + ParleyURI.base64URLEncode(seedBytes) + "\n").utf8)
        defer {
            wipeBytes(&seedBytes)
            wipeBytes(&text)
        }
        do {
            try DurableFile.write(text, to: path, mode: 0o600, replacing: false)
        } catch {
            if DurableFile.exists(path) {
                throw ContactsError.other("\(path) already exists; it is never replaced (use it, or choose another file)")
            }
            throw error
        }
        return keyPair
    }

    /// The key pair in the file at `path`.
    ///
    /// - Throws: `.other` if there is no such file or it holds another kind of key,
    ///   `.corruptStore` if it is not a key file, `.storage` if it cannot be read.
    public static func load(from path: String, purpose: Purpose) throws(ContactsError) -> Ed25519.KeyPair {
        guard DurableFile.exists(path) else {
            throw ContactsError.other("there is no \(purpose.name) file at \(path)")
        }
        var bytes = try DurableFile.read(path, limit: 4096)
        defer { wipeBytes(&bytes) }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(purpose.prefix) else {
            if let other = Purpose.allCases.first(where: { text.hasPrefix($0.prefix) }) {
                throw ContactsError.other("\(path) holds a \(other.name), not a \(purpose.name)")
            }
            throw ContactsError.corruptStore(path: path, reason: "not a \(purpose.name) file")
        }
        guard var seedBytes = ParleyURI.base64URLDecode(String(text.dropFirst(purpose.prefix.count))),
            seedBytes.count == Ed25519.seedLength
        else {
            throw ContactsError.corruptStore(path: path, reason: "the \(purpose.name) in it is not \(Ed25519.seedLength) bytes of base64url")
        }
        defer { wipeBytes(&seedBytes) }
        let seed = SecretBytes(copying: seedBytes)
        defer { seed.wipe() }
        return try contactsSecurity("restoring the \(purpose.name)") { () throws(SecurityError) in
            try Ed25519.keyPair(seed: seed)
        }
    }

    /// The key pair at `path`, made first if there is none. `created` says which.
    public static func loadOrCreate(at path: String, purpose: Purpose) throws(ContactsError) -> (keyPair: Ed25519.KeyPair, created: Bool) {
        if DurableFile.exists(path) { return (try load(from: path, purpose: purpose), false) }
        do {
            return (try create(at: path, purpose: purpose), true)
        } catch {
            // Made by another process meanwhile: use that one.
            if DurableFile.exists(path) { return (try load(from: path, purpose: purpose), false) }
            throw error
        }
    }
}
