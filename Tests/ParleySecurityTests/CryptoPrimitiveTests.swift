import ParleySecurity
import Testing

/// Known-answer and misuse tests for the contact-and-key primitives: SecretBytes, HKDF,
/// X25519, Ed25519, AEAD and PasswordKey.
@Suite("Crypto primitives")
struct CryptoPrimitiveTests {
    // MARK: SecretBytes

    @Test("SecretBytes copies, compares in constant time, wipes and never prints its bytes")
    func secretBytesBasics() throws {
        let a = SecretBytes(copying: [1, 2, 3, 4])
        let b = SecretBytes(copying: [1, 2, 3, 4], guarded: false)
        let c = SecretBytes(copying: [1, 2, 3, 5])
        #expect(a.count == 4)
        #expect(!b.isGuarded)
        #expect(a == b)
        #expect(a != c)
        #expect(a != SecretBytes(copying: [1, 2, 3]))
        #expect(a.copyBytes() == [1, 2, 3, 4])
        #expect(a.withUnsafeBytes { Array($0) } == [1, 2, 3, 4])
        #expect("\(a)" == "SecretBytes(4 bytes)")
        #expect(String(reflecting: a) == "SecretBytes(4 bytes)")
        var dumped = ""
        dump(a, to: &dumped)
        #expect(!dumped.contains("1, 2, 3"))
        a.wipe()
        #expect(a.copyBytes() == [0, 0, 0, 0])
        #expect(a.count == 4)
        let empty = SecretBytes(copying: [])
        #expect(empty.count == 0)
        #expect(empty == SecretBytes(copying: []))
    }

    @Test("SecretBytes(random:) gives distinct bytes and refuses a negative count")
    func secretBytesRandom() throws {
        let x = try SecretBytes(random: 32)
        let y = try SecretBytes(random: 32)
        #expect(x.count == 32)
        #expect(x != y)
        #expect(throws: SecurityError.self) { try SecretBytes(random: -1) }
    }

    // MARK: HKDF (RFC 5869 Appendix A)

    @Test("HKDF-SHA256 RFC 5869 A.1: basic test case")
    func hkdfCase1() throws {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let salt = hex("000102030405060708090a0b0c")
        let info = hex("f0f1f2f3f4f5f6f7f8f9")
        let prk = HKDF.extract(salt: salt, ikm: ikm)
        #expect(prk == hex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"))
        let okm = hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        #expect(try HKDF.expand(prk: prk, info: info, length: 42) == okm)
        #expect(try HKDF.derive(ikm: ikm, salt: salt, info: info, length: 42) == okm)
    }

    @Test("HKDF-SHA256 RFC 5869 A.2: longer inputs and outputs")
    func hkdfCase2() throws {
        let ikm = (0x00...0x4f).map { UInt8($0) }
        let salt = (0x60...0xaf).map { UInt8($0) }
        let info = (0xb0...0xff).map { UInt8($0) }
        let prk = HKDF.extract(salt: salt, ikm: ikm)
        #expect(prk == hex("06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"))
        let okm = hex(
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                + "cc30c58179ec3e87c14c01d5c1f3434f1d87")
        #expect(try HKDF.expand(prk: prk, info: info, length: 82) == okm)
        #expect(try HKDF.derive(ikm: ikm, salt: salt, info: info, length: 82) == okm)
    }

    @Test("HKDF-SHA256 RFC 5869 A.3: empty salt and info")
    func hkdfCase3() throws {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let prk = HKDF.extract(salt: [], ikm: ikm)
        #expect(prk == hex("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"))
        let okm = hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        #expect(try HKDF.expand(prk: prk, info: [], length: 42) == okm)
        #expect(try HKDF.derive(ikm: ikm, salt: [], info: [], length: 42) == okm)
    }

    @Test("HKDF refuses a short PRK and lengths beyond 255 blocks")
    func hkdfLimits() throws {
        let prk = [UInt8](repeating: 7, count: 32)
        #expect(try HKDF.expand(prk: prk, info: [], length: 8160).count == 8160)
        #expect(try HKDF.expand(prk: prk, info: [], length: 0).isEmpty)
        #expect(throws: SecurityError.self) { try HKDF.expand(prk: prk, info: [], length: 8161) }
        #expect(throws: SecurityError.self) { try HKDF.expand(prk: prk, info: [], length: -1) }
        #expect(throws: SecurityError.wrongLength(what: "HKDF pseudorandom key", expected: 32, actual: 16)) {
            try HKDF.expand(prk: Array(prk[..<16]), info: [], length: 32)
        }
    }

    // MARK: X25519 (RFC 7748 §6.1)

    @Test("X25519 RFC 7748 §6.1: Alice and Bob agree on the published shared secret")
    func x25519Vector() throws {
        let alicePrivate = SecretBytes(copying: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let bobPrivate = SecretBytes(copying: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        let bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(try X25519.publicKey(privateKey: alicePrivate) == alicePublic)
        #expect(try X25519.publicKey(privateKey: bobPrivate) == bobPublic)
        #expect(try X25519.sharedSecret(privateKey: alicePrivate, publicKey: bobPublic).copyBytes() == shared)
        #expect(try X25519.sharedSecret(privateKey: bobPrivate, publicKey: alicePublic).copyBytes() == shared)
    }

    @Test("X25519 generated pairs agree; low-order points and wrong sizes are refused")
    func x25519Generated() throws {
        let a = try X25519.generateKeyPair()
        let b = try X25519.generateKeyPair()
        #expect(a.publicKey.count == 32)
        #expect(a.privateKey.count == 32)
        #expect(try X25519.sharedSecret(privateKey: a.privateKey, publicKey: b.publicKey)
            == X25519.sharedSecret(privateKey: b.privateKey, publicKey: a.publicKey))
        #expect(throws: SecurityError.lowOrderPublicKey) {
            try X25519.sharedSecret(privateKey: a.privateKey, publicKey: [UInt8](repeating: 0, count: 32))
        }
        // The point of order 1 (u = 1) also gives the all-zero result.
        #expect(throws: SecurityError.lowOrderPublicKey) {
            try X25519.sharedSecret(privateKey: a.privateKey, publicKey: [1] + [UInt8](repeating: 0, count: 31))
        }
        #expect(throws: SecurityError.wrongLength(what: "X25519 public key", expected: 32, actual: 31)) {
            try X25519.sharedSecret(privateKey: a.privateKey, publicKey: Array(b.publicKey.prefix(31)))
        }
        #expect(throws: SecurityError.self) {
            try X25519.sharedSecret(privateKey: SecretBytes(copying: [1, 2, 3]), publicKey: b.publicKey)
        }
    }

    // MARK: Ed25519 (RFC 8032 §7.1)

    @Test("Ed25519 RFC 8032 §7.1 TEST 1 and TEST 2: public keys and signatures byte-exact")
    func ed25519Vectors() throws {
        let vectors: [(seed: String, publicKey: String, message: String, signature: String)] = [
            ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
             "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
             "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
             "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
             "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ]
        for vector in vectors {
            let pair = try Ed25519.keyPair(seed: SecretBytes(copying: hex(vector.seed)))
            #expect(pair.publicKey == hex(vector.publicKey))
            let message = hex(vector.message)
            let signature = try Ed25519.sign(message: message, secretKey: pair.secretKey)
            #expect(signature == hex(vector.signature))
            #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
            #expect(!Ed25519.verify(signature: signature, message: message + [0], publicKey: pair.publicKey))
        }
    }

    @Test("Ed25519 refuses tampered messages and signatures, other keys and wrong sizes")
    func ed25519Tampering() throws {
        let pair = try Ed25519.generateKeyPair()
        let other = try Ed25519.generateKeyPair()
        let message = Array("parley invitation".utf8)
        let signature = try Ed25519.sign(message: message, secretKey: pair.secretKey)
        #expect(signature.count == 64)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: pair.publicKey))
        var tamperedMessage = message
        tamperedMessage[0] ^= 1
        #expect(!Ed25519.verify(signature: signature, message: tamperedMessage, publicKey: pair.publicKey))
        var tamperedSignature = signature
        tamperedSignature[10] ^= 0x80
        #expect(!Ed25519.verify(signature: tamperedSignature, message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: other.publicKey))
        #expect(!Ed25519.verify(signature: Array(signature.prefix(63)), message: message, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: message, publicKey: []))
        #expect(throws: SecurityError.wrongLength(what: "Ed25519 secret key", expected: 64, actual: 32)) {
            try Ed25519.sign(message: message, secretKey: SecretBytes(copying: [UInt8](repeating: 1, count: 32)))
        }
        #expect(throws: SecurityError.self) { try Ed25519.keyPair(seed: SecretBytes(copying: [1])) }
    }

    // MARK: AEAD

    /// The algorithms this machine runs (AES-256-GCM only with hardware support).
    static let algorithms = AEAD.Algorithm.allCases.filter(\.isAvailable)

    @Test("AEAD round trip; tampered ciphertext, AD, nonce and key fail", arguments: algorithms)
    func aeadRoundTrip(algorithm: AEAD.Algorithm) throws {
        let key = try SecretBytes(random: 32)
        let nonce = try algorithm.randomNonce()
        #expect(nonce.count == algorithm.nonceLength)
        let plaintext = Array("the call secret never leaves this process".utf8)
        let ad = Array("header".utf8)
        let sealed = try AEAD.seal(plaintext: plaintext, additionalData: ad, nonce: nonce, key: key, algorithm: algorithm)
        #expect(sealed.count == plaintext.count + 16)
        #expect(try AEAD.open(ciphertext: sealed, additionalData: ad, nonce: nonce, key: key, algorithm: algorithm) == plaintext)

        var tampered = sealed
        tampered[3] ^= 1
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: tampered, additionalData: ad, nonce: nonce, key: key, algorithm: algorithm)
        }
        var tamperedTag = sealed
        tamperedTag[tamperedTag.count - 1] ^= 1
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: tamperedTag, additionalData: ad, nonce: nonce, key: key, algorithm: algorithm)
        }
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: sealed, additionalData: ad + [0], nonce: nonce, key: key, algorithm: algorithm)
        }
        var otherNonce = nonce
        otherNonce[0] ^= 1
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: sealed, additionalData: ad, nonce: otherNonce, key: key, algorithm: algorithm)
        }
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: sealed, additionalData: ad, nonce: nonce, key: try SecretBytes(random: 32), algorithm: algorithm)
        }
        #expect(throws: SecurityError.messageAuthenticationFailed) {
            try AEAD.open(ciphertext: Array(sealed.prefix(15)), additionalData: ad, nonce: nonce, key: key, algorithm: algorithm)
        }
        let error = SecurityError.messageAuthenticationFailed.description
        #expect(error.hasPrefix("message authentication failed: wrong key, or the message was altered"))
    }

    @Test("AEAD empty message, wrong key and nonce sizes", arguments: algorithms)
    func aeadEdgeCases(algorithm: AEAD.Algorithm) throws {
        let key = try SecretBytes(random: 32)
        let nonce = try algorithm.randomNonce()
        let sealed = try AEAD.seal(plaintext: [], nonce: nonce, key: key, algorithm: algorithm)
        #expect(sealed.count == 16)
        #expect(try AEAD.open(ciphertext: sealed, nonce: nonce, key: key, algorithm: algorithm).isEmpty)
        #expect(throws: SecurityError.self) {
            try AEAD.seal(plaintext: [1], nonce: nonce, key: SecretBytes(copying: [1, 2]), algorithm: algorithm)
        }
        #expect(throws: SecurityError.self) {
            try AEAD.seal(plaintext: [1], nonce: Array(nonce.dropLast()), key: key, algorithm: algorithm)
        }
        #expect(throws: SecurityError.self) {
            try AEAD.open(ciphertext: sealed, nonce: nonce + [0], key: key, algorithm: algorithm)
        }
    }

    @Test("AEAD picks AES-256-GCM only where the CPU has it")
    func aeadPreferred() {
        #expect(AEAD.Algorithm.preferred.isAvailable)
        #expect(AEAD.Algorithm.xChaCha20Poly1305.isAvailable)
        #expect(AEAD.Algorithm.aes256GCM.nonceLength == 12)
        #expect(AEAD.Algorithm.xChaCha20Poly1305.nonceLength == 24)
    }

    @Test("XChaCha20-Poly1305 draft-irtf-cfrg-xchacha A.3.1 vector")
    func xChaChaVector() throws {
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let ad = hex("50515253c0c1c2c3c4c5c6c7")
        let key = SecretBytes(copying: hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"))
        let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657")
        let expected = hex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
                + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
                + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
                + "21f9664c97637da9768812f615c68b13b52e"
                + "c0875924c1c7987947deafd8780acf49")
        let sealed = try AEAD.seal(
            plaintext: plaintext, additionalData: ad, nonce: nonce, key: key, algorithm: .xChaCha20Poly1305)
        #expect(sealed == expected)
        #expect(try AEAD.open(
            ciphertext: expected, additionalData: ad, nonce: nonce, key: key, algorithm: .xChaCha20Poly1305) == plaintext)
    }

    // MARK: PasswordKey (Argon2id)

    @Test("PasswordKey is deterministic and depends on passphrase and salt")
    func passwordKey() throws {
        let salt = [UInt8](repeating: 0x11, count: 16)
        let otherSalt = [UInt8](repeating: 0x22, count: 16)
        let key = try PasswordKey.derive(passphrase: "correct horse battery staple", salt: salt)
        #expect(key.count == 32)
        #expect(try PasswordKey.derive(passphrase: "correct horse battery staple", salt: salt) == key)
        #expect(try PasswordKey.derive(passphrase: "correct horse battery staple", salt: otherSalt) != key)
        #expect(try PasswordKey.derive(passphrase: "correct horse battery stapler", salt: salt) != key)
        #expect(try PasswordKey.derive(passphrase: "", salt: salt).count == 32)
        #expect(throws: SecurityError.wrongLength(what: "Argon2id salt", expected: 16, actual: 8)) {
            try PasswordKey.derive(passphrase: "x", salt: Array(salt.prefix(8)))
        }
    }
}

extension AEAD.Algorithm: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
