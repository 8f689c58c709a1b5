/// Cuts encoded VP9 frames into RTP payloads (RFC 9628), non-flexible mode, one spatial
/// layer, no layer indices.
///
/// Every payload starts with a descriptor carrying I = 1 and a 15-bit picture ID (M = 1)
/// that increments once per frame and wraps from 0x7FFF to 0; P = 0 on keyframes and 1 on
/// inter frames; B = 1 on the first packet of the frame and E = 1 on the last, which also
/// gets the marker. The first packet of a keyframe adds V = 1 and a scalability structure:
/// one spatial layer with its width and height (Y = 1) and a one-picture group
/// (G = 1, N_G = 1: TID 0, U = 0, one reference with P_DIFF 1). So a descriptor is 3 bytes,
/// 11 on the first packet of a keyframe (3 + SS of 8).
///
/// `maxPayloadSize` bounds each payload, descriptor included; the default is
/// `VP8Payloader.defaultMaxPayloadSize` (1100, see there). Each payload is written into a
/// buffer allocated at `init` and handed to `emit`, valid only during that call. No heap
/// allocation per frame or per packet.
///
/// Not thread-safe: use one payloader per stream from one thread.
public final class VP9Payloader {
    public static let defaultMaxPayloadSize = VP8Payloader.defaultMaxPayloadSize
    /// Descriptor on every packet but the first of a keyframe.
    public static let descriptorSize = 3
    /// Descriptor on the first packet of a keyframe (with the scalability structure).
    public static let keyframeDescriptorSize = 11

    public let maxPayloadSize: Int
    /// Frame size announced in the scalability structure of keyframes.
    public var width: UInt16
    public var height: UInt16
    /// The picture ID the next frame gets.
    public private(set) var pictureID: UInt16
    public private(set) var framesPacketized = 0
    public private(set) var packetsProduced = 0
    public private(set) var keyframesPacketized = 0

    private let buffer: UnsafeMutableRawBufferPointer

    /// - Throws: `RTPError.malformed` when `maxPayloadSize` leaves no room for media after
    ///   the 11-byte keyframe descriptor.
    public init(
        width: UInt16, height: UInt16, maxPayloadSize: Int = VP9Payloader.defaultMaxPayloadSize,
        initialPictureID: UInt16 = 0
    ) throws(RTPError) {
        guard maxPayloadSize > Self.keyframeDescriptorSize else {
            throw RTPError.malformed(
                what: "VP9 payloader maxPayloadSize",
                reason: "\(maxPayloadSize) bytes leave no room after the \(Self.keyframeDescriptorSize)-byte keyframe descriptor; use at least \(Self.keyframeDescriptorSize + 1)")
        }
        self.width = width
        self.height = height
        self.maxPayloadSize = maxPayloadSize
        self.pictureID = initialPictureID & 0x7FFF
        self.buffer = .allocate(byteCount: maxPayloadSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// How many packets a frame of `frameSize` bytes becomes.
    public func packetCount(forFrameSize frameSize: Int, keyframe: Bool) -> Int {
        let plan = try? PayloadFragmentPlan(
            frameSize: frameSize,
            firstCapacity: maxPayloadSize - (keyframe ? Self.keyframeDescriptorSize : Self.descriptorSize),
            capacity: maxPayloadSize - Self.descriptorSize)
        return plan?.fragmentCount ?? 0
    }

    /// Packetizes one encoded frame: calls `emit(payload, marker)` once per packet, in
    /// sequence order. An empty frame produces no packet and keeps the picture ID.
    ///
    /// - Returns: the number of packets emitted.
    @discardableResult
    public func packetize(
        frame: UnsafeRawBufferPointer, keyframe: Bool, emit: (UnsafeRawBufferPointer, Bool) throws -> Void
    ) rethrows -> Int {
        guard frame.count > 0, let source = frame.baseAddress, let base = buffer.baseAddress else { return 0 }
        let firstHeader = keyframe ? Self.keyframeDescriptorSize : Self.descriptorSize
        guard var plan = try? PayloadFragmentPlan(
            frameSize: frame.count, firstCapacity: maxPayloadSize - firstHeader,
            capacity: maxPayloadSize - Self.descriptorSize)
        else { return 0 }
        let out = base.assumingMemoryBound(to: UInt8.self)
        var emitted = 0
        while let range = plan.next() {
            let first = emitted == 0
            let last = plan.fragmentsLeft == 0
            let withSS = first && keyframe
            out[0] = 0x80 | (keyframe ? 0 : 0x40) | (first ? 0x08 : 0) | (last ? 0x04 : 0) | (withSS ? 0x02 : 0)
            out[1] = 0x80 | UInt8(truncatingIfNeeded: pictureID >> 8)
            out[2] = UInt8(truncatingIfNeeded: pictureID)
            var header = Self.descriptorSize
            if withSS {
                out[3] = 0x18  // N_S = 0 (one layer), Y = 1, G = 1
                out[4] = UInt8(truncatingIfNeeded: width >> 8)
                out[5] = UInt8(truncatingIfNeeded: width)
                out[6] = UInt8(truncatingIfNeeded: height >> 8)
                out[7] = UInt8(truncatingIfNeeded: height)
                out[8] = 1  // N_G
                out[9] = 0x04  // TID 0, U 0, R 1
                out[10] = 1  // P_DIFF 1
                header = Self.keyframeDescriptorSize
            }
            (base + header).copyMemory(from: source + range.lowerBound, byteCount: range.count)
            emitted += 1
            packetsProduced += 1
            try emit(UnsafeRawBufferPointer(start: base, count: header + range.count), last)
        }
        framesPacketized += 1
        if keyframe { keyframesPacketized += 1 }
        pictureID = (pictureID &+ 1) & 0x7FFF
        return emitted
    }
}
