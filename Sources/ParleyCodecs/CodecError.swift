/// What can go wrong in a codec wrapper. Messages say what happened and what to do.
public enum CodecError: Error, Equatable, CustomStringConvertible {
    /// A configuration value outside what the codec accepts.
    case invalidParameter(String)
    /// A libopus call returned an error code.
    case opus(function: String, code: Int32, message: String)
    /// A libvpx call failed.
    case vpx(function: String, message: String)
    /// The decoder could not decode this frame (corrupt or undecodable data).
    case corruptFrame(String)
    /// A caller-provided buffer is too small.
    case bufferTooSmall(needed: Int, available: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let message):
            return message
        case .opus(let function, let code, let message):
            return "libopus \(function) failed: \(message) (code \(code))"
        case .vpx(let function, let message):
            return "libvpx \(function) failed: \(message)"
        case .corruptFrame(let message):
            return "undecodable video frame: \(message); request a keyframe or check the input"
        case .bufferTooSmall(let needed, let available):
            return "buffer too small: \(needed) bytes/samples needed, \(available) available"
        }
    }
}
