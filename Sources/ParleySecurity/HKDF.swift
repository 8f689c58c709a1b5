import CSodium

/// HKDF with HMAC-SHA256 (RFC 5869), on libsodium's `crypto_auth_hmacsha256` (keys of
/// any length through the init/update/final calls).
public enum HKDF {
    /// Bytes of HMAC-SHA256 output, and of a pseudorandom key.
    public static let hashLength = 32
    /// The longest output `expand` gives: 255 blocks.
    public static let maximumOutputLength = 255 * hashLength

    /// HKDF-Extract: a 32-byte pseudorandom key from input keying material. An empty salt
    /// stands for 32 zero bytes (RFC 5869 §2.2).
    public static func extract(salt: [UInt8], ikm: [UInt8]) -> [UInt8] {
        let key = salt.isEmpty ? [UInt8](repeating: 0, count: hashLength) : salt
        return hmacSHA256(key: key, parts: [ikm])
    }

    /// HKDF-Expand: `length` bytes of output keying material from a pseudorandom key.
    ///
    /// - Throws: `SecurityError.wrongLength` if `prk` is shorter than 32 bytes,
    ///   `.invalidParameter` if `length` is outside 0...8160.
    public static func expand(prk: [UInt8], info: [UInt8], length: Int) throws(SecurityError) -> [UInt8] {
        guard prk.count >= hashLength else {
            throw SecurityError.wrongLength(what: "HKDF pseudorandom key", expected: hashLength, actual: prk.count)
        }
        guard (0...maximumOutputLength).contains(length) else {
            throw SecurityError.invalidParameter(
                "HKDF-SHA256 cannot expand to \(length) bytes; ask for 0 to \(maximumOutputLength)")
        }
        var output: [UInt8] = []
        output.reserveCapacity(length + hashLength)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            let block = hmacSHA256(key: prk, parts: [previous, info, [counter]])
            previous.withUnsafeMutableBytes { sodiumWipe($0) }
            output.append(contentsOf: block)
            previous = block
            counter &+= 1
        }
        previous.withUnsafeMutableBytes { sodiumWipe($0) }
        if output.count > length {
            output.withUnsafeMutableBytes { sodiumWipe(UnsafeMutableRawBufferPointer(rebasing: $0[length...])) }
            output.removeLast(output.count - length)
        }
        return output
    }

    /// Extract then expand; the intermediate key is wiped.
    public static func derive(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws(SecurityError) -> [UInt8] {
        var prk = extract(salt: salt, ikm: ikm)
        defer { prk.withUnsafeMutableBytes { sodiumWipe($0) } }
        return try expand(prk: prk, info: info, length: length)
    }

    /// HMAC-SHA256 of the concatenation of `parts` under `key` (any length).
    static func hmacSHA256(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        _ = try? SecureRandom.initialize()
        var state = crypto_auth_hmacsha256_state()
        defer { withUnsafeMutableBytes(of: &state) { sodiumWipe($0) } }
        key.withBytePointer { keyBytes in
            _ = crypto_auth_hmacsha256_init(&state, keyBytes, key.count)
        }
        for part in parts where !part.isEmpty {
            part.withBytePointer { bytes in
                _ = crypto_auth_hmacsha256_update(&state, bytes, UInt64(part.count))
            }
        }
        var mac = [UInt8](repeating: 0, count: hashLength)
        mac.withMutableBytePointer { output in
            _ = crypto_auth_hmacsha256_final(&state, output)
        }
        return mac
    }
}
