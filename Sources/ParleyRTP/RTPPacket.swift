/// An RTP packet that owns its parts: for tests, tools and paths where an allocation
/// per packet does not matter. The media path uses `RTPPacketView` and `RTPPacketBuilder`,
/// which this type is built on, so both read and write the same bytes.
public struct RTPPacket: Sendable, Equatable {
    public var header: RTPHeader
    /// RFC 8285 elements, in order. Serialization picks the one-byte form when every
    /// element fits it, else the two-byte form (appbits 0).
    public var extensions: [RTPHeaderExtensionElement]
    /// A profile-specific extension block; cannot be combined with `extensions`.
    public var extensionBlock: RTPHeaderExtensionBlock?
    public var payload: [UInt8]
    /// Padding bytes including the final count byte (RFC 3550 §5.1); 0 for none.
    public var paddingLength: UInt8

    public init(
        header: RTPHeader, extensions: [RTPHeaderExtensionElement] = [], extensionBlock: RTPHeaderExtensionBlock? = nil,
        payload: [UInt8] = [], paddingLength: UInt8 = 0
    ) {
        self.header = header
        self.extensions = extensions
        self.extensionBlock = extensionBlock
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// Parses and validates one packet (the whole array).
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        let result = bytes.withUnsafeBytes { raw -> Result<RTPPacket, RTPError> in
            do throws(RTPError) { return .success(try RTPPacket(parsing: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Parses and validates one packet (all of `bytes`), copying its parts out.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPError) {
        let view = try RTPPacketView.parse(bytes)
        header = view.header
        extensions = []
        extensionBlock = nil
        if let profile = view.extensionProfile {
            if view.extensionForm == .profileSpecific {
                extensionBlock = try RTPHeaderExtensionBlock(profile: profile, data: Array(bytes[view.extensionRange]))
            } else {
                for element in view.extensionElements(in: bytes) {
                    extensions.append(try RTPHeaderExtensionElement(id: element.id, data: Array(bytes[element.range])))
                }
            }
        }
        payload = Array(bytes[view.payloadRange])
        // parse() guarantees 0...255.
        paddingLength = UInt8(truncatingIfNeeded: view.paddingLength)
    }

    /// Bytes `serialized()` produces.
    public var serializedLength: Int {
        var length = header.length
        if let extensionBlock {
            length += 4 + extensionBlock.data.count
        } else if !extensions.isEmpty {
            let oneByte = extensions.allSatisfy(\.fitsOneByteForm)
            let elementBytes = extensions.reduce(0) { $0 + (oneByte ? 1 : 2) + $1.data.count }
            length += 4 + (elementBytes + 3) & ~3
        }
        return length + payload.count + Int(paddingLength)
    }

    /// The packet on the wire. Throws for a payload type above 127, for elements and a
    /// profile-specific block together, or an extension block beyond 65535 words.
    public func serialized() throws(RTPError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: serializedLength)
        let result = bytes.withUnsafeMutableBytes { raw -> Result<Int, RTPError> in
            do throws(RTPError) { return .success(try serialize(into: raw)) } catch { return .failure(error) }
        }
        let length = try result.get()
        if length < bytes.count { bytes.removeLast(bytes.count - length) }
        return bytes
    }

    /// Writes the packet into `buffer`; returns its length.
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
        if let extensionBlock {
            guard extensions.isEmpty else {
                throw .malformed(what: "RTP packet", reason: "RFC 8285 elements and a profile-specific extension block cannot both be sent")
            }
            let start = try header.serialize(into: buffer, hasExtension: true)
            let dataStart = start + 4
            let end = dataStart + extensionBlock.data.count
            guard end <= buffer.count else { throw .bufferTooSmall(needed: end, available: buffer.count) }
            RTPPacketBytes.put16(extensionBlock.profile, buffer, start)
            RTPPacketBytes.put16(UInt16(extensionBlock.data.count / 4), buffer, start + 2)
            for (index, byte) in extensionBlock.data.enumerated() { buffer[dataStart + index] = byte }
            return try finishPayload(into: buffer, at: end)
        }
        var builder = try RTPPacketBuilder(header: header, into: buffer)
        for element in extensions {
            let appended = element.data.withUnsafeBytes { raw -> Result<Void, RTPError> in
                do throws(RTPError) {
                    try builder.appendExtension(id: element.id, data: raw)
                    return .success(())
                } catch { return .failure(error) }
            }
            try appended.get()
        }
        let finished = payload.withUnsafeBytes { raw -> Result<Int, RTPError> in
            do throws(RTPError) {
                return .success(try builder.finish(payload: raw, paddingLength: paddingLength))
            } catch { return .failure(error) }
        }
        return try finished.get()
    }

    private func finishPayload(into buffer: UnsafeMutableRawBufferPointer, at start: Int) throws(RTPError) -> Int {
        let paddingStart = start + payload.count
        let total = paddingStart + Int(paddingLength)
        guard total <= buffer.count else { throw .bufferTooSmall(needed: total, available: buffer.count) }
        for (index, byte) in payload.enumerated() { buffer[start + index] = byte }
        if paddingLength > 0 {
            for index in paddingStart..<(total - 1) { buffer[index] = 0 }
            buffer[total - 1] = paddingLength
            buffer[0] |= 0x20
        }
        return total
    }
}
