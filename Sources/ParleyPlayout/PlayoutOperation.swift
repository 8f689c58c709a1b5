/// What one `pull` did to produce its frame (NetEq's operations).
public enum PlayoutOperation: String, Sendable, Codable, CaseIterable {
    /// Waiting for the first packets to reach the target delay: silence.
    case buffering
    /// Played decoded audio at its natural length.
    case normal
    /// Decoded a packet and removed a pitch period (buffer above target).
    case accelerate
    /// Decoded a packet and inserted a pitch period (buffer below target, before it runs dry).
    case preemptiveExpand
    /// Recovered a lost frame from the next packet's in-band FEC.
    case fec
    /// Packet loss concealment (the packet is late or lost).
    case expand
    /// Comfort noise during a DTX gap.
    case comfortNoise
}
