/// Where one header extension element's data sits in the packet buffer.
public struct RTPHeaderExtensionElementRange: Sendable, Equatable {
    /// The negotiated local id (1...14 one-byte form, 1...255 two-byte form).
    public let id: UInt8
    /// The element's data bytes, as offsets into the buffer the packet was parsed from.
    public let range: Range<Int>

    public init(id: UInt8, range: Range<Int>) {
        self.id = id
        self.range = range
    }
}

/// Walks the RFC 8285 elements of a parsed packet without allocating. Yields nothing
/// for a profile-specific block; stops at the id-15 terminator and at the first
/// malformed element (`RTPPacketView.parse` has already rejected those, so this only
/// happens when given a buffer other than the one parsed).
public struct RTPHeaderExtensionIterator: IteratorProtocol, Sequence {
    private let bytes: UnsafeRawBufferPointer
    private var offset: Int
    private let end: Int
    private let form: RTPHeaderExtensionForm

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>, form: RTPHeaderExtensionForm) {
        self.bytes = bytes
        self.form = form
        // Never read outside the buffer, whatever range we were handed.
        self.end = Swift.min(range.upperBound, bytes.count)
        self.offset = Swift.min(Swift.max(range.lowerBound, 0), end)
    }

    public mutating func next() -> RTPHeaderExtensionElementRange? {
        do {
            return try RTPHeaderExtensionWalk.next(bytes, offset: &offset, end: end, form: form)
        } catch {
            offset = end
            return nil
        }
    }
}
