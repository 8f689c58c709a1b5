/// Splits one encoded frame into RTP payload fragments of nearly equal size.
///
/// The number of fragments is the smallest that fits: the first fragment may have less
/// room than the others (a VP9 keyframe carries the scalability structure in its first
/// packet only), every later one has `capacity` bytes of room. The bytes are then spread
/// evenly (as libwebrtc does) rather than filling each packet to the limit and leaving a
/// tiny last one: a 5000-byte VP8 frame with 1096 bytes of room per packet becomes five
/// fragments of 1000 bytes.
///
/// A value type with no storage: planning allocates nothing.
public struct PayloadFragmentPlan: Sendable, Equatable {
    /// Bytes of the frame still to hand out.
    public private(set) var remaining: Int
    /// Fragments still to hand out.
    public private(set) var fragmentsLeft: Int
    /// Offset of the next fragment in the frame.
    public private(set) var offset: Int
    /// The number of fragments the frame is cut into.
    public let fragmentCount: Int
    private let firstCapacity: Int
    private let capacity: Int

    /// Plans the fragments of a `frameSize`-byte frame.
    ///
    /// - Throws: `RTPError.malformed` when a capacity is below one byte, which would make
    ///   any frame impossible to send.
    public init(frameSize: Int, firstCapacity: Int, capacity: Int) throws(RTPError) {
        guard firstCapacity >= 1, capacity >= 1 else {
            throw RTPError.malformed(
                what: "payload size limit",
                reason: "leaves \(min(firstCapacity, capacity)) bytes for media after the payload descriptor; "
                    + "raise maxPayloadSize")
        }
        let size = max(0, frameSize)
        self.remaining = size
        self.offset = 0
        self.firstCapacity = firstCapacity
        self.capacity = capacity
        if size == 0 {
            fragmentCount = 0
        } else if size <= firstCapacity {
            fragmentCount = 1
        } else {
            fragmentCount = 1 + (size - firstCapacity + capacity - 1) / capacity
        }
        fragmentsLeft = fragmentCount
    }

    /// The next fragment's byte range in the frame, or nil when the frame is all handed out.
    public mutating func next() -> Range<Int>? {
        guard fragmentsLeft > 0, remaining > 0 else { return nil }
        let room = fragmentsLeft == fragmentCount ? firstCapacity : capacity
        let even = (remaining + fragmentsLeft - 1) / fragmentsLeft
        let size = fragmentsLeft == 1 ? remaining : min(room, even)
        let range = offset..<(offset + size)
        offset += size
        remaining -= size
        fragmentsLeft -= 1
        return range
    }
}
