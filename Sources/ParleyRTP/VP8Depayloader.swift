/// Puts VP8 frames back together from RTP payloads (RFC 7741).
///
/// Feed each packet's payload with its marker bit, sequence number and timestamp. A frame
/// starts at the packet with S = 1 and PID = 0 and ends at the packet with the marker; see
/// `FrameAssembler` for reordering, loss and the lifetime of the returned bytes. A frame is
/// a keyframe when the P bit of its VP8 payload header (first byte of partition 0,
/// RFC 7741 §4.3) is 0.
///
/// Not thread-safe: use one depayloader per stream from one thread. No heap allocation
/// after `init`.
public final class VP8Depayloader {
    public let assembler: FrameAssembler
    /// Packets rejected because their descriptor or payload was malformed.
    public private(set) var malformedPackets = 0

    public init(configuration: FrameAssembler.Configuration = FrameAssembler.Configuration()) {
        assembler = FrameAssembler(configuration: configuration)
    }

    /// Adds one RTP payload.
    ///
    /// - Throws: `RTPError` when the payload is malformed (truncated descriptor, no VP8 data
    ///   after it); the packet is counted in `malformedPackets` and otherwise ignored.
    /// - Returns: the frame this packet completed, if any, and how many frames were given up.
    public func depacketize(
        payload: UnsafeRawBufferPointer, marker: Bool, sequenceNumber: UInt16, timestamp: UInt32
    ) throws(RTPError) -> FrameAssemblyResult {
        let descriptor: VP8PayloadDescriptor
        let size: Int
        do {
            (descriptor, size) = try VP8PayloadDescriptor.parse(payload)
        } catch {
            malformedPackets += 1
            throw error
        }
        guard payload.count > size else {
            malformedPackets += 1
            throw RTPError.truncated(what: "VP8 payload after the descriptor", needed: size + 1, available: payload.count)
        }
        let media = UnsafeRawBufferPointer(rebasing: payload[size...])
        let start = descriptor.startsFrame
        return assembler.insert(
            payload: media, sequenceNumber: sequenceNumber, timestamp: timestamp, isFrameStart: start,
            isFrameEnd: marker, isKeyframe: start && media[0] & 0x01 == 0, pictureID: descriptor.pictureID)
    }

    /// Gives up every frame in flight; returns how many.
    @discardableResult
    public func flush() -> Int { assembler.flush() }
}
