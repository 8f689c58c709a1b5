/// A frame put back together from its RTP packets. `bytes` points into the assembler's
/// reusable buffer: it is valid until the next call on the assembler (or its depayloader);
/// copy it out to keep it.
public struct AssembledFrame {
    /// The codec frame: the packets' payloads after their descriptors, in sequence order.
    public let bytes: UnsafeRawBufferPointer
    public let timestamp: UInt32
    public let firstSequenceNumber: UInt16
    public let lastSequenceNumber: UInt16
    public let packetCount: Int
    /// From the first packet (VP8: P bit of the payload header; VP9: P = 0 in the descriptor).
    public let isKeyframe: Bool
    /// The first packet's picture ID, when it carried one.
    public let pictureID: UInt16?

    public init(
        bytes: UnsafeRawBufferPointer, timestamp: UInt32, firstSequenceNumber: UInt16, lastSequenceNumber: UInt16,
        packetCount: Int, isKeyframe: Bool, pictureID: UInt16?
    ) {
        self.bytes = bytes
        self.timestamp = timestamp
        self.firstSequenceNumber = firstSequenceNumber
        self.lastSequenceNumber = lastSequenceNumber
        self.packetCount = packetCount
        self.isKeyframe = isKeyframe
        self.pictureID = pictureID
    }
}

/// What one packet did to the assembler.
public struct FrameAssemblyResult {
    /// The frame this packet completed, if any.
    public var frame: AssembledFrame?
    /// Frames given up as incomplete during this call (a packet missing when the frame
    /// had to leave the reordering window, a frame too large for the buffers).
    public var incompleteFrames: Int

    public init(frame: AssembledFrame? = nil, incompleteFrames: Int = 0) {
        self.frame = frame
        self.incompleteFrames = incompleteFrames
    }
}

/// Reassembles video frames from RTP payloads (the descriptors already parsed away) for
/// the VP8 and VP9 depayloaders.
///
/// - Packets are copied into preallocated slots indexed by sequence number modulo
///   `slotCount`; a frame is complete when its start packet, its end packet and every
///   sequence number between them (wrapping at 65535) are present with its timestamp.
///   The frame is then copied, in order, into a preallocated frame buffer.
/// - Frames are keyed by RTP timestamp. An incomplete frame waits until
///   `maxFramesInFlight` newer frames (newer timestamps) have started; then it is given up
///   and reported incomplete. This is how a lost packet — or a timestamp change before
///   the marker — shows up, and how long a reordered or retransmitted packet may lag: with
///   `maxFramesInFlight: 1` a frame is given up as soon as the next frame starts. The
///   default 8 covers about a round trip of NACK retransmission at 30 frames/s. Frames
///   complete in the order their last packet arrives: with reordering, a later frame can
///   come out before an earlier one (look at `timestamp`).
/// - Packets of a frame already delivered or given up (duplicates, retransmissions that
///   came too late) are counted and dropped.
/// - No heap allocation after `init`.
///
/// Not thread-safe: use one assembler from one thread.
public final class FrameAssembler {
    public struct Configuration: Sendable, Equatable {
        /// Packet slots; rounded up to a power of two, 16...32768. A frame may span at most
        /// this many packets.
        public var slotCount: Int
        /// Largest codec payload (after the descriptor) a slot holds.
        public var maxPayloadSize: Int
        /// Newer frames an incomplete frame waits for before it is given up, at least 1
        /// (also the number of incomplete frames held at once).
        public var maxFramesInFlight: Int

        public init(slotCount: Int = 512, maxPayloadSize: Int = 1500, maxFramesInFlight: Int = 8) {
            self.slotCount = slotCount
            self.maxPayloadSize = maxPayloadSize
            self.maxFramesInFlight = maxFramesInFlight
        }
    }

    private struct Slot {
        var occupied = false
        var sequenceNumber: UInt16 = 0
        var timestamp: UInt32 = 0
        var length = 0
        var isStart = false
        var isEnd = false
        var isKeyframe = false
        var pictureID: UInt16 = 0
        var hasPictureID = false
    }

    private struct PendingFrame {
        var active = false
        var timestamp: UInt32 = 0
        var received = 0
        var hasStart = false
        var startSequence: UInt16 = 0
        var hasEnd = false
        var endSequence: UInt16 = 0
        /// `framesStarted` when the frame was first seen.
        var startedAt = 0
    }

    public let configuration: Configuration
    /// Frames delivered complete.
    public private(set) var framesAssembled = 0
    /// Frames given up as incomplete.
    public private(set) var framesIncomplete = 0
    /// Packets dropped because they repeated one already held.
    public private(set) var duplicatePackets = 0
    /// Packets dropped because their frame was already delivered or given up, or was older
    /// than every frame in flight.
    public private(set) var latePackets = 0
    /// Packets dropped because their payload exceeded `maxPayloadSize`.
    public private(set) var oversizedPackets = 0

    private let slotMask: Int
    // Fixed-size tables in manually allocated memory: element access through a pointer
    // never goes through Array's copy-on-write or modify coroutines (which can allocate in
    // unoptimized builds).
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let pending: UnsafeMutableBufferPointer<PendingFrame>
    private let slotData: UnsafeMutableRawPointer
    private let frameBuffer: UnsafeMutableRawPointer
    private let frameCapacity: Int
    /// Timestamps of recently finished frames (delivered or given up).
    private let finished: UnsafeMutableBufferPointer<UInt32>
    private var finishedCount = 0
    private var finishedNext = 0
    /// Counts frames whose timestamp was the newest yet when they started.
    private var framesStarted = 0
    private var newestTimestamp: UInt32 = 0

    public init(configuration: Configuration = Configuration()) {
        var slotCount = 16
        while slotCount < min(max(configuration.slotCount, 16), 32768) { slotCount <<= 1 }
        var adjusted = configuration
        adjusted.slotCount = slotCount
        adjusted.maxPayloadSize = max(1, configuration.maxPayloadSize)
        adjusted.maxFramesInFlight = max(1, configuration.maxFramesInFlight)
        self.configuration = adjusted
        slotMask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Slot())
        pending = .allocate(capacity: adjusted.maxFramesInFlight)
        pending.initialize(repeating: PendingFrame())
        finished = .allocate(capacity: 4 * adjusted.maxFramesInFlight + 16)
        finished.initialize(repeating: 0)
        frameCapacity = slotCount * adjusted.maxPayloadSize
        slotData = .allocate(byteCount: frameCapacity, alignment: 16)
        frameBuffer = .allocate(byteCount: frameCapacity, alignment: 16)
    }

    deinit {
        slots.deallocate()
        pending.deallocate()
        finished.deallocate()
        slotData.deallocate()
        frameBuffer.deallocate()
    }

    /// Frames waiting for packets.
    public var framesInFlight: Int {
        var count = 0
        for i in 0..<pending.count where pending[i].active { count += 1 }
        return count
    }

    /// Adds one packet's codec payload.
    ///
    /// - Parameters:
    ///   - isFrameStart: the packet starts the frame (VP8: S = 1 and PID = 0; VP9: B = 1).
    ///   - isFrameEnd: the packet ends the frame (the RTP marker; VP9: E = 1 and marker).
    ///   - isKeyframe, pictureID: taken from the start packet.
    public func insert(
        payload: UnsafeRawBufferPointer, sequenceNumber: UInt16, timestamp: UInt32,
        isFrameStart: Bool, isFrameEnd: Bool, isKeyframe: Bool = false, pictureID: UInt16? = nil
    ) -> FrameAssemblyResult {
        var result = FrameAssemblyResult()
        guard payload.count <= configuration.maxPayloadSize else {
            oversizedPackets += 1
            return result
        }
        if wasFinished(timestamp) {
            latePackets += 1
            return result
        }
        let frameIndex: Int
        if let index = pendingIndex(for: timestamp) {
            frameIndex = index
        } else {
            if framesStarted == 0 || isOlder(newestTimestamp, than: timestamp) {
                // A new newest frame: frames that have now seen `maxFramesInFlight` newer
                // ones give up waiting.
                framesStarted += 1
                newestTimestamp = timestamp
                for i in pending.indices
                where pending[i].active && framesStarted - pending[i].startedAt >= configuration.maxFramesInFlight {
                    giveUp(i, &result)
                }
            }
            guard let admitted = admit(timestamp, &result) else {
                latePackets += 1
                return result
            }
            frameIndex = admitted
        }


        let slotIndex = Int(sequenceNumber) & slotMask
        let slot = slots[slotIndex]
        if slot.occupied {
            if slot.sequenceNumber == sequenceNumber && slot.timestamp == timestamp {
                duplicatePackets += 1
                return result
            }
            if slot.timestamp == timestamp {
                // The frame spans more packets than there are slots.
                giveUp(frameIndex, &result)
                return result
            }
            if let other = pendingIndex(for: slot.timestamp) {
                // A frame still in flight loses a packet: it can no longer complete.
                giveUp(other, &result)
            }
        }

        if payload.count > 0, let source = payload.baseAddress {
            (slotData + slotIndex * configuration.maxPayloadSize).copyMemory(from: source, byteCount: payload.count)
        }
        slots[slotIndex] = Slot(
            occupied: true, sequenceNumber: sequenceNumber, timestamp: timestamp, length: payload.count,
            isStart: isFrameStart, isEnd: isFrameEnd, isKeyframe: isKeyframe, pictureID: pictureID ?? 0,
            hasPictureID: pictureID != nil)
        pending[frameIndex].received += 1
        if isFrameStart {
            pending[frameIndex].hasStart = true
            pending[frameIndex].startSequence = sequenceNumber
        }
        if isFrameEnd {
            pending[frameIndex].hasEnd = true
            pending[frameIndex].endSequence = sequenceNumber
        }
        let frame = pending[frameIndex]
        guard frame.hasStart, frame.hasEnd else { return result }
        let span = Int(frame.endSequence &- frame.startSequence) + 1
        guard span <= slots.count else {
            giveUp(frameIndex, &result)
            return result
        }
        guard frame.received >= span else { return result }
        result.frame = assemble(frameIndex, span: span)
        return result
    }

    /// Gives up every frame in flight (end of stream, a decoder reset); returns how many.
    @discardableResult
    public func flush() -> Int {
        var result = FrameAssemblyResult()
        for i in pending.indices where pending[i].active { giveUp(i, &result) }
        return result.incompleteFrames
    }

    /// Forgets everything, counters included, keeping the buffers.
    public func reset() {
        for i in slots.indices { slots[i].occupied = false }
        for i in pending.indices { pending[i].active = false }
        finishedCount = 0
        finishedNext = 0
        framesStarted = 0
        framesAssembled = 0
        framesIncomplete = 0
        duplicatePackets = 0
        latePackets = 0
        oversizedPackets = 0
    }

    // MARK: - Internals

    /// Copies a frame whose sequence range is all present, or leaves it pending if a slot
    /// in the range belongs to something else (a stray packet with the same timestamp).
    private func assemble(_ frameIndex: Int, span: Int) -> AssembledFrame? {
        let frame = pending[frameIndex]
        var total = 0
        for step in 0..<span {
            let sequence = frame.startSequence &+ UInt16(truncatingIfNeeded: step)
            let slot = slots[Int(sequence) & slotMask]
            guard slot.occupied, slot.sequenceNumber == sequence, slot.timestamp == frame.timestamp else { return nil }
            total += slot.length
        }
        guard total <= frameCapacity else { return nil }
        var offset = 0
        for step in 0..<span {
            let sequence = frame.startSequence &+ UInt16(truncatingIfNeeded: step)
            let index = Int(sequence) & slotMask
            let length = slots[index].length
            (frameBuffer + offset).copyMemory(from: slotData + index * configuration.maxPayloadSize, byteCount: length)
            offset += length
            slots[index].occupied = false
        }
        let start = slots[Int(frame.startSequence) & slotMask]
        pending[frameIndex].active = false
        remember(frame.timestamp)
        framesAssembled += 1
        return AssembledFrame(
            bytes: UnsafeRawBufferPointer(start: frameBuffer, count: offset), timestamp: frame.timestamp,
            firstSequenceNumber: frame.startSequence, lastSequenceNumber: frame.endSequence, packetCount: span,
            isKeyframe: start.isKeyframe, pictureID: start.hasPictureID ? start.pictureID : nil)
    }

    /// A pending entry for a new timestamp; when all are taken, the oldest frame is given
    /// up, unless `timestamp` is older than all of them (then the packet is late).
    private func admit(_ timestamp: UInt32, _ result: inout FrameAssemblyResult) -> Int? {
        for free in 0..<pending.count where !pending[free].active {
            pending[free] = PendingFrame(active: true, timestamp: timestamp, startedAt: framesStarted)
            return free
        }
        var oldest = 0
        for i in 1..<pending.count where isOlder(pending[i].timestamp, than: pending[oldest].timestamp) {
            oldest = i
        }
        if isOlder(timestamp, than: pending[oldest].timestamp) { return nil }
        giveUp(oldest, &result)
        pending[oldest] = PendingFrame(active: true, timestamp: timestamp, startedAt: framesStarted)
        return oldest
    }

    private func giveUp(_ frameIndex: Int, _ result: inout FrameAssemblyResult) {
        guard pending[frameIndex].active else { return }
        pending[frameIndex].active = false
        remember(pending[frameIndex].timestamp)
        framesIncomplete += 1
        result.incompleteFrames += 1
    }

    private func pendingIndex(for timestamp: UInt32) -> Int? {
        for i in pending.indices where pending[i].active && pending[i].timestamp == timestamp { return i }
        return nil
    }

    private func remember(_ timestamp: UInt32) {
        finished[finishedNext] = timestamp
        finishedNext = (finishedNext + 1) % finished.count
        finishedCount = min(finishedCount + 1, finished.count)
    }

    private func wasFinished(_ timestamp: UInt32) -> Bool {
        for i in 0..<finishedCount where finished[i] == timestamp { return true }
        return false
    }

    /// RTP timestamp order with wrap-around (RFC 3550 serial arithmetic).
    private func isOlder(_ a: UInt32, than b: UInt32) -> Bool {
        Int32(bitPattern: a &- b) < 0
    }
}
