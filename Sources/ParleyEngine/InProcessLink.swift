/// A perfect in-process link: what is sent is queued and arrives at `receiver`, in
/// order, when the link is pumped. Queuing (rather than delivering inside `send`) keeps
/// the call's halves from re-entering each other: a receiver that answers with RTCP
/// (NACK, PLI) while a packet is being delivered only queues its answer.
///
/// The queue is a ring of slots allocated once; a full queue drops the packet and counts it.
public final class InProcessLink: PacketTransport {
    public weak var receiver: SecureRTPReceiver?
    /// The time stamped on each delivered packet.
    public var clock: () -> Double
    public private(set) var packetsCarried = 0
    public private(set) var bytesCarried = 0
    public private(set) var packetsDroppedQueueFull = 0

    private let slotSize: Int
    private let slotCount: Int
    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    private var head = 0
    private var count = 0
    private var pumping = false

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
        guard count < slotCount, packet.count <= slotSize else {
            packetsDroppedQueueFull += 1
            return
        }
        let slot = (head + count) % slotCount
        if let base = packet.baseAddress, packet.count > 0 {
            (storage + slot * slotSize).copyMemory(from: base, byteCount: packet.count)
        }
        lengths[slot] = packet.count
        count += 1
    }

    /// Packets waiting to be delivered.
    public var pending: Int { count }

    /// Delivers every queued packet, including the ones queued while delivering.
    public func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        while count > 0 {
            let slot = head
            head = (head + 1) % slotCount
            count -= 1
            let length = lengths[slot]
            packetsCarried += 1
            bytesCarried += length
            receiver?.receive(UnsafeRawBufferPointer(start: storage + slot * slotSize, count: length), arrival: clock())
        }
    }
}
