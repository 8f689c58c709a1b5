/// What can go wrong on the network side. Messages say what to do.
public enum NetworkError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotBind(endpoint: String, reason: String)
    case sendFailed(destination: String, reason: String)
    case receiveFailed(reason: String)
    case closed
    case invalidEndpoint(String)

    public var description: String {
        switch self {
        case .cannotBind(let endpoint, let reason):
            return "cannot listen on UDP \(endpoint): \(reason); choose another port or stop the program using it"
        case .sendFailed(let destination, let reason):
            return "cannot send to UDP \(destination): \(reason)"
        case .receiveFailed(let reason):
            return "UDP receive failed: \(reason)"
        case .closed:
            return "the UDP socket is closed"
        case .invalidEndpoint(let text):
            return "'\(text)' is not an IPv4 endpoint; write it as A.B.C.D:PORT, e.g. 127.0.0.1:5004"
        }
    }
}
