/// The sender's copy of its last packets, to answer NACKs (RFC 4585 §6.2.1) with
/// retransmissions.
///
/// A ring of `capacity` slots (a power of two that divides 65536, so sequence numbers map
/// to slots across the 65535 → 0 wrap) of `maxPacketSize` bytes each, all allocated at
/// `init`: `store` copies the serialized packet in, with no heap allocation. A packet
/// leaves the history when a newer one takes its slot, i.e. after `capacity` more
/// sequence numbers. A lookup hits only when the slot still holds that exact sequence
/// number and it is not more than `capacity` behind the newest stored one.
///
/// Not thread-safe: use from one thread.
public final class RTPPacketHistory {
    public static let defaultCapacity = 1024
    /// RTP header, payload and SRTP trailer of the largest packet Parley sends.
    public static let defaultMaxPacketSize = 1500

    public let capacity: Int
    public let maxPacketSize: Int
    /// Lookups that found their packet.
    public private(set) var hits = 0
    /// Lookups for packets never stored or already evicted.
    public private(set) var misses = 0
    /// Packets stored.
    public private(set) var stored = 0
    /// Stored packets overwritten by newer ones.
    public private(set) var evicted = 0

    private let storage: UnsafeMutableRawPointer
    // Fixed tables in manually allocated memory (no Array copy-on-write on the packet path).
    private let lengths: UnsafeMutableBufferPointer<Int>
    private let sequenceNumbers: UnsafeMutableBufferPointer<UInt16>
    private let occupied: UnsafeMutableBufferPointer<Bool>
    private var newest: UInt16 = 0
    private var hasNewest = false

    /// - Parameters:
    ///   - capacity: packets kept; rounded up to a power of two in 16...32768.
    ///   - maxPacketSize: largest packet accepted by `store`.
    public init(capacity: Int = RTPPacketHistory.defaultCapacity, maxPacketSize: Int = RTPPacketHistory.defaultMaxPacketSize) {
        var rounded = 16
        while rounded < min(max(capacity, 16), 32768) { rounded <<= 1 }
        self.capacity = rounded
        self.maxPacketSize = max(1, maxPacketSize)
        storage = .allocate(byteCount: rounded * self.maxPacketSize, alignment: 16)
        lengths = .allocate(capacity: rounded)
        lengths.initialize(repeating: 0)
        sequenceNumbers = .allocate(capacity: rounded)
        sequenceNumbers.initialize(repeating: 0)
        occupied = .allocate(capacity: rounded)
        occupied.initialize(repeating: false)
    }

    deinit {
        storage.deallocate()
        lengths.deallocate()
        sequenceNumbers.deallocate()
        occupied.deallocate()
    }

    /// Packets currently held.
    public var count: Int { occupied.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Keeps a copy of a sent packet.
    ///
    /// - Throws: `RTPError.bufferTooSmall` when the packet is larger than `maxPacketSize`
    ///   (nothing is stored).
    public func store(sequenceNumber: UInt16, packet: UnsafeRawBufferPointer) throws(RTPError) {
        guard packet.count <= maxPacketSize else {
            throw RTPError.bufferTooSmall(needed: packet.count, available: maxPacketSize)
        }
        let index = Int(sequenceNumber) & (capacity - 1)
        if occupied[index] && sequenceNumbers[index] != sequenceNumber { evicted += 1 }
        if packet.count > 0, let source = packet.baseAddress {
            (storage + index * maxPacketSize).copyMemory(from: source, byteCount: packet.count)
        }
        lengths[index] = packet.count
        sequenceNumbers[index] = sequenceNumber
        occupied[index] = true
        stored += 1
        if !hasNewest || Int16(bitPattern: sequenceNumber &- newest) > 0 {
            newest = sequenceNumber
            hasNewest = true
        }
    }

    /// Keeps a copy of a sent packet.
    public func store(sequenceNumber: UInt16, packet: [UInt8]) throws(RTPError) {
        try packet.withUnsafeBytes { raw in
            Result { () throws(RTPError) in try store(sequenceNumber: sequenceNumber, packet: raw) }
        }.get()
    }

    /// The stored packet with `sequenceNumber`, or nil (counted as a hit or a miss). The
    /// bytes are valid until the next `store`.
    public func packet(for sequenceNumber: UInt16) -> UnsafeRawBufferPointer? {
        guard let index = slot(of: sequenceNumber) else {
            misses += 1
            return nil
        }
        hits += 1
        return UnsafeRawBufferPointer(start: storage + index * maxPacketSize, count: lengths[index])
    }

    /// Copies the stored packet with `sequenceNumber` into `buffer`; returns its length,
    /// or nil when the history does not hold it (counted as a hit or a miss).
    ///
    /// - Throws: `RTPError.bufferTooSmall` when `buffer` cannot hold the packet.
    public func copyPacket(for sequenceNumber: UInt16, into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int? {
        guard let index = slot(of: sequenceNumber) else {
            misses += 1
            return nil
        }
        let length = lengths[index]
        guard buffer.count >= length else {
            throw RTPError.bufferTooSmall(needed: length, available: buffer.count)
        }
        hits += 1
        if length > 0, let destination = buffer.baseAddress {
            destination.copyMemory(from: storage + index * maxPacketSize, byteCount: length)
        }
        return length
    }

    /// Forgets every packet (a new SSRC, a new key); counters stay.
    public func removeAll() {
        for i in occupied.indices { occupied[i] = false }
        hasNewest = false
    }

    private func slot(of sequenceNumber: UInt16) -> Int? {
        let index = Int(sequenceNumber) & (capacity - 1)
        guard occupied[index], sequenceNumbers[index] == sequenceNumber, hasNewest else { return nil }
        let behind = Int(newest &- sequenceNumber)
        guard behind < capacity else { return nil }
        return index
    }
}
