import COpus

/// The bare libopus calls behind `OpusEncoder` and `OpusDecoder`, timed, so that
/// `parley bench` can report the wrappers' cost as a ratio to them.
///
/// The setup is the same as the wrappers' (`opus_encoder_create` and the same ctl shims,
/// `opus_decoder_create`); the timed work is exactly the per-frame C call the wrapper
/// makes, with the same arguments: `opus_encode_float` into a preallocated
/// `OpusEncoder.maximumPacketSize` buffer, `opus_decode_float` into a preallocated
/// 120 ms buffer (the wrapper passes its whole buffer as the frame size), and
/// `opus_decode_float` with NULL data for concealment. Each call is timed on its own with
/// `BenchmarkClock.monotonicNanoseconds()`; nothing else is inside the timed span.
public enum OpusBareCalls {
    /// Encodes each of `frames` (each `frameSize × channels` interleaved samples).
    ///
    /// - Returns: seconds spent in `opus_encode_float` and the total packet bytes.
    public static func encode(
        configuration: OpusConfiguration, frames: [[Float]]
    ) throws -> (seconds: Double, bytes: Int) {
        try configuration.validate()
        let state = try createEncoder(configuration)
        defer { opus_encoder_destroy(state) }
        let frameSize = configuration.frameSize
        let needed = frameSize * configuration.channels
        let packet = UnsafeMutablePointer<UInt8>.allocate(capacity: OpusEncoder.maximumPacketSize)
        defer { packet.deallocate() }
        let capacity = Int32(OpusEncoder.maximumPacketSize)

        var nanoseconds: UInt64 = 0
        var bytes = 0
        for frame in frames {
            guard frame.count >= needed else {
                throw CodecError.bufferTooSmall(needed: needed, available: frame.count)
            }
            let written = frame.withUnsafeBufferPointer { pcm -> Int32 in
                let start = BenchmarkClock.monotonicNanoseconds()
                let written = opus_encode_float(state, pcm.baseAddress!, Int32(frameSize), packet, capacity)
                nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
                return written
            }
            guard written >= 0 else {
                throw CodecError.opus(function: "opus_encode_float", code: written, message: OpusEncoder.message(written))
            }
            bytes += Int(written)
        }
        return (Double(nanoseconds) / 1e9, bytes)
    }

    /// Decodes each of `packets` (non-empty Opus packets).
    ///
    /// - Returns: seconds spent in `opus_decode_float` and the samples per channel decoded.
    public static func decode(
        sampleRate: Int, channels: Int, packets: [[UInt8]]
    ) throws -> (seconds: Double, samples: Int) {
        let state = try createDecoder(sampleRate: sampleRate, channels: channels)
        defer { opus_decoder_destroy(state) }
        let maximumFrameSize = sampleRate * 120 / 1000
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: maximumFrameSize * channels)
        defer { pcm.deallocate() }

        var nanoseconds: UInt64 = 0
        var samples = 0
        for packet in packets {
            let result = packet.withUnsafeBufferPointer { data -> Int32 in
                let start = BenchmarkClock.monotonicNanoseconds()
                let result = opus_decode_float(state, data.baseAddress, Int32(data.count), pcm, Int32(maximumFrameSize), 0)
                nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
                return result
            }
            guard result >= 0 else {
                throw CodecError.opus(function: "opus_decode_float", code: result, message: OpusEncoder.message(result))
            }
            samples += Int(result)
        }
        return (Double(nanoseconds) / 1e9, samples)
    }

    /// For each of `packets`: decodes it (not timed), then conceals one lost frame of
    /// `frameSize` samples per channel (timed), as after a single packet loss.
    ///
    /// - Returns: seconds spent in the concealment calls and the samples per channel they produced.
    public static func conceal(
        sampleRate: Int, channels: Int, frameSize: Int, packets: [[UInt8]]
    ) throws -> (seconds: Double, samples: Int) {
        let state = try createDecoder(sampleRate: sampleRate, channels: channels)
        defer { opus_decoder_destroy(state) }
        let maximumFrameSize = sampleRate * 120 / 1000
        guard frameSize > 0, frameSize <= maximumFrameSize else {
            throw CodecError.invalidParameter(
                "Opus frame size \(frameSize) samples is out of range; at most \(maximumFrameSize) at \(sampleRate) Hz")
        }
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: maximumFrameSize * channels)
        defer { pcm.deallocate() }

        var nanoseconds: UInt64 = 0
        var samples = 0
        for packet in packets {
            let decoded = packet.withUnsafeBufferPointer { data in
                opus_decode_float(state, data.baseAddress, Int32(data.count), pcm, Int32(maximumFrameSize), 0)
            }
            guard decoded >= 0 else {
                throw CodecError.opus(function: "opus_decode_float", code: decoded, message: OpusEncoder.message(decoded))
            }
            let start = BenchmarkClock.monotonicNanoseconds()
            let result = opus_decode_float(state, nil, 0, pcm, Int32(frameSize), 0)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            guard result >= 0 else {
                throw CodecError.opus(function: "opus_decode_float(plc)", code: result, message: OpusEncoder.message(result))
            }
            samples += Int(result)
        }
        return (Double(nanoseconds) / 1e9, samples)
    }

    // MARK: - Setup, as in the wrappers

    private static func createEncoder(_ c: OpusConfiguration) throws -> OpaquePointer {
        var error: Int32 = 0
        guard let state = opus_encoder_create(Int32(c.sampleRate), Int32(c.channels), c.application.cValue, &error),
              error == OPUS_OK else {
            throw CodecError.opus(function: "opus_encoder_create", code: error, message: OpusEncoder.message(error))
        }
        let settings: [(Int32, String)] = [
            (parley_opus_set_bitrate(state, Int32(c.bitrate)), "OPUS_SET_BITRATE"),
            (parley_opus_set_complexity(state, Int32(c.complexity)), "OPUS_SET_COMPLEXITY"),
            (parley_opus_set_vbr(state, c.variableBitrate ? 1 : 0), "OPUS_SET_VBR"),
            (parley_opus_set_vbr_constraint(state, c.constrainedVBR ? 1 : 0), "OPUS_SET_VBR_CONSTRAINT"),
            (parley_opus_set_inband_fec(state, c.inbandFEC ? 1 : 0), "OPUS_SET_INBAND_FEC"),
            (parley_opus_set_packet_loss_perc(state, Int32(c.expectedPacketLossPercent)), "OPUS_SET_PACKET_LOSS_PERC"),
            (parley_opus_set_dtx(state, c.dtx ? 1 : 0), "OPUS_SET_DTX"),
        ]
        for (result, what) in settings where result != OPUS_OK {
            opus_encoder_destroy(state)
            throw CodecError.opus(function: "opus_encoder_ctl(\(what))", code: result, message: OpusEncoder.message(result))
        }
        return state
    }

    private static func createDecoder(sampleRate: Int, channels: Int) throws -> OpaquePointer {
        guard OpusConfiguration.supportedSampleRates.contains(sampleRate), channels == 1 || channels == 2 else {
            throw CodecError.invalidParameter(
                "Opus decoder at \(sampleRate) Hz with \(channels) channels is not supported; "
                    + "use 8000, 12000, 16000, 24000 or 48000 Hz and 1 or 2 channels")
        }
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw CodecError.opus(function: "opus_decoder_create", code: error, message: OpusEncoder.message(error))
        }
        return state
    }
}
