/// The network emulator as an event queue on a virtual clock: submit packets as they are
/// sent, then take them out when their arrival time has come. No threads and no wall time;
/// the caller owns the clock, so it serves both a loopback pump running on media time and a
/// real-time proxy (which polls its sockets until `nextDeliveryTime`).
///
///     let link = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: "4g"), seed: 7)
///     link.submit(slot, size: 1200, at: now)          // at send time
///     while let d = link.nextDelivery(until: now) {   // whenever the clock advances
///         receive(d.payload, at: d.time)
///     }
///
/// `Payload` is whatever the caller needs to find the bytes again (an index into its own
/// buffers, or the bytes themselves). Packets with the same arrival time come out in the
/// order they were sent, a duplicate right after its original. The queue's storage grows
/// to the largest number of packets in flight and is then reused: in steady state submit
/// and delivery allocate nothing, even unoptimized (the arrays are sized up front and only
/// read and written by index: generic operations such as append or swapAt allocate in
/// debug builds). One thread at a time.
public final class NetworkEmulator<Payload> {
    public private(set) var model: NetworkModel
    public private(set) var counters = EmulatorCounters()

    /// A binary min-heap of plain keys, ordered by (time, sequence, copy).
    private var heap: [EmulatorQueueEntry]
    private var heapCount = 0
    /// Payloads wait in slots (a duplicated packet's two copies share one), reused through a free list.
    private var payloads: [Payload?]
    /// Copies still to deliver per slot.
    private var slotUses: [Int]
    private var freeSlots: [Int]
    private var freeCount = 0
    /// Slots ever used (the ones below are initialized); at most `slotCapacity`.
    private var slotCount = 0
    private var slotCapacity: Int
    private var nextSequence = 0
    private var highestDelivered = -1

    /// `capacity`: packets in flight before the storage first grows.
    public init(profile: NetworkProfile, seed: UInt64, capacity: Int = 1024) {
        model = NetworkModel(profile: profile, seed: seed)
        slotCapacity = max(16, capacity)
        heap = Array(repeating: Self.emptyEntry, count: 2 * slotCapacity)
        payloads = Array(repeating: nil, count: slotCapacity)
        slotUses = Array(repeating: 0, count: slotCapacity)
        freeSlots = Array(repeating: 0, count: slotCapacity)
    }

    private static var emptyEntry: EmulatorQueueEntry { EmulatorQueueEntry(time: 0, sequence: 0, copy: 0, slot: 0, sentAt: 0) }

    public var profile: NetworkProfile { model.profile }

    /// Sends a packet of `size` bytes at `time` (seconds); returns what will happen to it.
    @discardableResult
    public func submit(_ payload: Payload, size: Int, at time: Double) -> PacketFate {
        let fate = model.fate(size: size, at: time)
        counters.record(size: size, sentAt: time, fate: fate)
        let sequence = nextSequence
        nextSequence += 1
        if case .delivered(let arrival, let duplicate, _) = fate {
            let slot = takeSlot()
            payloads[slot] = payload
            slotUses[slot] = duplicate == nil ? 1 : 2
            push(EmulatorQueueEntry(time: arrival, sequence: sequence, copy: 0, slot: slot, sentAt: time))
            if let duplicate {
                push(EmulatorQueueEntry(time: duplicate, sequence: sequence, copy: 1, slot: slot, sentAt: time))
            }
        }
        return fate
    }

    /// When the next packet arrives (nil: nothing in flight).
    public var nextDeliveryTime: Double? { heapCount > 0 ? heap[0].time : nil }

    /// Packets (copies included) in flight.
    public var pending: Int { heapCount }

    /// The next packet whose arrival time is at or before `time`, or nil.
    public func nextDelivery(until time: Double) -> EmulatorDelivery<Payload>? {
        while heapCount > 0, heap[0].time <= time {
            let entry = pop()
            let slot = entry.slot
            slotUses[slot] -= 1
            let stored: Payload?
            let last = slotUses[slot] == 0
            if last {
                stored = payloads[slot]
                payloads[slot] = nil
                freeSlots[freeCount] = slot
                freeCount += 1
            } else {
                stored = payloads[slot]
            }
            // Every slot in the heap holds a payload; an empty one would be skipped.
            guard let payload = stored else { continue }
            counters.packetsDelivered += 1
            if entry.copy > 0 {
                counters.packetsDuplicated += 1
            } else if entry.sequence < highestDelivered {
                counters.packetsReordered += 1
            }
            highestDelivered = max(highestDelivered, entry.sequence)
            return EmulatorDelivery(time: entry.time, payload: payload, sequence: entry.sequence, copy: entry.copy, sentAt: entry.sentAt,
                                     isLastCopy: last)
        }
        return nil
    }

    /// Every packet arriving at or before `time`, in arrival order.
    public func deliveries(until time: Double) -> [EmulatorDelivery<Payload>] {
        var out: [EmulatorDelivery<Payload>] = []
        while let delivery = nextDelivery(until: time) { out.append(delivery) }
        return out
    }

    /// Adds `size` bytes to the delivered-bytes counter (the emulator does not know payload sizes).
    public func countDeliveredBytes(_ size: Int) { counters.bytesDelivered += size }

    private func takeSlot() -> Int {
        if freeCount > 0 {
            freeCount -= 1
            return freeSlots[freeCount]
        }
        if slotCount == slotCapacity { grow() }
        slotCount += 1
        return slotCount - 1
    }

    /// Doubles every store (only when more packets are in flight than ever before).
    private func grow() {
        let added = slotCapacity
        heap += repeatElement(Self.emptyEntry, count: 2 * added)
        payloads += repeatElement(nil, count: added)
        slotUses += repeatElement(0, count: added)
        freeSlots += repeatElement(0, count: added)
        slotCapacity += added
    }

    private func push(_ entry: EmulatorQueueEntry) {
        heap[heapCount] = entry
        heapCount += 1
        var child = heapCount - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].before(heap[parent]) else { break }
            let swap = heap[child]
            heap[child] = heap[parent]
            heap[parent] = swap
            child = parent
        }
    }

    private func pop() -> EmulatorQueueEntry {
        let top = heap[0]
        heapCount -= 1
        if heapCount > 0 {
            heap[0] = heap[heapCount]
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heapCount, heap[left].before(heap[smallest]) { smallest = left }
                if right < heapCount, heap[right].before(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                let swap = heap[parent]
                heap[parent] = heap[smallest]
                heap[smallest] = swap
                parent = smallest
            }
        }
        return top
    }
}

/// A key in the emulator's heap: plain values, so that even unspecialized generic code
/// handles it without allocating.
struct EmulatorQueueEntry {
    var time: Double
    var sequence: Int
    var copy: Int
    var slot: Int
    var sentAt: Double

    func before(_ other: EmulatorQueueEntry) -> Bool {
        if time != other.time { return time < other.time }
        if sequence != other.sequence { return sequence < other.sequence }
        return copy < other.copy
    }
}
