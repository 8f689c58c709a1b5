import CSodium

/// Secret bytes (keys, seeds, shared secrets) held outside Swift arrays, so that they can
/// be wiped: in memory from `sodium_malloc` (guard pages, canary, `mlock`) or a plain
/// allocation, overwritten with zeros (`sodium_memzero`) by `wipe()` and on deinit.
///
/// Comparison is constant-time (`sodium_memcmp`). The bytes never appear in
/// `description`, `debugDescription` or a mirror (`dump`, string interpolation): only
/// their count does.
///
/// Not thread-safe for `wipe()` against concurrent reads; share read-only.
public final class SecretBytes: Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Bytes held.
    public let count: Int
    /// True when the memory came from `sodium_malloc` (guarded pages).
    public let isGuarded: Bool
    private let storage: UnsafeMutableRawPointer

    /// Allocates `count` zeroed bytes (at least one byte is allocated).
    private init(zeroedCount count: Int, guarded: Bool) {
        self.count = count
        let size = Swift.max(count, 1)
        if guarded, (try? SecureRandom.initialize()) != nil, let pointer = sodium_malloc(size) {
            storage = pointer
            isGuarded = true
        } else {
            storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            isGuarded = false
        }
        sodium_memzero(storage, size)
    }

    /// A copy of `bytes`. Wipe the source yourself if it was secret.
    public convenience init(copying bytes: [UInt8], guarded: Bool = true) {
        self.init(zeroedCount: bytes.count, guarded: guarded)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, source.count > 0 { storage.copyMemory(from: base, byteCount: source.count) }
        }
    }

    /// `count` random bytes (`randombytes_buf`).
    public convenience init(random count: Int, guarded: Bool = true) throws(SecurityError) {
        guard count >= 0 else {
            throw SecurityError.invalidParameter("cannot make \(count) random secret bytes; ask for 0 or more")
        }
        try SecureRandom.initialize()
        self.init(zeroedCount: count, guarded: guarded)
        if count > 0 { randombytes_buf(storage, count) }
    }

    /// `count` zero bytes for a C call to fill (through `withUnsafeMutableBytes`).
    static func zeroed(count: Int, guarded: Bool = true) -> SecretBytes {
        SecretBytes(zeroedCount: count, guarded: guarded)
    }

    deinit {
        if isGuarded {
            sodium_free(storage)  // zeroes before freeing
        } else {
            sodium_memzero(storage, Swift.max(count, 1))
            storage.deallocate()
        }
    }

    /// Overwrites the bytes with zeros. `count` stays the same.
    public func wipe() {
        sodium_memzero(storage, Swift.max(count, 1))
    }

    /// Calls `body` with the bytes. Do not let the pointer escape, nor copy the bytes into
    /// something that outlives the call without wiping it.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// Calls `body` with the bytes, writable.
    func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: storage, count: count))
    }

    /// A copy of the bytes as an array (for tests and for handing a key to a C library
    /// that takes arrays). The caller owns wiping it.
    public func copyBytes() -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// Constant-time comparison (for equal counts; different counts are unequal).
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return sodium_memcmp(lhs.storage, rhs.storage, lhs.count) == 0
    }

    public var description: String { "SecretBytes(\(count) bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["count": count]) }
}
