/// Extends 32-bit RTP timestamps to a monotonic 64-bit count across wraps.
///
/// Each timestamp is placed at the extended value nearest the highest one seen so far
/// (within -2^31 ... 2^31-1), so forward wraps and reordering around a wrap both come out
/// right. The first timestamp maps to itself; one from before it can come out negative.
public struct TimestampUnwrapper: Sendable, Equatable {
    /// The highest extended value returned so far, or nil before the first packet.
    public private(set) var highest: Int64?

    public init() {}

    /// The extended value of `timestamp`, remembering it when it is the newest.
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        let value = peek(timestamp)
        if let highest, value <= highest { return value }
        highest = value
        return value
    }

    /// The extended value `unwrap` would return, without updating state.
    public func peek(_ timestamp: UInt32) -> Int64 {
        guard let highest else { return Int64(timestamp) }
        let delta = Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: highest))
        return highest + Int64(delta)
    }

    public mutating func reset() { highest = nil }
}
