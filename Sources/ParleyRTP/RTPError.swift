/// What can go wrong parsing or building RTP, RTCP, payloads and SDP. Parsers never
/// crash on bad input: they return one of these, and receivers count it as a drop.
public enum RTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the structure needs.
    case truncated(what: String, needed: Int, available: Int)
    /// A field whose value is impossible (wrong version, a length that lies, …).
    case malformed(what: String, reason: String)
    /// Valid but not something Parley handles (an unknown payload type, …).
    case unsupported(what: String, reason: String)
    /// A caller-provided output buffer is too small.
    case bufferTooSmall(needed: Int, available: Int)
    /// An SDP line that cannot be used; `line` counts from 1.
    case sdp(line: Int, reason: String)

    public var description: String {
        switch self {
        case .truncated(let what, let needed, let available):
            return "\(what) is truncated: \(needed) bytes needed, \(available) present"
        case .malformed(let what, let reason):
            return "malformed \(what): \(reason)"
        case .unsupported(let what, let reason):
            return "unsupported \(what): \(reason)"
        case .bufferTooSmall(let needed, let available):
            return "output buffer too small: \(needed) bytes needed, \(available) available"
        case .sdp(let line, let reason):
            return "SDP line \(line): \(reason)"
        }
    }
}
