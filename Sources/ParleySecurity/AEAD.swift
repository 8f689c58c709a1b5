import CSodium

/// Authenticated encryption with associated data over libsodium: AES-256-GCM where the
/// CPU has it (AES-NI + PCLMUL), XChaCha20-Poly1305-IETF otherwise. The ciphertext is the
/// encrypted message followed by its 16-byte tag.
///
/// Never reuse a nonce with the same key: use `algorithm.randomNonce()` (safe for any
/// number of messages with XChaCha20's 24-byte nonces; with AES-GCM's 12-byte random
/// nonces keep under 2^32 messages per key) or a counter.
///
/// The default algorithm, `.preferred`, depends on the CPU: two machines may differ.
/// Anything sent to another machine must name its algorithm (in the envelope, or by
/// protocol) and the receiver must open with that one.
public enum AEAD {
    public enum Algorithm: String, CaseIterable, Sendable, Codable {
        /// AES-256 in Galois/Counter Mode, 12-byte nonce (`crypto_aead_aes256gcm`).
        case aes256GCM = "AES-256-GCM"
        /// XChaCha20-Poly1305 (IETF), 24-byte nonce (`crypto_aead_xchacha20poly1305_ietf`).
        case xChaCha20Poly1305 = "XChaCha20-Poly1305"

        /// AES-256-GCM when this CPU can run it, else XChaCha20-Poly1305.
        public static var preferred: Algorithm {
            aes256GCMIsAvailable ? .aes256GCM : .xChaCha20Poly1305
        }

        /// True if libsodium can run this algorithm here.
        public var isAvailable: Bool {
            self == .xChaCha20Poly1305 || Algorithm.aes256GCMIsAvailable
        }

        /// Bytes of key (32 for both).
        public var keyLength: Int { 32 }
        /// Bytes of nonce: 12 for AES-256-GCM, 24 for XChaCha20-Poly1305.
        public var nonceLength: Int { self == .aes256GCM ? 12 : 24 }
        /// Bytes of authentication tag added to each message.
        public var tagLength: Int { 16 }

        /// A random nonce of the right length.
        public func randomNonce() throws(SecurityError) -> [UInt8] {
            try SecureRandom.bytes(count: nonceLength)
        }

        private static let aes256GCMIsAvailable: Bool = {
            guard (try? SecureRandom.initialize()) != nil else { return false }
            return crypto_aead_aes256gcm_is_available() == 1
        }()
    }

    /// Encrypts and authenticates `plaintext`, and authenticates `additionalData`.
    ///
    /// - Returns: the ciphertext followed by the 16-byte tag.
    /// - Throws: `SecurityError.wrongLength` for a key or nonce of the wrong size,
    ///   `.algorithmUnavailable` for AES-256-GCM on a CPU without it.
    public static func seal(
        plaintext: [UInt8], additionalData: [UInt8] = [], nonce: [UInt8], key: SecretBytes,
        algorithm: Algorithm = .preferred
    ) throws(SecurityError) -> [UInt8] {
        try check(nonce: nonce, key: key, algorithm: algorithm)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + algorithm.tagLength)
        var written: UInt64 = 0
        let status = key.withBytePointer { k in
            plaintext.withBytePointer { message in
                additionalData.withBytePointer { ad in
                    nonce.withBytePointer { npub in
                        ciphertext.withMutableBytePointer { output in
                            switch algorithm {
                            case .aes256GCM:
                                return crypto_aead_aes256gcm_encrypt(
                                    output, &written, message, UInt64(plaintext.count),
                                    ad, UInt64(additionalData.count), nil, npub, k)
                            case .xChaCha20Poly1305:
                                return crypto_aead_xchacha20poly1305_ietf_encrypt(
                                    output, &written, message, UInt64(plaintext.count),
                                    ad, UInt64(additionalData.count), nil, npub, k)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else {
            throw SecurityError.sodium(function: algorithm == .aes256GCM
                ? "crypto_aead_aes256gcm_encrypt" : "crypto_aead_xchacha20poly1305_ietf_encrypt", status: status)
        }
        ciphertext.removeLast(ciphertext.count - Int(written))
        return ciphertext
    }

    /// Checks and decrypts a message made by `seal` with the same nonce, key, associated
    /// data and algorithm.
    ///
    /// - Throws: `SecurityError.messageAuthenticationFailed` if anything differs or was
    ///   altered (including a ciphertext shorter than the tag), `.wrongLength` for a key or
    ///   nonce of the wrong size, `.algorithmUnavailable`.
    public static func open(
        ciphertext: [UInt8], additionalData: [UInt8] = [], nonce: [UInt8], key: SecretBytes,
        algorithm: Algorithm = .preferred
    ) throws(SecurityError) -> [UInt8] {
        try check(nonce: nonce, key: key, algorithm: algorithm)
        guard ciphertext.count >= algorithm.tagLength else { throw SecurityError.messageAuthenticationFailed }
        // One spare byte so the output pointer is never null for an empty message.
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count - algorithm.tagLength + 1)
        var written: UInt64 = 0
        let status = key.withBytePointer { k in
            ciphertext.withBytePointer { sealed in
                additionalData.withBytePointer { ad in
                    nonce.withBytePointer { npub in
                        plaintext.withMutableBytePointer { output in
                            switch algorithm {
                            case .aes256GCM:
                                return crypto_aead_aes256gcm_decrypt(
                                    output, &written, nil, sealed, UInt64(ciphertext.count),
                                    ad, UInt64(additionalData.count), npub, k)
                            case .xChaCha20Poly1305:
                                return crypto_aead_xchacha20poly1305_ietf_decrypt(
                                    output, &written, nil, sealed, UInt64(ciphertext.count),
                                    ad, UInt64(additionalData.count), npub, k)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else {
            plaintext.withUnsafeMutableBytes { sodiumWipe($0) }
            throw SecurityError.messageAuthenticationFailed
        }
        plaintext.removeLast(plaintext.count - Int(written))
        return plaintext
    }

    private static func check(nonce: [UInt8], key: SecretBytes, algorithm: Algorithm) throws(SecurityError) {
        try SecureRandom.initialize()
        guard algorithm.isAvailable else { throw SecurityError.algorithmUnavailable(algorithm.rawValue) }
        guard key.count == algorithm.keyLength else {
            throw SecurityError.wrongLength(what: "\(algorithm.rawValue) key", expected: algorithm.keyLength, actual: key.count)
        }
        guard nonce.count == algorithm.nonceLength else {
            throw SecurityError.wrongLength(
                what: "\(algorithm.rawValue) nonce", expected: algorithm.nonceLength, actual: nonce.count)
        }
    }
}
