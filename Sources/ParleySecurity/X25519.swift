import CSodium

/// X25519 key agreement (RFC 7748) over libsodium's `crypto_scalarmult`.
public enum X25519 {
    /// Bytes of a public key, a private key and a shared secret.
    public static let keyLength = 32

    /// A key pair: the private key stays in `SecretBytes`.
    public struct KeyPair {
        public let publicKey: [UInt8]
        public let privateKey: SecretBytes
    }

    /// The key pair of a stored private key.
    public static func keyPair(privateKey: SecretBytes) throws(SecurityError) -> KeyPair {
        KeyPair(publicKey: try publicKey(privateKey: privateKey), privateKey: privateKey)
    }

    /// A fresh random key pair.
    public static func generateKeyPair() throws(SecurityError) -> KeyPair {
        let privateKey = try SecretBytes(random: keyLength)
        return KeyPair(publicKey: try publicKey(privateKey: privateKey), privateKey: privateKey)
    }

    /// The public key of `privateKey` (`crypto_scalarmult_base`).
    public static func publicKey(privateKey: SecretBytes) throws(SecurityError) -> [UInt8] {
        try SecureRandom.initialize()
        guard privateKey.count == keyLength else {
            throw SecurityError.wrongLength(what: "X25519 private key", expected: keyLength, actual: privateKey.count)
        }
        var publicKey = [UInt8](repeating: 0, count: keyLength)
        let status = privateKey.withBytePointer { scalar in
            publicKey.withMutableBytePointer { output in crypto_scalarmult_base(output, scalar) }
        }
        guard status == 0 else { throw SecurityError.sodium(function: "crypto_scalarmult_base", status: status) }
        return publicKey
    }

    /// The shared secret of our `privateKey` and the peer's `publicKey`. Use it only as
    /// input to HKDF, never directly as a key.
    ///
    /// - Throws: `SecurityError.wrongLength` for keys that are not 32 bytes,
    ///   `.lowOrderPublicKey` when the result is all zeros.
    public static func sharedSecret(privateKey: SecretBytes, publicKey: [UInt8]) throws(SecurityError) -> SecretBytes {
        try SecureRandom.initialize()
        guard privateKey.count == keyLength else {
            throw SecurityError.wrongLength(what: "X25519 private key", expected: keyLength, actual: privateKey.count)
        }
        guard publicKey.count == keyLength else {
            throw SecurityError.wrongLength(what: "X25519 public key", expected: keyLength, actual: publicKey.count)
        }
        let secret = SecretBytes.zeroed(count: keyLength)
        let (status, isZero) = secret.withMutableBytePointer { output in
            privateKey.withBytePointer { scalar in
                publicKey.withBytePointer { point in
                    let status = crypto_scalarmult(output, scalar, point)
                    return (status, sodium_is_zero(output, keyLength) == 1)
                }
            }
        }
        // libsodium returns -1 for the all-zero result; check the bytes as well.
        guard status == 0, !isZero else {
            secret.wipe()
            throw SecurityError.lowOrderPublicKey
        }
        return secret
    }
}
