/// A parsed RTP packet that borrows the caller's buffer: header fields plus the offsets
/// of the extension block, payload and padding. Parsing validates everything (lengths,
/// version, padding, every extension element) and never allocates, so a receiver can
/// parse each packet and count the ones that throw as drops.
///
/// Offsets are into the buffer given to `parse`; pass the same buffer to the element
/// accessors.
public struct RTPPacketView: Sendable, Equatable {
    public let header: RTPHeader
    /// Bytes in the packet (the whole buffer given to `parse`).
    public let packetLength: Int
    /// The 16-bit "defined by profile" value of the extension block, or nil without one.
    public let extensionProfile: UInt16?
    /// The extension block's data, after its 4-byte header (empty without one).
    public let extensionRange: Range<Int>
    public let payloadRange: Range<Int>
    /// Padding bytes at the end, counting the final count byte; 0 without padding.
    public let paddingLength: Int

    public var hasPadding: Bool { paddingLength > 0 }
    public var hasExtension: Bool { extensionProfile != nil }
    /// The layout of the extension block, or nil without one.
    public var extensionForm: RTPHeaderExtensionForm? { extensionProfile.map(RTPHeaderExtensionForm.init(profile:)) }
    /// Bytes of header, CSRCs and extension block: where the payload starts.
    public var payloadOffset: Int { payloadRange.lowerBound }

    /// Parses and validates one RTP packet occupying all of `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPError) -> RTPPacketView {
        let (header, padding, hasExtension) = try RTPHeader.parseFixed(bytes)
        let count = bytes.count
        var offset = header.length
        var profile: UInt16? = nil
        var extensionRange = offset..<offset

        if hasExtension {
            guard count >= offset + 4 else {
                throw .truncated(what: "RTP header extension header", needed: offset + 4, available: count)
            }
            let value = RTPPacketBytes.u16(bytes, offset)
            let words = Int(RTPPacketBytes.u16(bytes, offset + 2))
            let start = offset + 4
            let end = start + 4 * words
            guard end <= count else {
                throw .truncated(what: "RTP header extension (length \(words) words)", needed: end, available: count)
            }
            let form = RTPHeaderExtensionForm(profile: value)
            var cursor = start
            while try RTPHeaderExtensionWalk.next(bytes, offset: &cursor, end: end, form: form) != nil {}
            profile = value
            extensionRange = start..<end
            offset = end
        }

        var paddingLength = 0
        if padding {
            let remaining = count - offset
            guard remaining > 0 else {
                throw .malformed(what: "RTP padding", reason: "the padding bit is set but no bytes follow the header")
            }
            paddingLength = Int(bytes[count - 1])
            guard paddingLength > 0 else {
                throw .malformed(what: "RTP padding", reason: "the padding bit is set but the pad count (last byte) is 0")
            }
            guard paddingLength <= remaining else {
                throw .malformed(
                    what: "RTP padding",
                    reason: "the pad count \(paddingLength) exceeds the \(remaining) bytes after the header")
            }
        }
        return RTPPacketView(
            header: header, packetLength: count, extensionProfile: profile, extensionRange: extensionRange,
            payloadRange: offset..<(count - paddingLength), paddingLength: paddingLength)
    }

    /// Parses an array (no copy, no allocation).
    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> RTPPacketView {
        let result = bytes.withUnsafeBytes { raw -> Result<RTPPacketView, RTPError> in
            do throws(RTPError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The RFC 8285 elements, in order, as ranges into `bytes` (nothing for a
    /// profile-specific block).
    public func extensionElements(in bytes: UnsafeRawBufferPointer) -> RTPHeaderExtensionIterator {
        RTPHeaderExtensionIterator(bytes: bytes, range: extensionRange, form: extensionForm ?? .profileSpecific)
    }

    /// The data range of the first element with `id`, or nil.
    public func extensionElement(id: UInt8, in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        var elements = extensionElements(in: bytes)
        while let element = elements.next() {
            if element.id == id { return element.range }
        }
        return nil
    }

    /// Decodes the element with `id` as `type`; nil when absent, throws when its data is invalid.
    public func extensionValue<Value: RTPExtensionValue>(
        _ type: Value.Type, id: UInt8, in bytes: UnsafeRawBufferPointer
    ) throws(RTPError) -> Value? {
        guard let range = extensionElement(id: id, in: bytes) else { return nil }
        return try Value(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Decodes the element the map assigns to `type`; nil when not negotiated or absent.
    public func extensionValue<Value: RTPExtensionValue>(
        _ type: Value.Type, map: RTPExtensionMap, in bytes: UnsafeRawBufferPointer
    ) throws(RTPError) -> Value? {
        guard let id = map.id(for: Value.kind) else { return nil }
        return try extensionValue(type, id: id, in: bytes)
    }
}
