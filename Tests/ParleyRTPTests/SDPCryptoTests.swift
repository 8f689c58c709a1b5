import Foundation
import Testing
import ParleyRTP

@Suite struct SDPCryptoTests {
    /// RFC 4568 §4's example line.
    static let rfcLine = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32"

    static func sdp(_ cryptoLines: [String], proto: String = "RTP/SAVP") -> String {
        (["v=0", "o=- 0 0 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 49170 \(proto) 0"]
            + cryptoLines).joined(separator: "\r\n") + "\r\n"
    }

    @Test func rfc4568ExampleParsesAndReserializesIdentically() throws {
        let text = Self.sdp([Self.rfcLine])
        let sdp = try SessionDescription.parse(text)
        let crypto = try #require(sdp.media[0].crypto.first)
        #expect(crypto.tag == 1)
        #expect(crypto.suite == .aesCM128HmacSHA1_80)
        #expect(crypto.keys.count == 1)
        let key = crypto.keys[0]
        #expect(key.keyAndSalt.count == 30)
        #expect(key.keyAndSalt == Array(Data(base64Encoded: "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")!))
        #expect(key.lifetime == .powerOfTwo(20))
        #expect(key.lifetime?.packetCount == 1_048_576)
        #expect(key.mki?.value == 1)
        #expect(key.mki?.length == 32)
        #expect(crypto.sessionParameters.isEmpty)
        #expect(sdp.serialized() == text)
        #expect("a=crypto:" + crypto.attributeValue == Self.rfcLine)
    }

    @Test func rfc4568SessionParametersAndSeveralKeysAndDecimalLifetime() throws {
        let line = "a=crypto:7 AES_CM_128_HMAC_SHA1_32 "
            + "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576|1:4;"
            + "inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2|2^20|2:4 KDR=1 UNENCRYPTED_SRTCP WSH=64"
        let sdp = try SessionDescription.parse(Self.sdp([line]))
        let crypto = try #require(sdp.media[0].crypto.first)
        #expect(crypto.tag == 7)
        #expect(crypto.suite == .aesCM128HmacSHA1_32)
        #expect(crypto.keys.map(\.lifetime) == [.packets(1_048_576), .powerOfTwo(20)])
        #expect(crypto.keys.map { $0.mki?.value } == [1, 2])
        #expect(crypto.sessionParameters == ["KDR=1", "UNENCRYPTED_SRTCP", "WSH=64"])
        #expect("a=crypto:" + crypto.attributeValue == line)
    }

    @Test(arguments: SDPCryptoSuite.allCases)
    func everySuiteAcceptsItsLengthAndRefusesOthers(suite: SDPCryptoSuite) throws {
        #expect([SDPCryptoSuite.aesCM128HmacSHA1_80: 30, .aesCM128HmacSHA1_32: 30, .aeadAES128GCM: 28,
                 .aeadAES256GCM: 44][suite] == suite.keyAndSaltLength)
        let good = (0..<suite.keyAndSaltLength).map { UInt8(truncatingIfNeeded: $0 * 37 + 5) }
        let base64 = Data(good).base64EncodedString()
        let line = "a=crypto:3 \(suite.rawValue) inline:\(base64)"
        let sdp = try SessionDescription.parse(Self.sdp([line]))
        #expect(sdp.media[0].crypto.first?.keyAndSalt == good)
        #expect(sdp.media[0].crypto.first?.suite == suite)
        #expect(sdp.serialized().contains(line + "\r\n"))

        for wrong in [suite.keyAndSaltLength - 1, suite.keyAndSaltLength + 2, 16] {
            let bytes = [UInt8](repeating: 0xA5, count: wrong)
            let text = Self.sdp(["a=crypto:3 \(suite.rawValue) inline:\(Data(bytes).base64EncodedString())"])
            #expect {
                try SessionDescription.parse(text)
            } throws: { error in
                guard case .sdp(let number, let reason) = error as? RTPError else { return false }
                return number == 7 && reason.contains("needs \(suite.keyAndSaltLength) bytes")
                    && reason.contains("has \(wrong)")
            }
            #expect(throws: RTPError.self) {
                try SDPCryptoAttribute(suite: suite, keyAndSalt: bytes)
            }
        }
        let attribute = try SDPCryptoAttribute(tag: 3, suite: suite, keyAndSalt: good)
        #expect("a=crypto:" + attribute.attributeValue == line)
    }

    @Test func gcmKeyFromRFC7714IsTwentyEightBytesWithPadding() throws {
        // RFC 7714 §16's AES-128-GCM test key and salt.
        let key: [UInt8] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]
        let salt: [UInt8] = [0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f]
        let attribute = try SDPCryptoAttribute(suite: .aeadAES128GCM, keyAndSalt: key + salt)
        #expect(attribute.attributeValue == "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0OD1F1aWQgcHJvIHF1bw==")
        // Without the padding, as some senders write it, the same key is read.
        let unpadded = Self.sdp(["a=crypto:1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0OD1F1aWQgcHJvIHF1bw"])
        #expect(try SessionDescription.parse(unpadded).media[0].crypto.first?.keyAndSalt == key + salt)
    }

    @Test func base64AgreesWithFoundationForEveryLength() throws {
        var generator = SplitMix64(seed: 4568)
        for length in 1...64 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let key = SDPCryptoKey(keyAndSalt: bytes)
            #expect(key.keyParameter == "inline:" + Data(bytes).base64EncodedString())
        }
    }

    @Test func keysNeverAppearInDescriptionsOrErrors() throws {
        let sdp = try SessionDescription.parse(Self.sdp([Self.rfcLine]))
        let crypto = try #require(sdp.media[0].crypto.first)
        #expect(!String(describing: crypto.keys[0]).contains("PS1uQ"))
        #expect(!String(reflecting: crypto.keys[0]).contains("61"))
        #expect(String(describing: crypto.keys[0]).contains("redacted"))
        let bad = Self.sdp(["a=crypto:1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20"])
        do {
            _ = try SessionDescription.parse(bad)
            Issue.record("a 30-byte key for a 28-byte suite was accepted")
        } catch {
            #expect(!error.description.contains("PS1uQ"))
            #expect(error.description.contains("AEAD_AES_128_GCM needs 28 bytes"))
        }
    }

    @Test func unknownSuitesAreKeptNotFatal() throws {
        let lines = ["a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:not-checked-at-all",
                     "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"]
        let sdp = try SessionDescription.parse(Self.sdp(lines))
        #expect(sdp.media[0].crypto.map(\.tag) == [2])
        #expect(sdp.media[0].otherLines.map(\.text) == [lines[0]])
        #expect(try SessionDescription.parse(sdp.serialized()) == sdp)
    }
}

/// A small seeded generator (SplitMix64) for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
