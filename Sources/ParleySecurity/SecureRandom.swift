import CSodium

/// Cryptographically secure random bytes from libsodium (`randombytes_buf`).
public enum SecureRandom {
    /// `sodium_init()`'s result, computed once (0 first time, 1 if already done, -1 on failure).
    private static let sodiumStatus: Int32 = sodium_init()

    /// Calls `sodium_init()` the first time only.
    static func initialize() throws(SecurityError) {
        guard sodiumStatus >= 0 else { throw SecurityError.sodiumUnavailable }
    }

    /// `count` random bytes.
    public static func bytes(count: Int) throws(SecurityError) -> [UInt8] {
        guard count >= 0 else { throw SecurityError.invalidParameter("cannot make \(count) random bytes; ask for 0 or more") }
        try initialize()
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 { randombytes_buf(base, buffer.count) }
        }
        return result
    }

    /// Fills `buffer` with random bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(SecurityError) {
        try initialize()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }
}

/// Overwrites `buffer` with zeros in a way the compiler does not remove (`sodium_memzero`).
func sodiumWipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    sodium_memzero(base, buffer.count)
}
