import CSodium

/// Secret bytes (keys, seeds, shared secrets) held outside Swift arrays, so that they can
/// be wiped: overwritten with zeros (`sodium_memzero`) by `wipe()` and on deinit, before the
/// memory is given back.
///
/// Where the bytes live (`guarded`, the default):
/// - up to 64 bytes (every key, seed, shared secret and SRTP keying material Parley
///   makes): a 64-byte slot of `SecretSlotPool`, in a slab from one `sodium_malloc`
///   shared by up to 63 secrets (one 4 KiB page): locked in memory (`mlock`: never
///   written to swap; `MADV_DONTDUMP` where available), a guard page before and after the
///   slab, a canary in front of it. A slot is zeroed before it goes back to the pool, so
///   freed memory never holds a secret.
/// - more than 64 bytes: its own `sodium_malloc` (guard pages right around it, canary,
///   `mlock`).
///
/// The trade-off of the pool: per-secret `sodium_malloc` cost about 22 µs (mmap, mprotect,
/// mlock…, munlock and munmap when freed) and a locked page per secret, which made the
/// secrets of one call setup cost hundreds of µs and exhausts a small `RLIMIT_MEMLOCK`
/// quickly. A pooled secret costs a mutex and a bit scan. What is lost: a secret's own
/// guard pages. An overflow or underflow out of one secret that stays inside its slab
/// reaches a neighbouring secret instead of faulting; only the slab's edges fault (guard
/// pages) or abort at `sodium_free` (canary). Locking, zeroing and exclusion from swap
/// are unchanged. Nothing in Parley writes a secret except through its own bounds.
///
/// With `guarded: false`, or if libsodium cannot map memory: a plain allocation, zeroed
/// likewise, but swappable.
///
/// Comparison is constant-time (`sodium_memcmp`). The bytes never appear in
/// `description`, `debugDescription` or a mirror (`dump`, string interpolation): only
/// their count does.
///
/// Not thread-safe for `wipe()` against concurrent reads; share read-only.
public final class SecretBytes: Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Where the bytes are.
    enum Storage {
        /// A `SecretSlotPool` slot (locked, in a guarded slab).
        case pooled
        /// Its own `sodium_malloc` (guard pages, canary, locked).
        case guarded
        /// A plain allocation.
        case plain
    }

    /// Bytes held.
    public let count: Int
    /// True when the memory came from `sodium_malloc`: locked, guarded pages (its own, or
    /// those of a pool slab shared with other small secrets).
    public var isGuarded: Bool { storageKind != .plain }
    /// Where the bytes are (tests).
    let storageKind: Storage
    private let storage: UnsafeMutableRawPointer
    /// The pool the slot comes from, for a pooled secret.
    private let pool: SecretSlotPool?

    /// Allocates `count` zeroed bytes (at least one byte is allocated).
    private init(zeroedCount count: Int, guarded: Bool, pool: SecretSlotPool = .shared) {
        self.count = count
        let size = Swift.max(count, 1)
        let sodium = guarded && (try? SecureRandom.initialize()) != nil
        if sodium, size <= SecretSlotPool.slotSize, let slot = pool.allocate() {
            storage = slot  // zeroed by the pool
            storageKind = .pooled
            self.pool = pool
            return
        }
        self.pool = nil
        if sodium, let pointer = sodium_malloc(size) {
            storage = pointer
            storageKind = .guarded
        } else {
            storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            storageKind = .plain
        }
        sodium_memzero(storage, size)
    }

    /// A copy of `bytes`. Wipe the source yourself if it was secret.
    public convenience init(copying bytes: [UInt8], guarded: Bool = true) {
        self.init(copying: bytes, guarded: guarded, pool: .shared)
    }

    /// A copy of `bytes`, small enough ones in a slot of `pool` (tests use their own pool).
    convenience init(copying bytes: [UInt8], guarded: Bool = true, pool: SecretSlotPool) {
        self.init(zeroedCount: bytes.count, guarded: guarded, pool: pool)
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
        switch storageKind {
        case .pooled:
            // The whole slot, so that it goes back to the pool all zeros.
            sodium_memzero(storage, SecretSlotPool.slotSize)
            pool?.release(storage)
        case .guarded:
            sodium_free(storage)  // zeroes before freeing
        case .plain:
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
