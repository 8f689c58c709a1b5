import CSpeexDSP

/// A sample-rate converter for interleaved float audio, over speexdsp's resampler.
///
/// Create one per stream when it starts; `process` does no allocation. Not thread-safe:
/// use one instance from one thread at a time.
public final class Resampler {
    public let channels: Int
    public let inputRate: Int
    public let outputRate: Int
    public let quality: Int
    private let state: OpaquePointer

    /// - Parameters:
    ///   - channels: interleaved channel count, 1...256.
    ///   - inputRate, outputRate: sample rates in Hz, 1...1_536_000.
    ///   - quality: speexdsp quality 0 (fastest) ... 10 (best); 5 is a good default.
    /// - Throws: `MediaError.invalidParameter` for out-of-range values.
    public init(channels: Int, inputRate: Int, outputRate: Int, quality: Int = 5) throws {
        guard (1...256).contains(channels) else {
            throw MediaError.invalidParameter("resampler channels must be 1...256, got \(channels)")
        }
        guard (1...1_536_000).contains(inputRate), (1...1_536_000).contains(outputRate) else {
            throw MediaError.invalidParameter("resampler rates must be 1...1536000 Hz, got \(inputRate) -> \(outputRate)")
        }
        guard (0...10).contains(quality) else {
            throw MediaError.invalidParameter("resampler quality must be 0...10, got \(quality)")
        }
        var err: Int32 = 0
        guard let state = speex_resampler_init(UInt32(channels), UInt32(inputRate), UInt32(outputRate), Int32(quality), &err),
              err == 0 else {
            throw MediaError.invalidParameter("speexdsp could not create a resampler \(inputRate) -> \(outputRate) Hz, \(channels) channels (error \(err))")
        }
        self.channels = channels
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.quality = quality
        self.state = state
    }

    deinit {
        speex_resampler_destroy(state)
    }

    /// Resamples as much of `input` as fits in `output` (both interleaved, `channels` per frame).
    /// Partial frames at the end of either buffer are ignored.
    /// - Returns: frames per channel consumed from `input` and produced into `output`.
    public func process(input: UnsafeBufferPointer<Float>, output: UnsafeMutableBufferPointer<Float>) -> (consumedFrames: Int, producedFrames: Int) {
        let inFrames = min(input.count / channels, Int(UInt32.max))
        let outFrames = min(output.count / channels, Int(UInt32.max))
        guard inFrames > 0, outFrames > 0, let inBase = input.baseAddress, let outBase = output.baseAddress else {
            return (0, 0)
        }
        var inLen = UInt32(inFrames)
        var outLen = UInt32(outFrames)
        _ = speex_resampler_process_interleaved_float(state, inBase, &inLen, outBase, &outLen)
        return (Int(inLen), Int(outLen))
    }

    /// Frames of delay the resampler adds, in output-rate frames.
    public var outputLatencyFrames: Int { Int(speex_resampler_get_output_latency(state)) }

    /// Frames of delay the resampler adds, in input-rate frames: feed this many frames of
    /// silence after the last input to flush the tail out.
    public var inputLatencyFrames: Int { Int(speex_resampler_get_input_latency(state)) }

    /// Drops the filter's leading zeros, so the first output frame lines up with the first input frame.
    public func skipZeros() {
        _ = speex_resampler_skip_zeros(state)
    }

    /// Clears the filter memory, as for a new stream.
    public func reset() {
        _ = speex_resampler_reset_mem(state)
    }
}
