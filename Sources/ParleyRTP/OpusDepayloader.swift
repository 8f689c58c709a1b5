/// Takes Opus packets out of RTP payloads (RFC 7587): the payload is the Opus packet.
///
/// Checks that the payload is not empty and that its TOC describes a possible packet, so
/// the decoder never sees one that is not. No heap allocation.
public struct OpusDepayloader: Sendable {
    public private(set) var packetsDepacketized = 0
    public private(set) var malformedPackets = 0

    public init() {}

    /// The Opus packet in `payload` (the same bytes) and its duration at 48 kHz.
    ///
    /// - Throws: `RTPError.truncated` for an empty payload, `RTPError` for a packet whose
    ///   TOC is impossible; counted in `malformedPackets`.
    public mutating func depacketize(payload: UnsafeRawBufferPointer) throws(RTPError) -> (packet: UnsafeRawBufferPointer, sampleCount: Int) {
        do {
            let samples = try OpusPayload.sampleCount(of: payload)
            packetsDepacketized += 1
            return (payload, samples)
        } catch {
            malformedPackets += 1
            throw error
        }
    }
}
