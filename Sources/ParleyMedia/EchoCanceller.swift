import CSpeexDSP

/// Acoustic echo canceller over speexdsp's MDF adaptive filter, for one mono capture stream.
///
/// Each call takes one capture (microphone) frame and the far-end frame that was played
/// out at the same time, and writes the capture with the echo of that far end removed.
/// The caller keeps the two aligned: the far-end frame is the one handed to the
/// loudspeaker when the capture frame was recorded (a steady delay shorter than the echo
/// tail is fine; the filter learns it). The filter converges within a few seconds of
/// far-end speech.
///
/// Samples are 16-bit or Float in -1...1 (converted to 16-bit internally, saturating).
/// Buffers are allocated at init: `process` does no heap allocation. Not thread-safe:
/// use one instance from one media thread. Attach it to an `AudioPreprocessor` for
/// residual echo suppression.
public final class EchoCanceller {
    public let sampleRate: Int
    /// Samples per frame.
    public let frameSize: Int
    /// Length of the adaptive filter in samples (the echo tail it can model).
    public let filterLength: Int
    let state: OpaquePointer
    private let capture16: UnsafeMutableBufferPointer<Int16>
    private let farEnd16: UnsafeMutableBufferPointer<Int16>
    private let output16: UnsafeMutableBufferPointer<Int16>

    /// - Parameter configuration: uses `sampleRate`, `frameMilliseconds` and `echoTailMilliseconds`
    ///   (the on/off switches are the caller's business).
    /// - Throws: `MediaError.invalidAudioProcessing` for out-of-range settings.
    public init(configuration: AudioProcessing = .device) throws {
        try configuration.validate()
        let frameSize = configuration.frameSize
        let filterLength = configuration.echoFilterLength
        guard let state = speex_echo_state_init(Int32(frameSize), Int32(filterLength)) else {
            throw MediaError.invalidAudioProcessing(setting: "echoTailMilliseconds", value: "\(configuration.echoTailMilliseconds)",
                                                    accepted: "speexdsp could not create an echo canceller of \(filterLength) samples; try a shorter tail")
        }
        var rate = Int32(configuration.sampleRate)
        _ = parley_speex_echo_set_sampling_rate(state, rate)
        _ = parley_speex_echo_get_sampling_rate(state, &rate)
        self.state = state
        self.sampleRate = Int(rate)
        self.frameSize = frameSize
        self.filterLength = filterLength
        capture16 = .allocate(capacity: frameSize)
        farEnd16 = .allocate(capacity: frameSize)
        output16 = .allocate(capacity: frameSize)
        capture16.initialize(repeating: 0)
        farEnd16.initialize(repeating: 0)
        output16.initialize(repeating: 0)
    }

    deinit {
        speex_echo_state_destroy(state)
        capture16.deallocate()
        farEnd16.deallocate()
        output16.deallocate()
    }

    /// Cancels the echo of `farEnd` in `capture`, writing `output`. All three hold exactly
    /// `frameSize` samples; `output` may be the same memory as `capture`.
    /// - Throws: `MediaError.audioFrameSizeMismatch` for a wrong length (nothing is processed).
    public func process(capture: UnsafeBufferPointer<Int16>, farEnd: UnsafeBufferPointer<Int16>,
                        into output: UnsafeMutableBufferPointer<Int16>) throws {
        try checkSizes(capture.count, farEnd.count, output.count)
        guard let cap = capture.baseAddress, let far = farEnd.baseAddress, let out = output.baseAddress else { return }
        // Copies so that `output` may alias either input.
        capture16.baseAddress!.update(from: cap, count: frameSize)
        farEnd16.baseAddress!.update(from: far, count: frameSize)
        speex_echo_cancellation(state, capture16.baseAddress, farEnd16.baseAddress, out)
    }

    /// Float version of `process`: samples in -1...1 (values beyond saturate).
    /// - Throws: `MediaError.audioFrameSizeMismatch`, or `MediaError.nonFiniteSample` for a
    ///   NaN/infinite sample (nothing is processed and the filter state is unchanged).
    public func process(capture: UnsafeBufferPointer<Float>, farEnd: UnsafeBufferPointer<Float>,
                        into output: UnsafeMutableBufferPointer<Float>) throws {
        try checkSizes(capture.count, farEnd.count, output.count)
        try PCM16.convert(capture, into: capture16, buffer: "capture")
        try PCM16.convert(farEnd, into: farEnd16, buffer: "far-end")
        speex_echo_cancellation(state, capture16.baseAddress, farEnd16.baseAddress, output16.baseAddress)
        PCM16.convert(UnsafeBufferPointer(output16), into: output)
    }

    /// Array version of the Float `process`; `output` must already hold `frameSize` samples.
    public func process(capture: [Float], farEnd: [Float], into output: inout [Float]) throws {
        try capture.withUnsafeBufferPointer { c in
            try farEnd.withUnsafeBufferPointer { f in
                try output.withUnsafeMutableBufferPointer { o in try process(capture: c, farEnd: f, into: o) }
            }
        }
    }

    /// Array version of the 16-bit `process`; `output` must already hold `frameSize` samples.
    public func process(capture: [Int16], farEnd: [Int16], into output: inout [Int16]) throws {
        try capture.withUnsafeBufferPointer { c in
            try farEnd.withUnsafeBufferPointer { f in
                try output.withUnsafeMutableBufferPointer { o in try process(capture: c, farEnd: f, into: o) }
            }
        }
    }

    /// Forgets the learnt echo path, as for a new call or a moved device.
    public func reset() {
        speex_echo_state_reset(state)
    }

    private func checkSizes(_ capture: Int, _ farEnd: Int, _ output: Int) throws {
        // Plain comparisons: no array of names on the media path.
        if capture != frameSize { throw mismatch("capture", capture) }
        if farEnd != frameSize { throw mismatch("far-end", farEnd) }
        if output != frameSize { throw mismatch("output", output) }
    }

    private func mismatch(_ buffer: String, _ count: Int) -> MediaError {
        .audioFrameSizeMismatch(buffer: buffer, expected: frameSize, got: count, sampleRate: sampleRate)
    }
}
