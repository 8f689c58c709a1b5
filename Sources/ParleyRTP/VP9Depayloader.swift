/// Puts VP9 frames back together from RTP payloads (RFC 9628).
///
/// A frame starts at a packet with B = 1 (of spatial layer 0 when layer indices are
/// present) and ends at a packet with E = 1 and the RTP marker (the marker closes the
/// picture: with several spatial layers, E alone ends only a layer frame, and the layer
/// frames of one picture are returned together, concatenated). A frame is a keyframe
/// when its first packet has P = 0. See `FrameAssembler` for reordering, loss and the
/// lifetime of the returned bytes.
///
/// The scalability structure is checked but not decoded into arrays (so no heap
/// allocation after `init`); `lastResolution` keeps the last size it announced.
///
/// Not thread-safe: use one depayloader per stream from one thread.
public final class VP9Depayloader {
    public let assembler: FrameAssembler
    /// Packets rejected because their descriptor or payload was malformed.
    public private(set) var malformedPackets = 0
    /// The size of the highest spatial layer in the last scalability structure with sizes.
    public private(set) var lastResolution: VP9Resolution?
    /// Packets that carried a scalability structure.
    public private(set) var scalabilityStructuresSeen = 0

    public init(configuration: FrameAssembler.Configuration = FrameAssembler.Configuration()) {
        assembler = FrameAssembler(configuration: configuration)
    }

    /// Adds one RTP payload.
    ///
    /// - Throws: `RTPError` when the payload is malformed (truncated descriptor or
    ///   scalability structure, no VP9 data after it); the packet is counted in
    ///   `malformedPackets` and otherwise ignored.
    public func depacketize(
        payload: UnsafeRawBufferPointer, marker: Bool, sequenceNumber: UInt16, timestamp: UInt32
    ) throws(RTPError) -> FrameAssemblyResult {
        let parsed: (descriptor: VP9PayloadDescriptor, size: Int, hasScalabilityStructure: Bool, resolution: VP9Resolution?)
        do {
            parsed = try VP9PayloadDescriptor.parse(payload, decodeScalabilityStructure: false)
        } catch {
            malformedPackets += 1
            throw error
        }
        guard payload.count > parsed.size else {
            malformedPackets += 1
            throw RTPError.truncated(what: "VP9 payload after the descriptor", needed: parsed.size + 1, available: payload.count)
        }
        if parsed.hasScalabilityStructure {
            scalabilityStructuresSeen += 1
            if let resolution = parsed.resolution { lastResolution = resolution }
        }
        let descriptor = parsed.descriptor
        let baseLayer = (descriptor.layerIndices?.spatialLayerID ?? 0) == 0
        let start = descriptor.beginningOfFrame && baseLayer
        let media = UnsafeRawBufferPointer(rebasing: payload[parsed.size...])
        return assembler.insert(
            payload: media, sequenceNumber: sequenceNumber, timestamp: timestamp, isFrameStart: start,
            isFrameEnd: descriptor.endOfFrame && marker, isKeyframe: start && !descriptor.interPicturePredicted,
            pictureID: descriptor.pictureID)
    }

    /// Gives up every frame in flight; returns how many.
    @discardableResult
    public func flush() -> Int { assembler.flush() }
}
