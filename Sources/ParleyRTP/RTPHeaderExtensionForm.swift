/// Which layout a header extension block uses, from its 16-bit profile field.
public enum RTPHeaderExtensionForm: Sendable, Equatable {
    /// RFC 8285 §4.2, profile 0xBEDE: ids 1...14, 1...16 data bytes per element.
    case oneByte
    /// RFC 8285 §4.3, profile 0x100X (X = 4 "appbits"): ids 1...255, 0...255 data bytes.
    case twoByte
    /// Another profile (RFC 3550 §5.3.1): opaque data, no elements.
    case profileSpecific

    /// The profile value that starts a one-byte block.
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The profile value (appbits 0) that starts a two-byte block.
    public static let twoByteProfile: UInt16 = 0x1000

    public init(profile: UInt16) {
        if profile == Self.oneByteProfile {
            self = .oneByte
        } else if profile & 0xFFF0 == Self.twoByteProfile {
            self = .twoByte
        } else {
            self = .profileSpecific
        }
    }

    /// True when an element with this id and data length fits the one-byte form.
    @inline(__always)
    public static func fitsOneByte(id: UInt8, length: Int) -> Bool {
        id >= 1 && id <= 14 && length >= 1 && length <= 16
    }
}

/// The element walk shared by `RTPPacketView.parse` (which validates every element)
/// and `RTPHeaderExtensionIterator` (which stops quietly at the first bad one).
enum RTPHeaderExtensionWalk {
    /// The next element of the block between `offset` and `end`, or nil at its end
    /// (including the RFC 8285 id-15 terminator of the one-byte form). Zero bytes
    /// between elements are padding and skipped.
    static func next(
        _ bytes: UnsafeRawBufferPointer, offset: inout Int, end: Int, form: RTPHeaderExtensionForm
    ) throws(RTPError) -> RTPHeaderExtensionElementRange? {
        switch form {
        case .profileSpecific:
            offset = end
            return nil
        case .oneByte:
            while offset < end {
                let byte = bytes[offset]
                if byte == 0 { offset += 1; continue }
                let id = byte >> 4
                if id == 15 {
                    // RFC 8285 §4.2: ignore its length, stop processing the block.
                    offset = end
                    return nil
                }
                if id == 0 {
                    throw .malformed(
                        what: "RTP one-byte header extension element",
                        reason: "id 0 is reserved for padding but has length bits \(byte & 0x0F) (byte 0x\(String(byte, radix: 16)) at offset \(offset))")
                }
                let length = Int(byte & 0x0F) + 1
                let start = offset + 1
                guard start + length <= end else {
                    throw .malformed(
                        what: "RTP one-byte header extension element",
                        reason: "id \(id) declares \(length) data bytes but only \(end - start) remain in the extension block")
                }
                offset = start + length
                return RTPHeaderExtensionElementRange(id: id, range: start..<(start + length))
            }
            return nil
        case .twoByte:
            while offset < end {
                let id = bytes[offset]
                if id == 0 { offset += 1; continue }
                guard offset + 2 <= end else {
                    throw .malformed(
                        what: "RTP two-byte header extension element",
                        reason: "id \(id) at the last byte of the extension block has no length byte")
                }
                let length = Int(bytes[offset + 1])
                let start = offset + 2
                guard start + length <= end else {
                    throw .malformed(
                        what: "RTP two-byte header extension element",
                        reason: "id \(id) declares \(length) data bytes but only \(end - start) remain in the extension block")
                }
                offset = start + length
                return RTPHeaderExtensionElementRange(id: id, range: start..<(start + length))
            }
            return nil
        }
    }
}
