/// Extends 16-bit RTP sequence numbers to a monotonic 64-bit count across wraps.
///
/// Each number is placed at the extended value nearest the highest one seen so far
/// (within -32768...+32767), so wraps forward (0xFFFF -> 0) and packets reordered
/// around a wrap (0, then a late 0xFFFE) both come out right. The first number maps to
/// itself; a number from before it can come out negative.
public struct SequenceNumberUnwrapper: Sendable, Equatable {
    /// The highest extended value returned so far, or nil before the first packet.
    public private(set) var highest: Int64?

    public init() {}

    /// The extended value of `sequenceNumber`, remembering it when it is the newest.
    public mutating func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        let value = peek(sequenceNumber)
        if let highest, value <= highest { return value }
        highest = value
        return value
    }

    /// The extended value `unwrap` would return, without updating state.
    public func peek(_ sequenceNumber: UInt16) -> Int64 {
        guard let highest else { return Int64(sequenceNumber) }
        let delta = Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highest))
        return highest + Int64(delta)
    }

    public mutating func reset() { highest = nil }
}
