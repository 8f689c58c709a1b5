/// The network emulator as an event queue on a virtual clock: submit packets as they are
/// sent, then take them out when their arrival time has come. No threads and no wall time;
/// the caller owns the clock, so it serves both a loopback pump running on media time and a
/// real-time proxy (which polls its sockets until `nextDeliveryTime`).
///
///     var link = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: "4g"), seed: 7)
///     link.submit(slot, size: 1200, at: now)          // at send time
///     while let d = link.nextDelivery(until: now) {   // whenever the clock advances
///         receive(d.payload, at: d.time)
///     }
///
/// `Payload` is whatever the caller needs to find the bytes again (an index into its own
/// buffers, or the bytes themselves). Packets with the same arrival time come out in the
/// order they were sent, a duplicate right after its original. The queue's storage grows
/// to the largest number of packets in flight and is then reused.
public struct NetworkEmulator<Payload> {
    public private(set) var model: NetworkModel
    public private(set) var counters = EmulatorCounters()

    private struct Entry {
        var time: Double
        var sequence: Int
        var copy: Int
        var sentAt: Double
        var payload: Payload

        func before(_ other: Entry) -> Bool {
            if time != other.time { return time < other.time }
            if sequence != other.sequence { return sequence < other.sequence }
            return copy < other.copy
        }
    }

    private var heap: [Entry] = []
    private var nextSequence = 0
    private var highestDelivered = -1

    public init(profile: NetworkProfile, seed: UInt64, capacity: Int = 1024) {
        model = NetworkModel(profile: profile, seed: seed)
        heap.reserveCapacity(max(1, capacity))
    }

    public var profile: NetworkProfile { model.profile }

    /// Sends a packet of `size` bytes at `time` (seconds); returns what will happen to it.
    @discardableResult
    public mutating func submit(_ payload: Payload, size: Int, at time: Double) -> PacketFate {
        let fate = model.fate(size: size, at: time)
        counters.record(size: size, sentAt: time, fate: fate)
        let sequence = nextSequence
        nextSequence += 1
        if case .delivered(let arrival, let duplicate, _) = fate {
            push(Entry(time: arrival, sequence: sequence, copy: 0, sentAt: time, payload: payload))
            if let duplicate {
                push(Entry(time: duplicate, sequence: sequence, copy: 1, sentAt: time, payload: payload))
            }
        }
        return fate
    }

    /// When the next packet arrives (nil: nothing in flight).
    public var nextDeliveryTime: Double? { heap.first?.time }

    /// Packets (copies included) in flight.
    public var pending: Int { heap.count }

    /// The next packet whose arrival time is at or before `time`, or nil.
    public mutating func nextDelivery(until time: Double) -> EmulatorDelivery<Payload>? {
        guard let first = heap.first, first.time <= time else { return nil }
        let entry = pop()
        counters.packetsDelivered += 1
        if entry.copy > 0 {
            counters.packetsDuplicated += 1
        } else if entry.sequence < highestDelivered {
            counters.packetsReordered += 1
        }
        highestDelivered = max(highestDelivered, entry.sequence)
        return EmulatorDelivery(time: entry.time, payload: entry.payload, sequence: entry.sequence, copy: entry.copy, sentAt: entry.sentAt)
    }

    /// Every packet arriving at or before `time`, in arrival order.
    public mutating func deliveries(until time: Double) -> [EmulatorDelivery<Payload>] {
        var out: [EmulatorDelivery<Payload>] = []
        while let delivery = nextDelivery(until: time) { out.append(delivery) }
        return out
    }

    /// Adds `size` bytes to the delivered-bytes counter (the emulator does not know payload sizes).
    public mutating func countDeliveredBytes(_ size: Int) { counters.bytesDelivered += size }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].before(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].before(heap[smallest]) { smallest = left }
                if right < heap.count, heap[right].before(heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
