/// A snapshot of an ALSA stream's counters, readable from any thread.
public struct ALSAStreamStats: Sendable, Equatable {
    /// Frames read from (capture) or written to (playback) the device, at the device rate.
    public var deviceFrames: Int
    /// Frames handed to (capture) or taken from (playback) the media side, at the engine rate.
    public var engineFrames: Int
    /// Over/under-runs the device reported (-EPIPE) and that were recovered.
    public var xruns: Int
    /// Suspends (-ESTRPIPE) recovered.
    public var suspends: Int
    /// Playback: periods padded with silence because the ring ran dry.
    public var underflows: Int
    /// Frames dropped because the ring was full (capture: the media thread reads too slowly;
    /// playback: the media thread writes faster than the device plays).
    public var overflowFrames: Int
    /// The device clock measured against the monotonic clock: measured rate / nominal rate
    /// (1.0 = exact; 1.0001 = 100 ppm fast); nil until about a second has been measured.
    public var clockRatio: Double?
    public var isLost: Bool
    public var lostReason: String?
}
