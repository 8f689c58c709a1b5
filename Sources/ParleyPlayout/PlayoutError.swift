/// Errors of the playout module (jitter buffer, time-stretching, simulation).
/// Packet-driven paths never throw: malformed or unusable packets are counted drops.
public enum PlayoutError: Error, Equatable, CustomStringConvertible {
    /// The buffer configuration is unusable (frame duration, delays, capacity).
    case invalidConfiguration(String)
    /// A decoder reported a format the buffer was not configured for.
    case decoderFormatMismatch(expected: String, got: String)
    /// A payload the decoder could not read (counted as a malformed drop by the buffer).
    case malformedPayload(bytes: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why):
            return "invalid jitter buffer configuration: \(why); use 10 or 20 ms frames, 0 ≤ minimum delay ≤ maximum delay, and a capacity of at least one frame"
        case .malformedPayload(let bytes):
            return "a \(bytes)-byte audio payload could not be decoded; the packet was dropped and concealed — check the sender's codec and payload type"
        case .decoderFormatMismatch(let expected, let got):
            return "the audio decoder produces \(got) but the jitter buffer expects \(expected); create the decoder with the stream's sample rate and channel count"
        }
    }
}
