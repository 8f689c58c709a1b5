/// What the network does with one packet: it is lost (and why), or it arrives at `time`,
/// possibly a second time (`duplicateTime`, the same instant, delivered right after).
public enum PacketFate: Equatable, Sendable {
    case lost(LossCause)
    /// `heldBack`: the packet was picked by `reorder` and later packets may overtake it.
    case delivered(time: Double, duplicateTime: Double?, heldBack: Bool)

    public var isLost: Bool {
        if case .lost = self { return true }
        return false
    }

    /// The arrival time of the first copy, nil if lost.
    public var arrivalTime: Double? {
        if case .delivered(let time, _, _) = self { return time }
        return nil
    }
}
