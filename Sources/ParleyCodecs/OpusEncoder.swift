import COpus

/// A libopus encoder. Input is interleaved 32-bit float PCM, one frame per call; the
/// packet goes into a caller-provided buffer. No heap allocation per frame.
public final class OpusEncoder {
    public let configuration: OpusConfiguration
    private let state: OpaquePointer
    public private(set) var framesEncoded = 0

    /// The largest packet libopus can produce for one frame (RFC 6716: 1275 bytes per
    /// 20 ms frame, up to 3 frames per packet): size packet buffers with this.
    public static let maximumPacketSize = 4000

    public init(configuration: OpusConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        var error: Int32 = 0
        guard let state = opus_encoder_create(
            Int32(configuration.sampleRate), Int32(configuration.channels), configuration.application.cValue, &error
        ), error == OPUS_OK else {
            throw CodecError.opus(function: "opus_encoder_create", code: error, message: Self.message(error))
        }
        self.state = state
        do {
            try apply(configuration)
        } catch {
            opus_encoder_destroy(state)
            throw error
        }
    }

    deinit { opus_encoder_destroy(state) }

    /// Samples per channel in one frame.
    public var frameSize: Int { configuration.frameSize }

    /// The encoder's algorithmic delay in samples per channel at its rate.
    public var lookahead: Int {
        var value: Int32 = 0
        _ = parley_opus_get_lookahead(state, &value)
        return Int(value)
    }

    /// Changes the target bitrate mid-stream (for congestion control).
    public func setBitrate(_ bitsPerSecond: Int) throws {
        guard OpusConfiguration.bitrateRange.contains(bitsPerSecond) else {
            throw CodecError.invalidParameter("Opus bitrate \(bitsPerSecond) bit/s is out of range; use 6000...510000 bit/s")
        }
        try check(parley_opus_set_bitrate(state, Int32(bitsPerSecond)), "OPUS_SET_BITRATE")
    }

    /// Changes the expected loss (and so the amount of in-band FEC) mid-stream.
    public func setExpectedPacketLoss(percent: Int) throws {
        guard (0...100).contains(percent) else {
            throw CodecError.invalidParameter("Opus expected packet loss \(percent) % is out of range; use 0...100")
        }
        try check(parley_opus_set_packet_loss_perc(state, Int32(percent)), "OPUS_SET_PACKET_LOSS_PERC")
    }

    /// Encodes one frame of `frameSize × channels` interleaved samples into `packet`.
    /// Returns the packet length in bytes. With DTX a packet of 2 bytes or less means
    /// "silence, nothing needs to be sent" (see `OpusPacket.isDiscontinuous`).
    public func encode(_ pcm: UnsafeBufferPointer<Float>, into packet: UnsafeMutableRawBufferPointer) throws -> Int {
        let needed = frameSize * configuration.channels
        guard pcm.count >= needed, let input = pcm.baseAddress else {
            throw CodecError.bufferTooSmall(needed: needed, available: pcm.count)
        }
        guard packet.count > 0, let output = packet.baseAddress else {
            throw CodecError.bufferTooSmall(needed: Self.maximumPacketSize, available: packet.count)
        }
        let written = opus_encode_float(
            state, input, Int32(frameSize), output.assumingMemoryBound(to: UInt8.self),
            Int32(min(packet.count, Int(Int32.max)))
        )
        guard written >= 0 else {
            throw CodecError.opus(function: "opus_encode_float", code: written, message: Self.message(written))
        }
        framesEncoded += 1
        return Int(written)
    }

    /// Array form of `encode`: `packet` is a reusable buffer, grown only when smaller
    /// than `maximumPacketSize`.
    public func encode(_ pcm: [Float], into packet: inout [UInt8]) throws -> Int {
        if packet.count < Self.maximumPacketSize {
            packet = [UInt8](repeating: 0, count: Self.maximumPacketSize)
        }
        return try pcm.withUnsafeBufferPointer { input in
            try packet.withUnsafeMutableBytes { output in
                try encode(input, into: output)
            }
        }
    }

    /// Clears the encoder's history, as at the start of a new stream.
    public func reset() {
        _ = parley_opus_encoder_reset(state)
    }

    private func apply(_ c: OpusConfiguration) throws {
        try check(parley_opus_set_bitrate(state, Int32(c.bitrate)), "OPUS_SET_BITRATE")
        try check(parley_opus_set_complexity(state, Int32(c.complexity)), "OPUS_SET_COMPLEXITY")
        try check(parley_opus_set_vbr(state, c.variableBitrate ? 1 : 0), "OPUS_SET_VBR")
        try check(parley_opus_set_vbr_constraint(state, c.constrainedVBR ? 1 : 0), "OPUS_SET_VBR_CONSTRAINT")
        try check(parley_opus_set_inband_fec(state, c.inbandFEC ? 1 : 0), "OPUS_SET_INBAND_FEC")
        try check(parley_opus_set_packet_loss_perc(state, Int32(c.expectedPacketLossPercent)), "OPUS_SET_PACKET_LOSS_PERC")
        try check(parley_opus_set_dtx(state, c.dtx ? 1 : 0), "OPUS_SET_DTX")
    }

    private func check(_ result: Int32, _ what: String) throws {
        guard result == OPUS_OK else {
            throw CodecError.opus(function: "opus_encoder_ctl(\(what))", code: result, message: Self.message(result))
        }
    }

    static func message(_ code: Int32) -> String {
        String(cString: opus_strerror(code))
    }
}
