import Foundation
import ParleySecurity

/// A file holding one Codable value as JSON, encrypted and authenticated at rest.
///
/// Layout (all one file, written with `DurableFile`, mode 0600):
///
///     magic "PARLEYS1" (8) | version (1) = 1 | KDF id (1): 1 Argon2id, 2 key file
///     | salt (16) | AEAD id (1): 1 AES-256-GCM, 2 XChaCha20-Poly1305
///     | nonce (12 or 24, by AEAD) | ciphertext + 16-byte tag
///
/// Everything before the ciphertext is the AEAD's additional data, so no header byte can
/// be changed unnoticed. Each save draws a new salt and nonce. A wrong passphrase or key
/// gives `ContactsError.wrongKey`; a file that is not in this format, or cut short,
/// gives `.corruptStore` with the reason. Nothing here traps on bad input.
public struct EncryptedStore: Sendable {
    /// Where the key comes from.
    public enum KeySource: Sendable {
        /// Argon2id (`PasswordKey`) over the passphrase and the salt in the header.
        case passphrase(String)
        /// A file of exactly 32 random bytes (see `EncryptedStore.createKeyFile`).
        case keyFile(path: String)
    }

    public static let magic: [UInt8] = Array("PARLEYS1".utf8)
    public static let version: UInt8 = 1
    static let kdfArgon2id: UInt8 = 1
    static let kdfKeyFile: UInt8 = 2
    static let aeadAES256GCM: UInt8 = 1
    static let aeadXChaCha20Poly1305: UInt8 = 2
    /// Bytes of a key file.
    public static let keyFileLength = 32

    public let path: String
    public let keySource: KeySource
    /// The AEAD used for new saves (loading follows the file's header).
    public let algorithm: AEAD.Algorithm

    public init(path: String, key: KeySource, algorithm: AEAD.Algorithm = .preferred) {
        self.path = path
        self.keySource = key
        self.algorithm = algorithm
    }

    /// True if the store file exists.
    public var exists: Bool { DurableFile.exists(path) }

    /// Writes 32 random bytes to a new key file at `path`, mode 0600. Refuses to replace
    /// an existing file.
    public static func createKeyFile(at path: String) throws(ContactsError) {
        guard !DurableFile.exists(path) else {
            throw ContactsError.storage(path: path, reason: "already exists; a key file is never overwritten")
        }
        var bytes: [UInt8]
        do { bytes = try SecureRandom.bytes(count: keyFileLength) } catch {
            throw ContactsError.other("cannot make a key: \(error)")
        }
        defer { wipe(&bytes) }
        try DurableFile.write(bytes, to: path, mode: 0o600)
    }

    /// Encrypts `value` (as JSON) and replaces the store atomically.
    public func save<T: Encodable>(_ value: T) throws(ContactsError) {
        var plaintext: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys]
            plaintext = Array(try encoder.encode(value))
        } catch {
            throw ContactsError.other("cannot encode the store's contents: \(error)")
        }
        defer { Self.wipe(&plaintext) }
        let salt: [UInt8]
        let nonce: [UInt8]
        do {
            salt = try SecureRandom.bytes(count: PasswordKey.saltLength)
            nonce = try algorithm.randomNonce()
        } catch {
            throw ContactsError.other("cannot make random bytes: \(error)")
        }
        var header = Self.magic
        header.append(Self.version)
        header.append(kdfID)
        header += salt
        header.append(algorithm == .aes256GCM ? Self.aeadAES256GCM : Self.aeadXChaCha20Poly1305)
        header += nonce
        let key = try deriveKey(salt: salt)
        defer { key.wipe() }
        let sealed: [UInt8]
        do {
            sealed = try AEAD.seal(plaintext: plaintext, additionalData: header, nonce: nonce, key: key, algorithm: algorithm)
        } catch {
            throw ContactsError.other("cannot encrypt the store \(path): \(error)")
        }
        try DurableFile.write(header + sealed, to: path, mode: 0o600)
    }

    /// Reads, checks and decrypts the store.
    ///
    /// - Throws: `.storage` if the file cannot be read, `.corruptStore` if it is not a
    ///   Parley store or is cut short, `.wrongKey` if it does not open with this key.
    public func load<T: Decodable>(_ type: T.Type = T.self) throws(ContactsError) -> T {
        let file = try DurableFile.read(path)
        var plaintext = try open(file)
        defer { Self.wipe(&plaintext) }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(T.self, from: Data(plaintext))
        } catch {
            throw ContactsError.corruptStore(path: path, reason: "its contents are not what this version of Parley expects")
        }
    }

    /// The plaintext of a store file's bytes.
    func open(_ file: [UInt8]) throws(ContactsError) -> [UInt8] {
        var reader = file[...]
        func take(_ count: Int, _ what: String) throws(ContactsError) -> [UInt8] {
            guard reader.count >= count else {
                throw ContactsError.corruptStore(path: path, reason: "cut short in the \(what) (\(file.count) bytes)")
            }
            let bytes = Array(reader.prefix(count))
            reader = reader.dropFirst(count)
            return bytes
        }
        let magic = try take(Self.magic.count, "header")
        guard magic == Self.magic else {
            throw ContactsError.corruptStore(path: path, reason: "not a Parley store (wrong magic)")
        }
        let version = try take(1, "header")[0]
        guard version == Self.version else {
            throw ContactsError.corruptStore(
                path: path, reason: "store format version \(version) is not supported (this Parley reads \(Self.version))")
        }
        let kdf = try take(1, "header")[0]
        guard kdf == Self.kdfArgon2id || kdf == Self.kdfKeyFile else {
            throw ContactsError.corruptStore(path: path, reason: "unknown key derivation \(kdf)")
        }
        guard kdf == kdfID else {
            throw ContactsError.other(kdf == Self.kdfArgon2id
                ? "\(path): this store is locked with a passphrase; set \(ContactBook.passphraseVariable) or run the command in a terminal to be asked for it"
                : "\(path): this store is locked with a key file, not a passphrase")
        }
        let salt = try take(PasswordKey.saltLength, "header")
        let aeadID = try take(1, "header")[0]
        let algorithm: AEAD.Algorithm
        switch aeadID {
        case Self.aeadAES256GCM: algorithm = .aes256GCM
        case Self.aeadXChaCha20Poly1305: algorithm = .xChaCha20Poly1305
        default: throw ContactsError.corruptStore(path: path, reason: "unknown encryption algorithm \(aeadID)")
        }
        guard algorithm.isAvailable else {
            throw ContactsError.storage(path: path, reason: "encrypted with \(algorithm.rawValue), which this CPU cannot run")
        }
        let nonce = try take(algorithm.nonceLength, "header")
        let header = Array(file[..<reader.startIndex])
        guard reader.count >= algorithm.tagLength else {
            throw ContactsError.corruptStore(path: path, reason: "cut short in the encrypted contents (\(file.count) bytes)")
        }
        let key = try deriveKey(salt: salt)
        defer { key.wipe() }
        do {
            return try AEAD.open(ciphertext: Array(reader), additionalData: header, nonce: nonce, key: key, algorithm: algorithm)
        } catch {
            throw ContactsError.wrongKey(path: path)
        }
    }

    private var kdfID: UInt8 {
        switch keySource {
        case .passphrase: return Self.kdfArgon2id
        case .keyFile: return Self.kdfKeyFile
        }
    }

    private func deriveKey(salt: [UInt8]) throws(ContactsError) -> SecretBytes {
        switch keySource {
        case .passphrase(let passphrase):
            do { return try PasswordKey.derive(passphrase: passphrase, salt: salt) } catch {
                throw ContactsError.other("cannot derive a key from the passphrase: \(error)")
            }
        case .keyFile(let keyPath):
            var bytes = try DurableFile.read(keyPath, limit: 4096)
            defer { Self.wipe(&bytes) }
            guard bytes.count == Self.keyFileLength else {
                throw ContactsError.storage(
                    path: keyPath, reason: "a key file holds \(Self.keyFileLength) bytes, this one \(bytes.count)")
            }
            return SecretBytes(copying: bytes)
        }
    }

    static func wipe(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
    }
}
