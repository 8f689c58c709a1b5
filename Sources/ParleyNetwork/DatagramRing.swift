import Atomics

/// A single-producer single-consumer ring of datagrams in slots allocated once: how a
/// network thread (libnice's GLib loop) hands packets to the media thread without locks or
/// allocation (design.md: threads and time). A datagram that finds the ring full, or is
/// larger than a slot, is dropped and counted.
public final class DatagramRing: @unchecked Sendable {
    public let capacity: Int
    public let slotSize: Int
    private let storage: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>
    private let times: UnsafeMutablePointer<Double>
    /// Next slot to read (consumer) and to write (producer), counting forever.
    private let head = ManagedAtomic<Int>(0)
    private let tail = ManagedAtomic<Int>(0)
    private let dropped = ManagedAtomic<Int>(0)
    private let oversized = ManagedAtomic<Int>(0)

    public init(capacity: Int = 512, slotSize: Int = 2048) {
        self.capacity = max(2, capacity)
        self.slotSize = max(1, slotSize)
        storage = .allocate(byteCount: self.capacity * self.slotSize, alignment: 16)
        lengths = .allocate(capacity: self.capacity)
        lengths.initialize(repeating: 0, count: self.capacity)
        times = .allocate(capacity: self.capacity)
        times.initialize(repeating: 0, count: self.capacity)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        times.deallocate()
    }

    /// Datagrams refused because the ring was full.
    public var droppedFull: Int { dropped.load(ordering: .relaxed) }
    /// Datagrams refused because they were larger than a slot.
    public var droppedOversized: Int { oversized.load(ordering: .relaxed) }
    /// Datagrams waiting.
    public var count: Int { tail.load(ordering: .acquiring) - head.load(ordering: .acquiring) }

    /// Producer: copies `datagram` in with its arrival `time`. False when it was dropped.
    @discardableResult
    public func push(_ datagram: UnsafeRawBufferPointer, time: Double) -> Bool {
        guard datagram.count <= slotSize else {
            oversized.wrappingIncrement(ordering: .relaxed)
            return false
        }
        let t = tail.load(ordering: .relaxed)
        guard t - head.load(ordering: .acquiring) < capacity else {
            dropped.wrappingIncrement(ordering: .relaxed)
            return false
        }
        let slot = t % capacity
        if let base = datagram.baseAddress, !datagram.isEmpty {
            (storage + slot * slotSize).copyMemory(from: base, byteCount: datagram.count)
        }
        lengths[slot] = datagram.count
        times[slot] = time
        tail.store(t + 1, ordering: .releasing)
        return true
    }

    /// Consumer: calls `body` with each waiting datagram (valid during the call) and its
    /// time, oldest first, then frees the slots. Returns how many there were.
    @discardableResult
    public func drain(_ body: (UnsafeRawBufferPointer, Double) -> Void) -> Int {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        var i = h
        while i < t {
            let slot = i % capacity
            body(UnsafeRawBufferPointer(start: storage + slot * slotSize, count: lengths[slot]), times[slot])
            i += 1
            head.store(i, ordering: .releasing)
        }
        return t - h
    }
}
