import Foundation
@testable import ParleyNetwork
import ParleyTestSupport
import Testing

@Suite("TURN REST credentials, SHA-1 and HMAC-SHA1")
struct TURNCredentialsTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    // FIPS 180-4 / FIPS 180-2 appendix A examples.
    @Test func sha1KnownAnswers() {
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"  // 448 bits
        #expect(hex(SHA1.hash(Array(twoBlocks.utf8))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func sha1OfOneMillionA() {
        // Fed in uneven pieces, so partial blocks are carried across updates.
        var sha = SHA1()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            sha.update([UInt8](repeating: 0x61, count: n))
            left -= n
            piece = piece % 997 + 37
        }
        #expect(hex(sha.finalize()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func sha1PaddingBoundaries() {
        // Lengths around the 55/56/64-byte padding edges, against python3 hashlib.sha1.
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 55))) == "c1c8bbdc22796e28c0e15163d20899b65621d65a")
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 56))) == "c2db330f6083854c99d4b5bfb6e8f29f201be699")
        #expect(hex(SHA1.hash([UInt8](repeating: 0x61, count: 64))) == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }

    // RFC 2202 §3, test cases 1–7.
    @Test(arguments: [
        ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ([UInt8](repeating: 0xAA, count: 20), [UInt8](repeating: 0xDD, count: 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        ((1...25).map { UInt8($0) }, [UInt8](repeating: 0xCD, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        ([UInt8](repeating: 0x0C, count: 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        ([UInt8](repeating: 0xAA, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        ([UInt8](repeating: 0xAA, count: 80),
         Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ])
    func hmacSHA1RFC2202(key: [UInt8], message: [UInt8], expected: String) {
        #expect(hex(HMACSHA1.authenticate(key: key, message: message)) == expected)
    }

    @Test func restCredentialMatchesAnIndependentImplementation() {
        let credentials = TURNCredentials.rest(secret: "secret", user: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(credentials.username == "1700000000:alice")
        // Computed with:
        // python3 -c "import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b'secret', b'1700000000:alice', hashlib.sha1).digest()).decode())"
        #expect(credentials.password == "d8soP47RbdIKLDUOpnJPVQyq5Ts=")
    }

    @Test func validForCountsFromNowInWholeSeconds() {
        let now = Date(timeIntervalSince1970: 1_699_996_400.75)
        let credentials = TURNCredentials.rest(secret: "secret", user: "alice", validFor: 3600, now: now)
        #expect(credentials == TURNCredentials.rest(secret: "secret", user: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_000)))
    }

    @Test func oddDatesDoNotCrash() {
        #expect(TURNCredentials.rest(secret: "s", user: "u", validFor: .infinity).username.hasPrefix("9200000000000000000:"))
        #expect(TURNCredentials.rest(secret: "s", user: "u", validFor: .nan).username == "0:u")
        #expect(TURNCredentials.rest(secret: "", user: "", expiresAt: Date(timeIntervalSince1970: 0)).username == "0:")
    }

    @Test func codableRoundTrip() throws {
        let credentials = TURNCredentials.rest(secret: "secret", user: "bob", validFor: 60)
        let decoded = try JSONDecoder().decode(TURNCredentials.self, from: JSONEncoder().encode(credentials))
        #expect(decoded == credentials)
    }
}
