import CSodium

/// Ed25519 signatures (RFC 8032) over libsodium's `crypto_sign`.
public enum Ed25519 {
    /// Bytes of a public key and of a seed.
    public static let publicKeyLength = 32
    public static let seedLength = 32
    /// Bytes of a secret key in libsodium's form: seed followed by public key.
    public static let secretKeyLength = 64
    /// Bytes of a signature.
    public static let signatureLength = 64

    /// A key pair: the 64-byte secret key (seed + public key) stays in `SecretBytes`.
    public struct KeyPair {
        public let publicKey: [UInt8]
        public let secretKey: SecretBytes
    }

    /// A fresh random key pair.
    public static func generateKeyPair() throws(SecurityError) -> KeyPair {
        try keyPair(seed: try SecretBytes(random: seedLength))
    }

    /// The key pair of a 32-byte seed (RFC 8032's private key).
    public static func keyPair(seed: SecretBytes) throws(SecurityError) -> KeyPair {
        try SecureRandom.initialize()
        guard seed.count == seedLength else {
            throw SecurityError.wrongLength(what: "Ed25519 seed", expected: seedLength, actual: seed.count)
        }
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        let secretKey = SecretBytes.zeroed(count: secretKeyLength)
        let status = secretKey.withMutableBytePointer { secret in
            seed.withBytePointer { seedBytes in
                publicKey.withMutableBytePointer { output in crypto_sign_seed_keypair(output, secret, seedBytes) }
            }
        }
        guard status == 0 else { throw SecurityError.sodium(function: "crypto_sign_seed_keypair", status: status) }
        return KeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// A 64-byte detached signature of `message`.
    ///
    /// - Throws: `SecurityError.wrongLength` if `secretKey` is not 64 bytes.
    public static func sign(message: [UInt8], secretKey: SecretBytes) throws(SecurityError) -> [UInt8] {
        try SecureRandom.initialize()
        guard secretKey.count == secretKeyLength else {
            throw SecurityError.wrongLength(what: "Ed25519 secret key", expected: secretKeyLength, actual: secretKey.count)
        }
        var signature = [UInt8](repeating: 0, count: signatureLength)
        let status = secretKey.withBytePointer { secret in
            message.withBytePointer { messageBytes in
                signature.withMutableBytePointer { output in
                    crypto_sign_detached(output, nil, messageBytes, UInt64(message.count), secret)
                }
            }
        }
        guard status == 0 else { throw SecurityError.sodium(function: "crypto_sign_detached", status: status) }
        return signature
    }

    /// True if `signature` is a valid signature of `message` by `publicKey`. Wrong sizes
    /// are simply invalid.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard (try? SecureRandom.initialize()) != nil,
            signature.count == signatureLength, publicKey.count == publicKeyLength
        else { return false }
        return signature.withBytePointer { signatureBytes in
            message.withBytePointer { messageBytes in
                publicKey.withBytePointer { key in
                    crypto_sign_verify_detached(signatureBytes, messageBytes, UInt64(message.count), key) == 0
                }
            }
        }
    }
}
