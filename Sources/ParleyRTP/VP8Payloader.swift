/// Cuts encoded VP8 frames into RTP payloads (RFC 7741).
///
/// Every payload starts with a 4-byte descriptor: X = 1, I = 1 with a 15-bit PictureID
/// (M = 1) that increments once per frame and wraps from 0x7FFF to 0; S = 1 and PID = 0 on
/// the first packet of a frame (Parley sends each frame as one partition run, so later
/// packets have S = 0, PID = 0); N = 0. The marker goes on the last packet of the frame.
///
/// ### Payload size
/// `maxPayloadSize` bounds each payload, descriptor included. The default 1100 comes from
/// a 1200-byte packet budget (kept under common path MTUs after IP/UDP and TURN/ICE
/// overhead) minus 12 bytes of RTP header, 16 bytes of SRTP AEAD_AES_128_GCM tag and
/// about 72 bytes left for RTP header extensions. Callers with another MTU pass their own
/// value.
///
/// ### Buffers
/// Each payload is written into one buffer the payloader allocates at `init` and handed
/// to `emit`; the pointer is valid only during that call (copy or send it there). No
/// heap allocation per frame or per packet.
///
/// Not thread-safe: use one payloader per stream from one thread.
public final class VP8Payloader {
    /// The default `maxPayloadSize`: 1200 − 12 (RTP) − 16 (SRTP GCM tag) − 72 (extensions).
    public static let defaultMaxPayloadSize = 1100
    /// The descriptor this payloader writes on every packet.
    public static let descriptorSize = 4

    public let maxPayloadSize: Int
    /// The PictureID the next frame gets.
    public private(set) var pictureID: UInt16
    /// Frames and packets produced.
    public private(set) var framesPacketized = 0
    public private(set) var packetsProduced = 0
    public private(set) var keyframesPacketized = 0

    private let buffer: UnsafeMutableRawBufferPointer

    /// - Parameters:
    ///   - maxPayloadSize: largest RTP payload, descriptor included; at least 5.
    ///   - initialPictureID: the first frame's PictureID (masked to 15 bits). RFC 7741
    ///     suggests a random start.
    /// - Throws: `RTPError.malformed` when `maxPayloadSize` leaves no room for media.
    public init(maxPayloadSize: Int = VP8Payloader.defaultMaxPayloadSize, initialPictureID: UInt16 = 0) throws(RTPError) {
        guard maxPayloadSize > Self.descriptorSize else {
            throw RTPError.malformed(
                what: "VP8 payloader maxPayloadSize",
                reason: "\(maxPayloadSize) bytes leave no room after the \(Self.descriptorSize)-byte descriptor; use at least \(Self.descriptorSize + 1)")
        }
        self.maxPayloadSize = maxPayloadSize
        self.pictureID = initialPictureID & 0x7FFF
        self.buffer = .allocate(byteCount: maxPayloadSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// How many packets a frame of `frameSize` bytes becomes.
    public func packetCount(forFrameSize frameSize: Int) -> Int {
        let plan = try? PayloadFragmentPlan(
            frameSize: frameSize, firstCapacity: maxPayloadSize - Self.descriptorSize,
            capacity: maxPayloadSize - Self.descriptorSize)
        return plan?.fragmentCount ?? 0
    }

    /// Packetizes one encoded frame: calls `emit(payload, marker)` once per packet, in
    /// sequence order. An empty frame produces no packet and keeps the PictureID.
    ///
    /// - Parameter keyframe: whether the encoder made a keyframe; VP8 signals it in the
    ///   bitstream itself (P bit of the payload header), so this only feeds
    ///   `keyframesPacketized`.
    /// - Returns: the number of packets emitted.
    @discardableResult
    public func packetize(
        frame: UnsafeRawBufferPointer, keyframe: Bool, emit: (UnsafeRawBufferPointer, Bool) throws -> Void
    ) rethrows -> Int {
        guard frame.count > 0, let source = frame.baseAddress, let base = buffer.baseAddress else { return 0 }
        let room = maxPayloadSize - Self.descriptorSize
        // `init` guarantees room >= 1, so the plan cannot fail.
        guard var plan = try? PayloadFragmentPlan(frameSize: frame.count, firstCapacity: room, capacity: room) else {
            return 0
        }
        let out = base.assumingMemoryBound(to: UInt8.self)
        out[1] = 0x80  // I
        out[2] = 0x80 | UInt8(truncatingIfNeeded: pictureID >> 8)  // M + PictureID high bits
        out[3] = UInt8(truncatingIfNeeded: pictureID)
        var emitted = 0
        while let range = plan.next() {
            out[0] = emitted == 0 ? 0x90 : 0x80  // X, S on the first packet, PID 0
            (base + Self.descriptorSize).copyMemory(from: source + range.lowerBound, byteCount: range.count)
            let last = plan.fragmentsLeft == 0
            emitted += 1
            packetsProduced += 1
            try emit(UnsafeRawBufferPointer(start: base, count: Self.descriptorSize + range.count), last)
        }
        framesPacketized += 1
        if keyframe { keyframesPacketized += 1 }
        pictureID = (pictureID &+ 1) & 0x7FFF
        return emitted
    }
}
