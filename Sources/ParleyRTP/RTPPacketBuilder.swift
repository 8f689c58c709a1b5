/// Writes one RTP packet into a caller buffer without allocating: the header, then any
/// number of header extension elements, then the payload and padding.
///
/// ```swift
/// var builder = try RTPPacketBuilder(header: header, into: buffer)
/// try builder.appendExtension(RTPExtensions.AudioLevel(voiceActivity: true, level: 30), id: 1)
/// let length = try builder.finish(payload: opusFrame)
/// ```
///
/// Elements use the RFC 8285 one-byte form while every id is 1...14 and every length
/// 1...16; the first element that does not fit switches the block to the two-byte form
/// (the elements already written are converted in place). The block is zero-padded to a
/// multiple of 4 bytes. To write the payload yourself, call `payloadOffset()`, write
/// there, then `finish(payloadLength:)`.
public struct RTPPacketBuilder {
    private let buffer: UnsafeMutableRawBufferPointer
    private let header: RTPHeader
    /// Where the extension block's 4-byte header goes (the header length).
    private let extensionStart: Int
    /// Next free byte.
    private var offset: Int
    /// The extension block so far: none, one-byte or two-byte. A plain enum (not an
    /// Optional) keeps comparisons cheap in every build.
    private enum BlockState { case none, oneByte, twoByte }
    private var form: BlockState = .none
    private var elementCount = 0
    private var payloadStart: Int? = nil

    /// Writes the fixed header and CSRCs (the X and P bits are set by `finish`).
    public init(header: RTPHeader, into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) {
        self.buffer = buffer
        self.header = header
        extensionStart = try header.serialize(into: buffer)
        offset = extensionStart
    }

    /// Appends one element with `data` copied in.
    public mutating func appendExtension(id: UInt8, data: UnsafeRawBufferPointer) throws(RTPError) {
        let target = try reserveElement(id: id, length: data.count)
        if data.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[target]).copyMemory(from: data)
        }
    }

    /// Appends one element holding an encoded extension value.
    public mutating func appendExtension<Value: RTPExtensionValue>(_ value: Value, id: UInt8) throws(RTPError) {
        let target = try reserveElement(id: id, length: Value.byteCount)
        _ = try value.encode(into: UnsafeMutableRawBufferPointer(rebasing: buffer[target]))
    }

    /// Appends `value` under the id the map assigns to its kind; does nothing when the
    /// extension was not negotiated.
    public mutating func appendExtension<Value: RTPExtensionValue>(_ value: Value, map: RTPExtensionMap) throws(RTPError) {
        guard let id = map.id(for: Value.kind) else { return }
        try appendExtension(value, id: id)
    }

    /// Closes the extension block (if any) and returns where the payload starts.
    /// No more extensions may be appended afterwards.
    public mutating func payloadOffset() throws(RTPError) -> Int {
        if let payloadStart { return payloadStart }
        if form != .none {
            let dataStart = extensionStart + 4
            let padded = (offset - dataStart + 3) & ~3
            let end = dataStart + padded
            guard end <= buffer.count else { throw .bufferTooSmall(needed: end, available: buffer.count) }
            while offset < end { buffer[offset] = 0; offset += 1 }
            let profile = form == .oneByte ? RTPHeaderExtensionForm.oneByteProfile : RTPHeaderExtensionForm.twoByteProfile
            RTPPacketBytes.put16(profile, buffer, extensionStart)
            RTPPacketBytes.put16(UInt16(padded / 4), buffer, extensionStart + 2)
        }
        payloadStart = offset
        return offset
    }

    /// Finishes a packet whose `payloadLength` payload bytes the caller wrote at
    /// `payloadOffset()`; appends `paddingLength` padding bytes (0 for none, else the
    /// last byte holds the count, RFC 3550 §5.1). Returns the packet length.
    public mutating func finish(payloadLength: Int, paddingLength: UInt8 = 0) throws(RTPError) -> Int {
        let start = try payloadOffset()
        guard payloadLength >= 0 else {
            throw .malformed(what: "RTP packet", reason: "payload length \(payloadLength) is negative")
        }
        guard payloadLength <= buffer.count - start else {
            throw .bufferTooSmall(needed: start &+ payloadLength &+ Int(paddingLength), available: buffer.count)
        }
        let paddingStart = start + payloadLength
        let total = paddingStart + Int(paddingLength)
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        if paddingLength > 0 {
            for index in paddingStart..<(total - 1) { buffer[index] = 0 }
            buffer[total - 1] = paddingLength
            buffer[0] |= 0x20
        }
        if form != .none { buffer[0] |= 0x10 }
        return total
    }

    /// Copies `payload` after the header and finishes the packet (see `finish(payloadLength:paddingLength:)`).
    public mutating func finish(payload: UnsafeRawBufferPointer, paddingLength: UInt8 = 0) throws(RTPError) -> Int {
        let start = try payloadOffset()
        let needed = start + payload.count + Int(paddingLength)
        guard needed <= buffer.count else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        if payload.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[start..<(start + payload.count)]).copyMemory(from: payload)
        }
        return try finish(payloadLength: payload.count, paddingLength: paddingLength)
    }

    // MARK: Elements

    /// Writes an element header for `id`/`length` and returns the range for its data.
    private mutating func reserveElement(id: UInt8, length: Int) throws(RTPError) -> Range<Int> {
        guard payloadStart == nil else {
            throw .malformed(what: "RTP packet builder", reason: "extension id \(id) appended after the payload offset was taken")
        }
        guard id >= 1 else {
            throw .malformed(what: "RTP header extension element", reason: "id 0 is reserved for padding")
        }
        guard length >= 0, length <= 255 else {
            throw .malformed(what: "RTP header extension element", reason: "id \(id) has \(length) data bytes, at most 255 fit")
        }
        let fits = RTPHeaderExtensionForm.fitsOneByte(id: id, length: length)
        // Work out the layout first, so a throw leaves the builder as it was.
        let opening = form == .none
        let converting = form == .oneByte && !fits
        let twoByte = opening ? !fits : (form == .twoByte || converting)
        let headerBytes = twoByte ? 2 : 1
        let elementStart = opening ? extensionStart + 4 : offset + (converting ? elementCount : 0)
        let start = elementStart + headerBytes
        let end = start + length
        // Keep the block within 65535 words once padded.
        guard end - (extensionStart + 4) <= 0xFFFF * 4 else {
            throw .malformed(what: "RTP header extension", reason: "the block would exceed 65535 words")
        }
        guard end <= buffer.count else { throw .bufferTooSmall(needed: end, available: buffer.count) }
        if opening {
            form = twoByte ? .twoByte : .oneByte
        } else if converting {
            convertToTwoByte()
        }
        offset = elementStart
        if headerBytes == 1 {
            buffer[offset] = id << 4 | UInt8(length - 1)
        } else {
            buffer[offset] = id
            buffer[offset + 1] = UInt8(length)
        }
        offset = end
        elementCount += 1
        return start..<end
    }

    /// Rewrites the one-byte elements written so far in the two-byte form, in place.
    /// Each element header grows by one byte, so element `i` moves right by `i + 1`;
    /// working from the last element back never overwrites bytes not yet moved.
    private mutating func convertToTwoByte() {
        let grown = offset + elementCount
        let dataStart = extensionStart + 4
        var index = elementCount - 1
        while index >= 0 {
            // Find element `index` (the builder writes no padding between elements).
            var position = dataStart
            for _ in 0..<index { position += 1 + Int(buffer[position] & 0x0F) + 1 }
            let byte = buffer[position]
            let length = Int(byte & 0x0F) + 1
            let target = position + index
            // Move the data right by index + 1, last byte first.
            var byteIndex = length - 1
            while byteIndex >= 0 {
                buffer[target + 2 + byteIndex] = buffer[position + 1 + byteIndex]
                byteIndex -= 1
            }
            buffer[target] = byte >> 4
            buffer[target + 1] = UInt8(length)
            index -= 1
        }
        offset = grown
        form = .twoByte
    }
}
