/// The packets waiting for playout, ordered by (unwrapped) RTP timestamp, in fixed
/// preallocated slots: inserting and popping never allocate.
struct PacketBuffer {
    struct Entry {
        var timestamp: Int64 = 0
        var sequenceNumber: UInt16 = 0
        var arrival: Double = 0
        var length: Int = 0
        var isDTX = false
        /// Relative arrival delay measured when it arrived (seconds).
        var relativeDelay: Double = 0
    }

    let capacity: Int
    let maximumPayload: Int
    private(set) var storage: [UInt8]
    private var entries: [Entry]
    /// Slot indices sorted by timestamp.
    private var order: [Int]
    private var freeSlots: [Int]
    private(set) var count = 0

    init(capacity: Int, maximumPayload: Int) {
        self.capacity = capacity
        self.maximumPayload = maximumPayload
        storage = [UInt8](repeating: 0, count: capacity * maximumPayload)
        entries = [Entry](repeating: Entry(), count: capacity)
        order = [Int](repeating: 0, count: capacity)
        freeSlots = [Int](repeating: 0, count: capacity)
        for i in 0..<capacity { freeSlots[i] = capacity - 1 - i }
    }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == capacity }

    /// The entry at sorted position `i` (0 = earliest).
    func entry(at i: Int) -> Entry { entries[order[i]] }

    /// The payload bytes of the entry at sorted position `i`.
    func payload(at i: Int) -> ArraySlice<UInt8> {
        let slot = order[i]
        let start = slot * maximumPayload
        return storage[start..<(start + entries[slot].length)]
    }

    /// Sorted position of the packet with this timestamp, if present.
    func position(of timestamp: Int64) -> Int? {
        var i = 0
        while i < count {
            let t = entries[order[i]].timestamp
            if t == timestamp { return i }
            if t > timestamp { return nil }
            i += 1
        }
        return nil
    }

    /// Inserts in timestamp order. Returns false for a duplicate timestamp. The caller
    /// makes room first when full.
    mutating func insert(_ payload: ArraySlice<UInt8>, timestamp: Int64, sequenceNumber: UInt16, arrival: Double, isDTX: Bool,
                         relativeDelay: Double = 0) -> Bool {
        var pos = count
        while pos > 0 && entries[order[pos - 1]].timestamp > timestamp { pos -= 1 }
        if pos > 0 && entries[order[pos - 1]].timestamp == timestamp { return false }
        guard count < capacity else { return false }
        let slot = freeSlots[capacity - count - 1]
        let start = slot * maximumPayload
        let length = payload.count
        if length > 0 {
            // One block copy (byte by byte, each write to the array would be checked).
            storage.withUnsafeMutableBufferPointer { to in
                payload.withUnsafeBufferPointer { from in
                    (to.baseAddress! + start).update(from: from.baseAddress!, count: length)
                }
            }
        }
        entries[slot] = Entry(timestamp: timestamp, sequenceNumber: sequenceNumber, arrival: arrival, length: payload.count, isDTX: isDTX,
                              relativeDelay: relativeDelay)
        var k = count
        while k > pos { order[k] = order[k - 1]; k -= 1 }
        order[pos] = slot
        count += 1
        return true
    }

    /// Removes the entry at sorted position `i`.
    mutating func remove(at i: Int) {
        let slot = order[i]
        var k = i
        while k < count - 1 { order[k] = order[k + 1]; k += 1 }
        count -= 1
        freeSlots[capacity - count - 1] = slot
    }

    mutating func removeAll() {
        while count > 0 { remove(at: count - 1) }
    }
}
