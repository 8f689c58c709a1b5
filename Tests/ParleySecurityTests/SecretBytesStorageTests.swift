import Dispatch
@testable import ParleySecurity
import Testing

/// Where `SecretBytes` keep their bytes (the slot pool for small secrets, `sodium_malloc`
/// for big ones, plain memory when asked) and that no secret survives `wipe()` or the end
/// of its `SecretBytes`. Tests that look at freed slots use a pool of their own, so that
/// tests running in parallel cannot take the slot in between.
@Suite("SecretBytes storage")
struct SecretBytesStorageTests {
    /// Bytes that are all non-zero, so that "all zeros" cannot happen by chance.
    static func pattern(_ count: Int, seed: UInt8 = 0xA5) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &+ $0 * 7) | 0x01 }
    }

    @Test("small secrets go to the guarded slot pool, big ones to their own sodium_malloc, guarded: false to plain memory")
    func storageKinds() throws {
        let key = SecretBytes(copying: Self.pattern(32))
        let material = SecretBytes(copying: Self.pattern(46))
        let slotSized = SecretBytes(copying: Self.pattern(SecretSlotPool.slotSize))
        let empty = SecretBytes(copying: [])
        let big = SecretBytes(copying: Self.pattern(SecretSlotPool.slotSize + 1))
        let random = try SecretBytes(random: 32)
        let plain = SecretBytes(copying: Self.pattern(32), guarded: false)
        for secret in [key, material, slotSized, empty, random] {
            #expect(secret.storageKind == .pooled && secret.isGuarded)
            secret.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { #expect(SecretSlotPool.shared.contains(base)) }
            }
        }
        #expect(big.storageKind == .guarded && big.isGuarded)
        #expect(plain.storageKind == .plain && !plain.isGuarded)
        #expect(key.copyBytes() == Self.pattern(32))
        #expect(material.copyBytes() == Self.pattern(46))
        #expect(big.copyBytes() == Self.pattern(SecretSlotPool.slotSize + 1))
        #expect(empty.count == 0 && empty.copyBytes().isEmpty)
    }

    @Test("after wipe() the bytes read through withUnsafeBytes are all zeros, wherever they live",
          arguments: [(32, true), (46, true), (SecretSlotPool.slotSize, true), (200, true), (32, false), (200, false)])
    func wipeZeroesTheMemory(count: Int, guarded: Bool) throws {
        let secret = SecretBytes(copying: Self.pattern(count), guarded: guarded)
        #expect(secret.withUnsafeBytes { $0.allSatisfy { $0 != 0 } })
        secret.wipe()
        #expect(secret.count == count)
        #expect(secret.withUnsafeBytes { $0.count == count && $0.allSatisfy { $0 == 0 } })
        let random = try SecretBytes(random: count, guarded: guarded)
        random.wipe()
        #expect(random.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
        #expect(random == SecretBytes(copying: [UInt8](repeating: 0, count: count)))
    }

    @Test("a freed secret's slot holds only zeros, and the next secret in it starts from zeros")
    func freedSlotIsZero() throws {
        let pool = SecretSlotPool()
        let neighbour = SecretBytes(copying: Self.pattern(32, seed: 0x11), pool: pool)  // keeps the slab mapped
        var secret: SecretBytes? = SecretBytes(copying: Self.pattern(SecretSlotPool.slotSize), pool: pool)
        let address = try #require(secret?.withUnsafeBytes { $0.baseAddress })
        #expect(pool.contains(address))
        #expect(pool.occupancy == (slabs: 1, slotsInUse: 2))
        secret = nil
        #expect(pool.occupancy == (slabs: 1, slotsInUse: 1))
        let slot = UnsafeRawBufferPointer(start: address, count: SecretSlotPool.slotSize)
        #expect(slot.allSatisfy { $0 == 0 })
        // The slot is reused; a shorter secret in it sees no trace of the old one.
        let next = SecretBytes(copying: [1, 2, 3], pool: pool)
        #expect(next.withUnsafeBytes { $0.baseAddress } == address)
        #expect(slot[3...].allSatisfy { $0 == 0 })
        #expect(next.copyBytes() == [1, 2, 3])
        #expect(neighbour.copyBytes() == Self.pattern(32, seed: 0x11))
    }

    @Test("slabs grow with the secrets alive and are given back when empty, keeping one")
    func slabsComeAndGo() throws {
        let pool = SecretSlotPool()
        let perSlab = pool.slotsPerSlab
        #expect(perSlab >= 32 && perSlab <= 64)
        var secrets = (0..<(3 * perSlab + 1)).map { SecretBytes(copying: Self.pattern(32, seed: UInt8(truncatingIfNeeded: $0)), pool: pool) }
        #expect(pool.occupancy == (slabs: 4, slotsInUse: 3 * perSlab + 1))
        // Distinct slots, each with its own bytes.
        let addresses = Set(secrets.map { $0.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } })
        #expect(addresses.count == secrets.count)
        for (index, secret) in secrets.enumerated() {
            #expect(secret.copyBytes() == Self.pattern(32, seed: UInt8(truncatingIfNeeded: index)))
        }
        secrets.removeAll()
        #expect(pool.occupancy == (slabs: 1, slotsInUse: 0))
        let again = SecretBytes(copying: Self.pattern(32), pool: pool)
        #expect(again.withUnsafeBytes { $0.allSatisfy { $0 != 0 } })
        #expect(pool.occupancy == (slabs: 1, slotsInUse: 1))
    }

    @Test("secrets made and dropped on several threads at once each get their own slot")
    func concurrentUse() throws {
        let pool = SecretSlotPool()
        let failures = FailureCount()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var held: [SecretBytes] = []
            for round in 0..<300 {
                let bytes = Self.pattern(32, seed: UInt8(truncatingIfNeeded: thread &* 31 &+ round))
                held.append(SecretBytes(copying: bytes, pool: pool))
                if held.count > 40 { held.removeFirst(20) }
                if held.last?.copyBytes() != bytes { failures.add() }
            }
        }
        #expect(failures.value == 0)
        #expect(pool.occupancy.slotsInUse == 0)
        #expect(pool.occupancy.slabs == 1)
    }
}

/// A thread-safe counter for `concurrentUse`.
private final class FailureCount: @unchecked Sendable {
    private let queue = DispatchQueue(label: "failures")
    private var count = 0
    func add() { queue.sync { count += 1 } }
    var value: Int { queue.sync { count } }
}
