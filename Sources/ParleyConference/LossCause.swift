/// Why the emulator dropped a packet.
public enum LossCause: String, Sendable, CaseIterable, Equatable {
    /// Independent random loss (`loss=`).
    case random
    /// Gilbert–Elliott burst loss (`burst=`, `gilbert=`).
    case burst
    /// Drop-tail queue overflow in front of the bandwidth cap (`rate=`, `queue=`).
    case queue
    /// Sent inside a blackout window (`blackout=`).
    case blackout
    /// Marked lost by the replayed trace.
    case trace
}
