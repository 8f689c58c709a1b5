import CSodium

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fixed-size slots for small secrets (`SecretBytes` of up to `slotSize` bytes), carved out
/// of slabs that each come from one `sodium_malloc`: locked in memory (`mlock`, so never
/// swapped; excluded from core dumps where the system allows it), with a guard page before
/// and after the slab and a canary in front of it.
///
/// Why: `sodium_malloc` costs several system calls (mmap, two mprotect, mlock, and munlock,
/// munmap when freed), about 22 µs per secret, and a whole locked page for 32 bytes. A call
/// setup creates a dozen short-lived secrets. The pool makes the system calls once per
/// slab of `slotsPerSlab` secrets.
///
/// Wiping is the caller's: a slot must be all zeros when it is given back (`release`), so
/// that freed memory never holds a secret and a new owner starts from zeros.
///
/// A slab is given back to libsodium (`sodium_free`, which zeroes it) when it becomes
/// empty while another empty slab exists: at most one empty slab is kept, so a program that
/// creates and drops one secret at a time does not map and unmap a slab each time.
///
/// Thread-safe (one pthread mutex; the slot search is a bit scan of one word per slab).
final class SecretSlotPool: @unchecked Sendable {
    /// The shared pool.
    static let shared = SecretSlotPool()

    /// Bytes per slot: the largest secret the pool takes (X25519/Ed25519 seeds, shared
    /// secrets and call secrets are 32 bytes, SRTP keying material 30 to 46, an Ed25519
    /// secret key 64).
    static let slotSize = 64

    /// Slots in one slab: as many as fit in one page next to libsodium's 16-byte canary,
    /// at most 64 (one bit each in `Slab.used`).
    let slotsPerSlab: Int
    private let slabBytes: Int
    private let fullMask: UInt64

    private struct Slab {
        /// The `sodium_malloc` pointer: slot `i` starts at `base + i * slotSize`.
        let base: UnsafeMutableRawPointer
        /// Bit `i` set: slot `i` is in use.
        var used: UInt64
    }

    // All mutable state below is accessed with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var slabs: [Slab] = []

    /// A pool of its own (tests); the program uses `shared`.
    init() {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let perPage = (Swift.max(page, 4096) - 16) / Self.slotSize
        slotsPerSlab = Swift.min(64, Swift.max(perPage, 1))
        slabBytes = slotsPerSlab * Self.slotSize
        fullMask = slotsPerSlab == 64 ? UInt64.max : (UInt64(1) << UInt64(slotsPerSlab)) - 1
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    /// Only a pool of a test ever goes away (the shared one lives as long as the process),
    /// after every secret it holds.
    deinit {
        for slab in slabs { sodium_free(slab.base) }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A zeroed slot of `slotSize` bytes, or nil if libsodium cannot map a new slab (or is
    /// not initialized: call `SecureRandom.initialize()` first).
    func allocate() -> UnsafeMutableRawPointer? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        for index in slabs.indices where slabs[index].used != fullMask {
            let slot = (~slabs[index].used).trailingZeroBitCount
            slabs[index].used |= UInt64(1) << UInt64(slot)
            return slabs[index].base + slot * Self.slotSize
        }
        guard let base = sodium_malloc(slabBytes) else { return nil }
        // sodium_malloc fills new memory with a garbage byte; slots are handed out zeroed.
        sodium_memzero(base, slabBytes)
        slabs.append(Slab(base: base, used: 1))
        return base
    }

    /// Gives back a slot from `allocate()`. Its `slotSize` bytes must already be zero.
    /// A pointer that is not a slot of this pool is ignored (never happens).
    func release(_ slot: UnsafeMutableRawPointer) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let index = slabs.firstIndex(where: { slot >= $0.base && slot < $0.base + slabBytes }) else { return }
        let bit = UInt64(1) << UInt64((slot - slabs[index].base) / Self.slotSize)
        slabs[index].used &= ~bit
        guard slabs[index].used == 0 else { return }
        let otherEmpty = slabs.indices.contains { $0 != index && slabs[$0].used == 0 }
        if otherEmpty {
            sodium_free(slabs[index].base)  // zeroes, unlocks and unmaps
            slabs.remove(at: index)
        }
    }

    /// Slabs currently mapped and slots in use (for tests).
    var occupancy: (slabs: Int, slotsInUse: Int) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (slabs.count, slabs.reduce(0) { $0 + $1.used.nonzeroBitCount })
    }

    /// True when `pointer` is inside one of the pool's slabs (for tests).
    func contains(_ pointer: UnsafeRawPointer) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return slabs.contains { pointer >= UnsafeRawPointer($0.base) && pointer < UnsafeRawPointer($0.base + slabBytes) }
    }
}
