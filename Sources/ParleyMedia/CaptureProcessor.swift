/// The whole capture-side chain an `AudioProcessing` describes: echo canceller, then
/// preprocessor (noise, residual echo, AGC, VAD). With every stage off (`.file`) the
/// capture passes through unchanged.
///
/// Float mono frames of `configuration.frameSize` samples. Buffers are allocated at init:
/// `process` does no heap allocation. Not thread-safe: one instance per media thread.
public final class CaptureProcessor {
    public let configuration: AudioProcessing
    public let echoCanceller: EchoCanceller?
    public let preprocessor: AudioPreprocessor?

    /// - Throws: `MediaError.invalidAudioProcessing` for out-of-range settings.
    public init(configuration: AudioProcessing) throws {
        try configuration.validate()
        self.configuration = configuration
        let aec = configuration.echoCancellation ? try EchoCanceller(configuration: configuration) : nil
        echoCanceller = aec
        preprocessor = configuration.needsPreprocessor
            ? try AudioPreprocessor(configuration: configuration, echoCanceller: aec) : nil
    }

    /// Samples per frame.
    public var frameSize: Int { configuration.frameSize }

    /// Processes one capture frame against the far-end frame played at the same time.
    /// `farEnd` is only read when echo cancellation is on (pass silence when nothing plays).
    /// - Returns: whether the frame holds voice (always true when VAD is off).
    /// - Throws: `MediaError.audioFrameSizeMismatch` or `.nonFiniteSample`; nothing is processed.
    @discardableResult
    public func process(capture: UnsafeBufferPointer<Float>, farEnd: UnsafeBufferPointer<Float>,
                        into output: UnsafeMutableBufferPointer<Float>) throws -> Bool {
        let size = configuration.frameSize
        if capture.count != size { throw mismatch("capture", capture.count) }
        if farEnd.count != size { throw mismatch("far-end", farEnd.count) }
        if output.count != size { throw mismatch("output", output.count) }
        if let aec = echoCanceller {
            try aec.process(capture: capture, farEnd: farEnd, into: output)
        } else {
            try PCM16.checkFinite(capture, buffer: "capture")
            guard let source = capture.baseAddress, let target = output.baseAddress else { return true }
            target.update(from: source, count: size)
        }
        return try preprocessor?.process(output) ?? true
    }

    /// Array version of `process`; `output` must already hold `frameSize` samples.
    @discardableResult
    public func process(capture: [Float], farEnd: [Float], into output: inout [Float]) throws -> Bool {
        try capture.withUnsafeBufferPointer { c in
            try farEnd.withUnsafeBufferPointer { f in
                try output.withUnsafeMutableBufferPointer { o in try process(capture: c, farEnd: f, into: o) }
            }
        }
    }

    private func mismatch(_ buffer: String, _ count: Int) -> MediaError {
        .audioFrameSizeMismatch(buffer: buffer, expected: configuration.frameSize, got: count, sampleRate: configuration.sampleRate)
    }
}
