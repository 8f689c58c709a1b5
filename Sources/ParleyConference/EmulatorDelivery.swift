/// One packet coming out of the emulator.
public struct EmulatorDelivery<Payload> {
    /// Arrival time, seconds on the emulator's clock.
    public var time: Double
    public var payload: Payload
    /// Submission index (0 for the first packet submitted).
    public var sequence: Int
    /// 0 for the original, 1 for a duplicate.
    public var copy: Int
    public var sentAt: Double
    /// True on the last copy of this packet to come out: a caller keeping the bytes in its
    /// own slot (the payload being the slot's index) may reuse the slot now.
    public var isLastCopy: Bool
}

extension EmulatorDelivery: Sendable where Payload: Sendable {}
extension EmulatorDelivery: Equatable where Payload: Equatable {}
