/// A header extension whose data Parley understands: a fixed-size value that encodes
/// into, and decodes from, the element's data bytes without allocating.
public protocol RTPExtensionValue: Sendable, Equatable {
    /// The URI that names the extension in an SDP `a=extmap` line.
    static var uri: String { get }
    /// The kind the extension map uses for it.
    static var kind: RTPExtensionKind { get }
    /// Bytes of element data.
    static var byteCount: Int { get }
    /// Decodes element data; throws when its length or contents are invalid.
    init(decoding data: UnsafeRawBufferPointer) throws(RTPError)
    /// Writes `byteCount` bytes at the start of `buffer`; returns `byteCount`.
    func encode(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int
}

extension RTPExtensionValue {
    /// Decodes from an array (convenience off the media path).
    public init(decoding data: [UInt8]) throws(RTPError) {
        let result = data.withUnsafeBytes { raw -> Result<Self, RTPError> in
            do throws(RTPError) { return .success(try Self(decoding: raw)) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// The encoded element data as an array (convenience off the media path).
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.byteCount)
        _ = bytes.withUnsafeMutableBytes { raw in try? encode(into: raw) }
        return bytes
    }

    @inline(__always)
    static func checkDecodeLength(_ data: UnsafeRawBufferPointer) throws(RTPError) {
        guard data.count == byteCount else {
            throw .malformed(what: "\(uri) header extension", reason: "\(data.count) data bytes, expected \(byteCount)")
        }
    }

    @inline(__always)
    static func checkEncodeLength(_ buffer: UnsafeMutableRawBufferPointer) throws(RTPError) {
        guard buffer.count >= byteCount else { throw .bufferTooSmall(needed: byteCount, available: buffer.count) }
    }
}
