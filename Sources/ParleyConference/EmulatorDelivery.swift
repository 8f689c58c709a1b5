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
}

extension EmulatorDelivery: Sendable where Payload: Sendable {}
extension EmulatorDelivery: Equatable where Payload: Equatable {}
