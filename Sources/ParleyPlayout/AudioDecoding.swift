import ParleyCore

/// What the jitter buffer needs from an audio decoder. `ParleyPlayout` is pure Swift, so
/// it declares this protocol and the engine hands it the Opus wrapper
/// (`OpusAudioDecoding` in ParleyEngine); tests and the simulation hand it a
/// `SyntheticAudioDecoder`.
///
/// Every method writes interleaved float PCM at the start of `pcm` (whose count the
/// caller guarantees is at least `maximumFrameSamples * channels`) and returns the
/// number of samples per channel written. The media thread calls these methods; an
/// implementation must not allocate per call in steady state.
public protocol AudioDecoding: AnyObject {
    /// Sample rate and channel count of the PCM the decoder produces.
    var format: AudioFormat { get }

    /// Decodes one packet. Throws when the payload is malformed (the buffer counts it
    /// and conceals instead).
    func decode(_ payload: ArraySlice<UInt8>, into pcm: inout [Float]) throws -> Int

    /// Recovers the frame *before* `nextPayload` from the in-band FEC data that packet
    /// carries (Opus LBRR). Returns nil when the packet carries no FEC data.
    func decodeFEC(from nextPayload: ArraySlice<UInt8>, frameSize: Int, into pcm: inout [Float]) throws -> Int?

    /// Packet loss concealment: synthesises `frameSize` samples continuing the signal.
    func conceal(frameSize: Int, into pcm: inout [Float]) -> Int

    /// Comfort noise for a DTX gap (the sender stopped sending during silence).
    func comfortNoise(frameSize: Int, into pcm: inout [Float]) -> Int

    /// Whether a payload is a DTX/comfort-noise frame (Opus: one or two bytes).
    func isDiscontinuousTransmission(_ payload: ArraySlice<UInt8>) -> Bool

    /// Forgets decoder state (stream reset: SSRC change or timestamp jump).
    func reset()
}
