import CSodium

/// A key from a passphrase with Argon2id (`crypto_pwhash`, ALG_ARGON2ID13) at libsodium's
/// interactive limits (2 passes, 64 MiB).
public enum PasswordKey {
    /// Bytes of salt.
    public static let saltLength = 16
    /// Bytes of key `derive` gives unless told otherwise.
    public static let defaultKeyLength = 32

    /// A key from `passphrase` and a random, stored `salt` (16 bytes). The same passphrase
    /// and salt always give the same key.
    ///
    /// - Throws: `SecurityError.wrongLength` for a salt that is not 16 bytes,
    ///   `.invalidParameter` for a key length outside 16...1024, `.sodium` if Argon2id
    ///   fails (usually: not enough memory).
    public static func derive(
        passphrase: String, salt: [UInt8], length: Int = defaultKeyLength
    ) throws(SecurityError) -> SecretBytes {
        try SecureRandom.initialize()
        guard salt.count == saltLength else {
            throw SecurityError.wrongLength(what: "Argon2id salt", expected: saltLength, actual: salt.count)
        }
        guard (16...1024).contains(length) else {
            throw SecurityError.invalidParameter("cannot derive a \(length)-byte key from a passphrase; ask for 16 to 1024")
        }
        var password = Array(passphrase.utf8) + [0]  // never empty, so never a null pointer
        defer { password.withUnsafeMutableBytes { sodiumWipe($0) } }
        let key = SecretBytes.zeroed(count: length)
        let passwordLength = password.count - 1
        let status = key.withMutableBytePointer { output in
            password.withBytePointer { passwordBytes in
                salt.withBytePointer { saltBytes in
                    passwordBytes.withMemoryRebound(to: CChar.self, capacity: passwordLength + 1) { chars in
                        crypto_pwhash(
                            output, UInt64(length), chars, UInt64(passwordLength), saltBytes,
                            UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
                            crypto_pwhash_argon2id_memlimit_interactive(),
                            crypto_pwhash_alg_argon2id13())
                    }
                }
            }
        }
        guard status == 0 else {
            key.wipe()
            throw SecurityError.sodium(function: "crypto_pwhash", status: status)
        }
        return key
    }
}
