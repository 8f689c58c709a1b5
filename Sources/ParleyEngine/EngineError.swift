/// What can go wrong while wiring a call or a loopback.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case badVideoInput(path: String, frame: Int, reason: String)
    case noInput
    case invalidOption(String)
    case cannotCreateOutput(path: String, reason: String)
    /// The two sides of an in-process call derived different keys (a bug).
    case keyAgreementFailed

    public var description: String {
        switch self {
        case .badVideoInput(let path, let frame, let reason):
            return "\(path): frame \(frame) cannot be used: \(reason)"
        case .noInput:
            return "nothing to send: give --audio FILE.wav and/or --video FILE.y4m|FILE.ivf"
        case .invalidOption(let message):
            return message
        case .cannotCreateOutput(let path, let reason):
            return "\(path): cannot create the output directory: \(reason)"
        case .keyAgreementFailed:
            return "the two sides of the call derived different keys; this is a bug in Parley, please report it"
        }
    }
}
