/// Bounds-checked big-endian reads over one RTCP packet body. Every read that would run
/// past the end throws `RTPError.truncated` naming the packet and the field, so a parser
/// built on it cannot read out of bounds whatever the input.
struct RTCPByteReader {
    let bytes: UnsafeRawBufferPointer
    /// Names the packet in errors, e.g. "RTCP sender report".
    let what: String
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    private func need(_ n: Int, _ field: String) throws(RTPError) {
        if n > remaining {
            throw .truncated(what: "\(what) \(field)", needed: n, available: remaining)
        }
    }

    mutating func u8(_ field: String) throws(RTPError) -> UInt8 {
        try need(1, field)
        let v = bytes[offset]
        offset += 1
        return v
    }

    mutating func u16(_ field: String) throws(RTPError) -> UInt16 {
        try need(2, field)
        let v = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        offset += 2
        return v
    }

    mutating func u24(_ field: String) throws(RTPError) -> UInt32 {
        try need(3, field)
        let v = UInt32(bytes[offset]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2])
        offset += 3
        return v
    }

    mutating func u32(_ field: String) throws(RTPError) -> UInt32 {
        try need(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    mutating func u64(_ field: String) throws(RTPError) -> UInt64 {
        try need(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    mutating func bytes(_ n: Int, _ field: String) throws(RTPError) -> [UInt8] {
        try need(n, field)
        let out = Array(bytes[offset..<(offset + n)])
        offset += n
        return out
    }

    mutating func skip(_ n: Int, _ field: String) throws(RTPError) {
        try need(n, field)
        offset += n
    }
}

/// Big-endian writes into a caller's buffer. The caller checks the total size first
/// (`RTCPCompound.serialize` does), so writes here stay in bounds.
struct RTCPByteWriter {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var offset: Int

    init(_ buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    mutating func u8(_ v: UInt8) {
        buffer[offset] = v
        offset += 1
    }

    mutating func u16(_ v: UInt16) {
        buffer[offset] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: v)
        offset += 2
    }

    mutating func u24(_ v: UInt32) {
        buffer[offset] = UInt8(truncatingIfNeeded: v >> 16)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: v)
        offset += 3
    }

    mutating func u32(_ v: UInt32) {
        for i in 0..<4 { buffer[offset + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i)) }
        offset += 4
    }

    mutating func u64(_ v: UInt64) {
        for i in 0..<8 { buffer[offset + i] = UInt8(truncatingIfNeeded: v >> (56 - 8 * i)) }
        offset += 8
    }

    mutating func bytes(_ v: [UInt8]) {
        for b in v {
            buffer[offset] = b
            offset += 1
        }
    }

    mutating func zeros(_ n: Int) {
        for _ in 0..<n {
            buffer[offset] = 0
            offset += 1
        }
    }
}

/// Bytes needed to bring `n` up to a multiple of four.
@inline(__always)
func rtcpPadding(toWordBoundary n: Int) -> Int { (4 - n % 4) % 4 }
