/// What a link does to each packet: when its copies arrive, if at all. A network emulator
/// (delay, jitter, loss, duplication, a bandwidth cap) implements it; without one the
/// link is perfect.
public protocol LinkModel: AnyObject {
    /// A packet of `size` bytes is sent at `time` (seconds, the link's clock): append the
    /// arrival time of each copy to `arrivals` (none: lost; two: duplicated). Arrival
    /// times before `time` are treated as `time`.
    func transmit(size: Int, at time: Double, arrivals: inout [Double])
}

/// An in-process link: what is sent is queued and arrives at `receiver` when the link is
/// pumped. Queuing (rather than delivering inside `send`) keeps the call's halves from
/// re-entering each other: a receiver that answers with RTCP (NACK, PLI) while a packet is
/// being delivered only queues its answer.
///
/// Without a `model` the link is perfect: every packet arrives, in order, at the next
/// `pump()`, stamped with `clock()`. With a model each copy arrives at the time the model
/// says: `pump()` delivers the packets due by `clock()` in arrival order, each stamped
/// with its own arrival time, and `nextArrival` says when the next one is due.
///
/// Packets live in slots allocated once; a full link drops the packet and counts it.
public final class InProcessLink: PacketTransport {
    public weak var receiver: SecureRTPReceiver?
    /// The time stamped on each delivered packet (perfect link), and "now" for a model.
    public var clock: () -> Double
    /// What the link does to packets; nil: perfect.
    public var model: LinkModel?
    public private(set) var packetsCarried = 0
    public private(set) var bytesCarried = 0
    public private(set) var packetsDroppedQueueFull = 0
    /// Packets the model lost (no copy arrived).
    public private(set) var packetsLostByModel = 0
    /// Extra copies the model made.
    public private(set) var packetsDuplicatedByModel = 0

    private let slotSize: Int
    private let slotCount: Int
    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    // Perfect link: a ring of slots.
    private var head = 0
    private var count = 0
    private var pumping = false
    // With a model: free slots and a min-heap of (arrival, order, slot).
    private struct Scheduled {
        var arrival: Double
        var order: Int
        var slot: Int
    }
    private var free: [Int] = []
    private var heap: [Scheduled] = []
    private var order = 0
    private var arrivals: [Double] = []

    public init(receiver: SecureRTPReceiver? = nil, slots: Int = 1024, slotSize: Int = 2048, clock: @escaping () -> Double) {
        self.receiver = receiver
        self.clock = clock
        slotCount = max(1, slots)
        self.slotSize = slotSize
        storage = UnsafeMutableRawPointer.allocate(byteCount: slotCount * slotSize, alignment: 16)
        lengths = [Int](repeating: 0, count: slotCount)
    }

    deinit { storage.deallocate() }

    public func send(_ packet: UnsafeRawBufferPointer) throws {
        if let model {
            sendThrough(model, packet)
            return
        }
        guard count < slotCount, packet.count <= slotSize else {
            packetsDroppedQueueFull += 1
            return
        }
        let slot = (head + count) % slotCount
        copy(packet, into: slot)
        count += 1
    }

    private func copy(_ packet: UnsafeRawBufferPointer, into slot: Int) {
        if let base = packet.baseAddress, packet.count > 0 {
            (storage + slot * slotSize).copyMemory(from: base, byteCount: packet.count)
        }
        lengths[slot] = packet.count
    }

    private func sendThrough(_ model: LinkModel, _ packet: UnsafeRawBufferPointer) {
        if free.isEmpty && heap.isEmpty && order == 0 {
            free = Array((0..<slotCount).reversed())
            heap.reserveCapacity(slotCount)
            arrivals.reserveCapacity(4)
        }
        let now = clock()
        arrivals.removeAll(keepingCapacity: true)
        model.transmit(size: packet.count, at: now, arrivals: &arrivals)
        if arrivals.isEmpty { packetsLostByModel += 1 }
        if arrivals.count > 1 { packetsDuplicatedByModel += arrivals.count - 1 }
        for arrival in arrivals {
            guard let slot = free.popLast(), packet.count <= slotSize else {
                packetsDroppedQueueFull += 1
                continue
            }
            copy(packet, into: slot)
            order += 1
            push(Scheduled(arrival: max(arrival, now), order: order, slot: slot))
        }
    }

    /// Packets waiting to be delivered.
    public var pending: Int { count + heap.count }

    /// When the next packet arrives (a model's link); nil when none is in flight, or for
    /// a perfect link (whose packets arrive at the next `pump()`).
    public var nextArrival: Double? { heap.first?.arrival }

    /// Delivers every packet due: a perfect link's whole queue (including packets queued
    /// while delivering), or, with a model, every packet whose arrival time is at or
    /// before `clock()`, in arrival order.
    public func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        while count > 0 {
            let slot = head
            head = (head + 1) % slotCount
            count -= 1
            deliver(slot, arrival: clock())
        }
        // Empty: start again at the first slot, so that only the slots a burst needs are
        // ever touched (resident), not the whole ring.
        if count == 0 { head = 0 }
        let now = clock()
        while let next = heap.first, next.arrival <= now {
            popFirst()
            deliver(next.slot, arrival: next.arrival)
            free.append(next.slot)
        }
    }

    private func deliver(_ slot: Int, arrival: Double) {
        let length = lengths[slot]
        packetsCarried += 1
        bytesCarried += length
        receiver?.receive(UnsafeRawBufferPointer(start: storage + slot * slotSize, count: length), arrival: arrival)
    }

    private static func before(_ a: Scheduled, _ b: Scheduled) -> Bool {
        a.arrival < b.arrival || (a.arrival == b.arrival && a.order < b.order)
    }

    private func push(_ item: Scheduled) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func popFirst() {
        let last = heap.count - 1
        heap.swapAt(0, last)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, Self.before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.before(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
