/// The picture ID field that VP8 (RFC 7741 §4.2) and VP9 (RFC 9628 §4.2) payload
/// descriptors share: an M bit, then 7 bits, or 15 bits when M is set.
enum PayloadPictureID {
    /// Reads the field at `index`. `field` and `longField` name it in truncation errors
    /// (the 7-bit and the 15-bit form).
    @inline(__always)
    static func read(
        _ bytes: UnsafeRawBufferPointer, at index: Int, field: String, longField: String
    ) throws(RTPError) -> (id: UInt16, is15Bit: Bool, length: Int) {
        guard bytes.count >= index + 1 else {
            throw RTPError.truncated(what: field, needed: index + 1, available: bytes.count)
        }
        let high = bytes[index]
        guard high & 0x80 != 0 else { return (UInt16(high), false, 1) }
        guard bytes.count >= index + 2 else {
            throw RTPError.truncated(what: longField, needed: index + 2, available: bytes.count)
        }
        return (UInt16(high & 0x7F) << 8 | UInt16(bytes[index + 1]), true, 2)
    }

    /// Writes the field at `index` and returns its length (1 or 2).
    @inline(__always)
    static func write(_ id: UInt16, is15Bit: Bool, into out: UnsafeMutablePointer<UInt8>, at index: Int) -> Int {
        if is15Bit {
            out[index] = 0x80 | UInt8(truncatingIfNeeded: id >> 8)
            out[index + 1] = UInt8(truncatingIfNeeded: id)
            return 2
        }
        out[index] = UInt8(truncatingIfNeeded: id) & 0x7F
        return 1
    }
}
