/// One compressed VP8/VP9 frame in a reusable, caller-owned buffer.
///
/// `data` holds at least `size` bytes; the valid bytes are `data[0..<size]`. The encoder
/// grows `data` only when it is too small, so reusing one value across frames does not
/// allocate in steady state.
public struct EncodedVideoFrame: Sendable, Equatable {
    public var data: [UInt8]
    /// Valid bytes at the start of `data`.
    public var size: Int
    public var isKeyframe: Bool
    /// Presentation time in encoder time-base units (frame periods).
    public var pts: Int64

    public init() {
        data = []
        size = 0
        isKeyframe = false
        pts = 0
    }

    /// A buffer with room for `capacity` bytes, allocated up front.
    public init(capacity: Int) {
        data = [UInt8](repeating: 0, count: max(0, capacity))
        size = 0
        isKeyframe = false
        pts = 0
    }

    /// A copy of the valid bytes.
    public var bytes: [UInt8] { Array(data.prefix(max(0, min(size, data.count)))) }
}
