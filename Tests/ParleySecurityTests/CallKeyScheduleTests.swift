import ParleySecurity
import Testing

/// The per-call key schedule (design.md "Keys") and the short authentication string.
///
/// The fixed vectors below were computed by an independent implementation (Python:
/// `cryptography`'s X25519 over OpenSSL, `hashlib`/`hmac` for SHA-256 and HKDF), so another
/// implementation can interoperate:
///
/// - caller ephemeral private key: 32 × 0x01; callee ephemeral private key: 32 × 0x02
/// - contact root: a0 a1 … bf (32 bytes); call id: 00 01 … 0f (16 bytes)
/// - transcript: ["offer: parley v1 audio opus", "answer: parley v1 audio opus"] (UTF-8),
///   each prefixed by its 4-byte big-endian length, SHA-256
/// - SRTP vectors for sender SSRC 0x12345678.
@Suite("Call key schedule")
struct CallKeyScheduleTests {
    static let callerPrivate = [UInt8](repeating: 0x01, count: 32)
    static let calleePrivate = [UInt8](repeating: 0x02, count: 32)
    static let root = [UInt8](0xa0...0xbf)
    static let callID = [UInt8](0x00...0x0f)
    static let transcript: [[UInt8]] = [Array("offer: parley v1 audio opus".utf8), Array("answer: parley v1 audio opus".utf8)]
    static let ssrc: UInt32 = 0x1234_5678

    static let callerPublicHex = "a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209"
    static let calleePublicHex = "ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59"
    static let sharedHex = "2ed76ab549b1e73c031eb49c9448f0798aea81b698279a0c3dc3e49fbfc4b953"
    static let transcriptHashHex = "bad510e329edba2312b56b5583c7da9c032d7ac9944ad482c197a8c7d1bbb18a"
    static let callSecretHex = "98e061ed16dd5bbe732db85483a7c99ef21cbf8e6bdfd60fd8d674c4cedd26bc"
    static let srtpVectors: [(SRTPSuite, CallKeySchedule.Direction, String)] = [
        (.aeadAES128GCM, .callerToCallee, "ec0fede4815a1ab2ce9555dc79d9c811f96be36a5587ca4190d82d5a"),
        (.aeadAES128GCM, .calleeToCaller, "5dfafb43a564ae3c103338cea9b2fe26754e18efb1a2862a83813a7a"),
        (.aeadAES256GCM, .callerToCallee,
         "0461e9015e752e81845e5d14f89285b4ff9e487d34d37332a0b22e0c3fbf4be48c8b8298b41f6a63409560c2"),
        (.aeadAES256GCM, .calleeToCaller,
         "304dd2cec70ec878c6b317992414f055f64a6995019dfb7adae0e1434c7d953fb7d8b2ba0574eeca9483bdd4"),
        (.aesCM128HmacSHA1_80, .callerToCallee, "4f38bc66e6637101dbcc14660ee10f49f4994d1328fbcb3bef9c6d53b548"),
        (.aesCM128HmacSHA1_80, .calleeToCaller, "38863b10234eec1b8c8a3f140332eea9bac8c4d40329eba854b585d25bc4"),
        (.aesCM128HmacSHA1_32, .callerToCallee, "2a0550801cb6012a187df8318bea6b480c6bdc38b80010ebe1b5b2b02e95"),
        (.aesCM128HmacSHA1_32, .calleeToCaller, "4ded039075adf698e00e5d7ff0e492f6c507dccf26e3f7c6a92a0b330c5e"),
    ]
    static let sasIndices = [88, 228, 150, 84, 177]
    static let sasWords = ["copper", "spoon", "jacket", "cobra", "museum"]

    static func toHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// Both ends of a call, from fixed or random inputs.
    static func pair(
        callerKey: [UInt8]? = nil, calleeKey: [UInt8]? = nil, root: [UInt8] = root, callID: [UInt8] = callID,
        transcriptHash: [UInt8] = CallKeySchedule.transcriptHash(transcript)
    ) throws -> (caller: CallKeySchedule, callee: CallKeySchedule) {
        let a = try callerKey.map { SecretBytes(copying: $0) } ?? SecretBytes(random: 32)
        let b = try calleeKey.map { SecretBytes(copying: $0) } ?? SecretBytes(random: 32)
        let publicA = try X25519.publicKey(privateKey: a)
        let publicB = try X25519.publicKey(privateKey: b)
        let caller = try CallKeySchedule(
            ephemeralPrivateKey: a, peerEphemeralPublicKey: publicB, contactRoot: SecretBytes(copying: root),
            callID: callID, transcriptHash: transcriptHash, role: .caller)
        let callee = try CallKeySchedule(
            ephemeralPrivateKey: b, peerEphemeralPublicKey: publicA, contactRoot: SecretBytes(copying: root),
            callID: callID, transcriptHash: transcriptHash, role: .callee)
        return (caller, callee)
    }

    @Test("Fixed-input vectors: transcript hash, call secret, SRTP keys per suite and direction, SAS words")
    func callKeyScheduleFixedVectors() throws {
        #expect(Self.toHex(try X25519.publicKey(privateKey: SecretBytes(copying: Self.callerPrivate))) == Self.callerPublicHex)
        #expect(Self.toHex(try X25519.publicKey(privateKey: SecretBytes(copying: Self.calleePrivate))) == Self.calleePublicHex)
        #expect(Self.toHex(CallKeySchedule.transcriptHash(Self.transcript)) == Self.transcriptHashHex)

        let (caller, callee) = try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate)
        #expect(Self.toHex(caller.callSecret.copyBytes()) == Self.callSecretHex)
        #expect(Self.toHex(callee.callSecret.copyBytes()) == Self.callSecretHex)
        for (suite, direction, expected) in Self.srtpVectors {
            let fromCaller = try caller.srtpKeyingMaterial(suite: suite, senderSSRC: Self.ssrc, direction: direction)
            let fromCallee = try callee.srtpKeyingMaterial(suite: suite, senderSSRC: Self.ssrc, direction: direction)
            #expect(fromCaller.count == suite.keyingMaterialLength)
            #expect(Self.toHex(fromCaller.copyBytes()) == expected, "\(suite) \(direction)")
            #expect(fromCaller == fromCallee)
        }
        #expect(caller.shortAuthenticationString.indices == Self.sasIndices)
        #expect(caller.shortAuthenticationString.words == Self.sasWords)
        #expect(callee.shortAuthenticationString == caller.shortAuthenticationString)
        #expect(caller.shortAuthenticationString.description == "copper spoon jacket cobra museum")
    }

    @Test("The vector re-derived step by step from X25519 and HKDF extract/expand")
    func callKeyScheduleVectorFromPrimitives() throws {
        let shared = try X25519.sharedSecret(
            privateKey: SecretBytes(copying: Self.callerPrivate), publicKey: hex(Self.calleePublicHex))
        #expect(Self.toHex(shared.copyBytes()) == Self.sharedHex)
        let transcriptHash = hex(Self.transcriptHashHex)
        let prk = HKDF.extract(salt: Self.root, ikm: shared.copyBytes())
        let info = Array("parley call v1".utf8) + Self.callID + transcriptHash
        let callSecret = try HKDF.expand(prk: prk, info: info, length: 32)
        #expect(Self.toHex(callSecret) == Self.callSecretHex)

        // AEAD_AES_128_GCM, caller→callee (0x01), SSRC 0x12345678.
        let srtpInfo = Array("parley srtp v1".utf8) + Array("AEAD_AES_128_GCM".utf8) + [0x01, 0x12, 0x34, 0x56, 0x78]
        #expect(CallKeySchedule.srtpInfo(suite: .aeadAES128GCM, senderSSRC: Self.ssrc, direction: .callerToCallee) == srtpInfo)
        #expect(Self.toHex(try HKDF.expand(prk: callSecret, info: srtpInfo, length: 28)) == Self.srtpVectors[0].2)
        let sas = try HKDF.expand(prk: callSecret, info: Array("parley sas v1".utf8), length: 5)
        #expect(sas.map { Int($0) } == Self.sasIndices)
        #expect(sas.map { SASWordList.words[Int($0)] } == Self.sasWords)
    }

    @Test("Both sides agree on every key with generated ephemerals; our send key is their receive key")
    func callKeyScheduleBothSidesAgree() throws {
        let (caller, callee) = try Self.pair(root: [UInt8](repeating: 7, count: 32))
        #expect(caller.callSecret == callee.callSecret)
        #expect(caller.shortAuthenticationString == callee.shortAuthenticationString)
        #expect(caller.sendingDirection == .callerToCallee && callee.sendingDirection == .calleeToCaller)
        for suite in SRTPSuite.allCases {
            for ssrc: UInt32 in [0, 1, 0xdead_beef, .max] {
                #expect(try caller.outboundKeyingMaterial(suite: suite, ssrc: ssrc) == callee.inboundKeyingMaterial(suite: suite, ssrc: ssrc))
                #expect(try callee.outboundKeyingMaterial(suite: suite, ssrc: ssrc) == caller.inboundKeyingMaterial(suite: suite, ssrc: ssrc))
            }
        }
    }

    @Test("Different SSRCs, directions and suites give different keys")
    func callKeyScheduleKeysAreDistinct() throws {
        let (caller, _) = try Self.pair()
        var seen = Set<[UInt8]>()
        var total = 0
        for suite in SRTPSuite.allCases {
            for direction in CallKeySchedule.Direction.allCases {
                for ssrc: UInt32 in [0, 1, 2, 0x0100_0000, .max] {
                    let key = try caller.srtpKeyingMaterial(suite: suite, senderSSRC: ssrc, direction: direction).copyBytes()
                    seen.insert(Array(key.prefix(16)))  // compare the master keys alone as well
                    total += 1
                }
            }
        }
        #expect(seen.count == total)
    }

    @Test("A different transcript, call id, root or peer key changes the call secret, keys and SAS")
    func callKeyScheduleInputsBind() throws {
        let base = try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate).caller
        var otherID = Self.callID
        otherID[15] ^= 1
        var otherRoot = Self.root
        otherRoot[0] ^= 0x80
        let variants = [
            try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate,
                          transcriptHash: CallKeySchedule.transcriptHash(Self.transcript + [[]])).caller,
            try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate,
                          transcriptHash: CallKeySchedule.transcriptHash(Self.transcript.reversed())).caller,
            try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate, callID: otherID).caller,
            try Self.pair(callerKey: Self.callerPrivate, calleeKey: Self.calleePrivate, root: otherRoot).caller,
            try Self.pair(callerKey: Self.callerPrivate, calleeKey: [UInt8](repeating: 3, count: 32)).caller,
        ]
        let baseKey = try base.srtpKeyingMaterial(suite: .default, senderSSRC: Self.ssrc, direction: .callerToCallee)
        for variant in variants {
            #expect(variant.callSecret != base.callSecret)
            #expect(try variant.srtpKeyingMaterial(suite: .default, senderSSRC: Self.ssrc, direction: .callerToCallee) != baseKey)
            #expect(variant.shortAuthenticationString != base.shortAuthenticationString)
        }
        // Length prefixes: moving a byte between messages changes the hash.
        #expect(CallKeySchedule.transcriptHash([[1, 2], [3]]) != CallKeySchedule.transcriptHash([[1], [2, 3]]))
    }

    @Test("wipe() zeroes the call secret and our ephemeral private key, and refuses new keys")
    func callKeyScheduleWipe() throws {
        let ephemeral = try SecretBytes(random: 32)
        let peer = try X25519.generateKeyPair()
        let schedule = try CallKeySchedule(
            ephemeralPrivateKey: ephemeral, peerEphemeralPublicKey: peer.publicKey,
            contactRoot: SecretBytes(random: 32), callID: [UInt8](repeating: 9, count: 16),
            transcriptHash: CallKeySchedule.transcriptHash([[1]]), role: .callee)
        let sas = schedule.shortAuthenticationString
        #expect(schedule.callSecret.copyBytes() != [UInt8](repeating: 0, count: 32))
        schedule.wipe()
        #expect(schedule.isWiped)
        #expect(schedule.callSecret.copyBytes() == [UInt8](repeating: 0, count: 32))
        #expect(ephemeral.copyBytes() == [UInt8](repeating: 0, count: 32))
        #expect(throws: SecurityError.self) {
            try schedule.srtpKeyingMaterial(suite: .default, senderSSRC: 1, direction: .callerToCallee)
        }
        #expect(schedule.shortAuthenticationString == sas)  // kept for the call report
        schedule.wipe()  // idempotent
    }

    @Test("Inputs of the wrong size and low-order peer keys are refused")
    func callKeyScheduleRefusesBadInputs() throws {
        let key = try SecretBytes(random: 32)
        let peer = try X25519.generateKeyPair().publicKey
        let root = try SecretBytes(random: 32)
        let th = CallKeySchedule.transcriptHash([])
        let id = [UInt8](repeating: 0, count: 16)
        #expect(throws: SecurityError.self) {
            try CallKeySchedule(ephemeralPrivateKey: key, peerEphemeralPublicKey: peer, contactRoot: SecretBytes(copying: [1]),
                                callID: id, transcriptHash: th, role: .caller)
        }
        #expect(throws: SecurityError.self) {
            try CallKeySchedule(ephemeralPrivateKey: key, peerEphemeralPublicKey: peer, contactRoot: root,
                                callID: [1, 2, 3], transcriptHash: th, role: .caller)
        }
        #expect(throws: SecurityError.self) {
            try CallKeySchedule(ephemeralPrivateKey: key, peerEphemeralPublicKey: peer, contactRoot: root,
                                callID: id, transcriptHash: [0], role: .caller)
        }
        #expect(throws: SecurityError.lowOrderPublicKey) {
            try CallKeySchedule(ephemeralPrivateKey: key, peerEphemeralPublicKey: [UInt8](repeating: 0, count: 32),
                                contactRoot: root, callID: id, transcriptHash: th, role: .caller)
        }
    }

    @Test("ShortAuthenticationString: 100 random calls give at least 99 distinct SAS")
    func shortAuthenticationStringDiffersAcrossCalls() throws {
        var seen = Set<ShortAuthenticationString>()
        for _ in 0..<100 {
            let (caller, callee) = try Self.pair(root: [UInt8](repeating: 5, count: 32))
            #expect(caller.shortAuthenticationString == callee.shortAuthenticationString)
            #expect(caller.shortAuthenticationString.words.count == 5)
            seen.insert(caller.shortAuthenticationString)
        }
        #expect(seen.count >= 99)
    }

    @Test("ShortAuthenticationString word list: 256 distinct, short, lowercase words")
    func shortAuthenticationStringWordList() {
        let words = SASWordList.words
        #expect(words.count == 256)
        #expect(Set(words).count == words.count)
        #expect(words == words.sorted())
        for word in words {
            #expect((3...7).contains(word.count), "\(word)")
            #expect(word.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }, "\(word)")
        }
    }
}
