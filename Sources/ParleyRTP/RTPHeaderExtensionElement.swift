/// One RFC 8285 header extension element, owning its data (for `RTPPacket`, off the
/// media path). Valid by construction: id 1...255, at most 255 data bytes.
public struct RTPHeaderExtensionElement: Sendable, Equatable {
    /// The negotiated local id: 1...14 fits the one-byte form, 15...255 needs the two-byte form.
    public let id: UInt8
    /// Element data: 1...16 bytes fits the one-byte form; 0 or 17...255 needs the two-byte form.
    public let data: [UInt8]

    public init(id: UInt8, data: [UInt8]) throws(RTPError) {
        guard id >= 1 else {
            throw .malformed(what: "RTP header extension element", reason: "id 0 is reserved for padding")
        }
        guard data.count <= 255 else {
            throw .malformed(what: "RTP header extension element", reason: "id \(id) has \(data.count) data bytes, at most 255 fit")
        }
        self.id = id
        self.data = data
    }

    /// An element holding an encoded extension value.
    public init<Value: RTPExtensionValue>(id: UInt8, value: Value) throws(RTPError) {
        try self.init(id: id, data: value.encoded())
    }

    /// True when this element fits the one-byte form.
    public var fitsOneByteForm: Bool { RTPHeaderExtensionForm.fitsOneByte(id: id, length: data.count) }
}
