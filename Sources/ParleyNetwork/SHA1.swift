/// SHA-1 (FIPS 180-4 §6.1) and HMAC-SHA1 (RFC 2104), for TURN REST credentials and
/// STUN MESSAGE-INTEGRITY. No crypto library available to this module has SHA-1
/// (libsodium does not). SHA-1 is broken for collision resistance; HMAC-SHA1 is still
/// what TURN/STUN specify, and that is its only use here.
struct SHA1 {
    static let digestSize = 20
    static let blockSize = 64

    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockCount = 0
    private var totalBytes: UInt64 = 0
    private var w = [UInt32](repeating: 0, count: 80)

    init() {}

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var sha = SHA1()
        sha.update(message)
        return sha.finalize()
    }

    mutating func update(_ bytes: [UInt8]) {
        var i = 0
        while i < bytes.count {
            block[blockCount] = bytes[i]
            blockCount += 1
            i += 1
            if blockCount == 64 {
                compress()
                blockCount = 0
            }
        }
        totalBytes &+= UInt64(bytes.count)
    }

    /// The 20-byte digest. Consumes the state: call once.
    mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        // Padding: 0x80, zeros up to 56 mod 64, then the 64-bit big-endian length.
        var padding: [UInt8] = [0x80]
        let afterMarker = (blockCount + 1) % 64
        let zeros = afterMarker <= 56 ? 56 - afterMarker : 64 + 56 - afterMarker
        padding += [UInt8](repeating: 0, count: zeros)
        for shift in stride(from: 56, through: 0, by: -8) {
            padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        update(padding)
        var digest: [UInt8] = []
        digest.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] {
            for shift in stride(from: 24, through: 0, by: -8) {
                digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
            }
        }
        return digest
    }

    private mutating func compress() {
        for t in 0..<16 {
            w[t] = UInt32(block[4 * t]) << 24 | UInt32(block[4 * t + 1]) << 16
                | UInt32(block[4 * t + 2]) << 8 | UInt32(block[4 * t + 3])
        }
        for t in 16..<80 {
            w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1)
        }
        var (a, b, c, d, e) = h
        for t in 0..<80 {
            let f: UInt32, k: UInt32
            switch t {
            case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
            case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
            case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
            default: f = b ^ c ^ d; k = 0xCA62_C1D6
            }
            let temp = rotl(a, 5) &+ f &+ e &+ k &+ w[t]
            e = d
            d = c
            c = rotl(b, 30)
            b = a
            a = temp
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
    }

    private func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
}

/// HMAC (RFC 2104) with SHA-1.
enum HMACSHA1 {
    static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > SHA1.blockSize ? SHA1.hash(key) : key
        k += [UInt8](repeating: 0, count: SHA1.blockSize - k.count)
        var inner = SHA1()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA1()
        outer.update(k.map { $0 ^ 0x5C })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}
