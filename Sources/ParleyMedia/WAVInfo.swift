import ParleyCore

/// What a WAV file's header says about its audio.
public struct WAVInfo: Sendable, Equatable {
    /// The file's own sample rate and channel count.
    public var format: AudioFormat
    public var sampleFormat: WAVSampleFormat
    /// Samples per channel in the data chunk. When the header promises more than the file
    /// holds (a truncated file), this counts only the whole frames actually present; for a
    /// streaming writer's "unknown" size (0 or 0xFFFFFFFF) it counts the frames present when
    /// the file was opened.
    public var frameCount: Int
    /// Samples per channel the header declares, or nil for a streaming writer's "unknown"
    /// size. More than `frameCount` means the file was cut short.
    public var declaredFrameCount: Int?

    public init(format: AudioFormat, sampleFormat: WAVSampleFormat, frameCount: Int, declaredFrameCount: Int? = nil) {
        self.format = format
        self.sampleFormat = sampleFormat
        self.frameCount = frameCount
        self.declaredFrameCount = declaredFrameCount
    }

    /// True when the header declares more audio than the file holds.
    public var isTruncated: Bool { (declaredFrameCount ?? 0) > frameCount }

    /// Duration in seconds at the file's own rate.
    public var duration: Double {
        format.sampleRate > 0 ? Double(frameCount) / Double(format.sampleRate) : 0
    }
}
