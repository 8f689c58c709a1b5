import COpus

/// A libopus decoder into interleaved 32-bit float PCM, with the three ways a receiver
/// fills a frame: decode the packet, recover a lost packet from the in-band FEC of the
/// packet after it, or conceal the loss (PLC).
public final class OpusDecoder {
    public let sampleRate: Int
    public let channels: Int
    private let state: OpaquePointer
    public private(set) var framesDecoded = 0
    public private(set) var framesRecoveredByFEC = 0
    public private(set) var framesConcealed = 0

    /// The longest frame Opus carries: 120 ms.
    public var maximumFrameSize: Int { sampleRate * 120 / 1000 }

    public init(sampleRate: Int = 48000, channels: Int = 1) throws {
        guard OpusConfiguration.supportedSampleRates.contains(sampleRate) else {
            throw CodecError.invalidParameter("Opus sample rate \(sampleRate) Hz is not supported; use one of 8000, 12000, 16000, 24000, 48000 Hz")
        }
        guard channels == 1 || channels == 2 else {
            throw CodecError.invalidParameter("Opus channel count \(channels) is not supported; use 1 (mono) or 2 (stereo)")
        }
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw CodecError.opus(function: "opus_decoder_create", code: error, message: OpusEncoder.message(error))
        }
        self.sampleRate = sampleRate
        self.channels = channels
        self.state = state
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes `packet` into `pcm`; returns samples per channel written. `pcm` must hold
    /// the packet's duration (`maximumFrameSize × channels` is always enough).
    public func decode(_ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard packet.count > 0, let data = packet.baseAddress else {
            throw CodecError.corruptFrame("empty Opus packet")
        }
        let n = try run(data, packet.count, pcm, frameSize: pcm.count / channels, fec: false, "opus_decode_float")
        framesDecoded += 1
        return n
    }

    /// Recovers the frame *before* `nextPacket` from the in-band FEC data `nextPacket`
    /// carries. `frameSize` is the lost frame's duration in samples per channel. When the
    /// next packet has no FEC data libopus conceals instead, as the RFC prescribes.
    public func decodeFEC(from nextPacket: UnsafeRawBufferPointer, frameSize: Int, into pcm: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard nextPacket.count > 0, let data = nextPacket.baseAddress else {
            throw CodecError.corruptFrame("empty Opus packet")
        }
        let n = try run(data, nextPacket.count, pcm, frameSize: frameSize, fec: true, "opus_decode_float(fec)")
        framesRecoveredByFEC += 1
        return n
    }

    /// Packet-loss concealment: synthesizes `frameSize` samples per channel continuing
    /// the signal decoded so far.
    public func conceal(frameSize: Int, into pcm: UnsafeMutableBufferPointer<Float>) throws -> Int {
        let n = try run(nil, 0, pcm, frameSize: frameSize, fec: false, "opus_decode_float(plc)")
        framesConcealed += 1
        return n
    }

    // Array forms: `pcm` is a reusable buffer, grown only when too small.

    public func decode(_ packet: [UInt8], count: Int? = nil, into pcm: inout [Float]) throws -> Int {
        let length = min(count ?? packet.count, packet.count)
        ensureCapacity(&pcm, maximumFrameSize)
        return try packet.withUnsafeBytes { bytes in
            try pcm.withUnsafeMutableBufferPointer { try decode(UnsafeRawBufferPointer(rebasing: bytes[0..<length]), into: $0) }
        }
    }

    public func decodeFEC(from nextPacket: [UInt8], count: Int? = nil, frameSize: Int, into pcm: inout [Float]) throws -> Int {
        let length = min(count ?? nextPacket.count, nextPacket.count)
        ensureCapacity(&pcm, frameSize)
        return try nextPacket.withUnsafeBytes { bytes in
            try pcm.withUnsafeMutableBufferPointer {
                try decodeFEC(from: UnsafeRawBufferPointer(rebasing: bytes[0..<length]), frameSize: frameSize, into: $0)
            }
        }
    }

    public func conceal(frameSize: Int, into pcm: inout [Float]) throws -> Int {
        ensureCapacity(&pcm, frameSize)
        return try pcm.withUnsafeMutableBufferPointer { try conceal(frameSize: frameSize, into: $0) }
    }

    /// Clears the decoder's history.
    public func reset() {
        _ = parley_opus_decoder_reset(state)
    }

    private func ensureCapacity(_ pcm: inout [Float], _ frames: Int) {
        if pcm.count < frames * channels {
            pcm = [Float](repeating: 0, count: frames * channels)
        }
    }

    private func run(
        _ data: UnsafeRawPointer?, _ length: Int, _ pcm: UnsafeMutableBufferPointer<Float>,
        frameSize: Int, fec: Bool, _ function: String
    ) throws -> Int {
        guard frameSize > 0, frameSize <= maximumFrameSize else {
            throw CodecError.invalidParameter("Opus frame size \(frameSize) samples is out of range; at most \(maximumFrameSize) at \(sampleRate) Hz")
        }
        guard pcm.count >= frameSize * channels, let output = pcm.baseAddress else {
            throw CodecError.bufferTooSmall(needed: frameSize * channels, available: pcm.count)
        }
        let result = opus_decode_float(
            state, data?.assumingMemoryBound(to: UInt8.self), Int32(length), output, Int32(frameSize), fec ? 1 : 0
        )
        guard result >= 0 else {
            if result == OPUS_INVALID_PACKET || result == OPUS_BAD_ARG {
                throw CodecError.corruptFrame("Opus packet of \(length) bytes rejected by \(function): \(OpusEncoder.message(result))")
            }
            throw CodecError.opus(function: function, code: result, message: OpusEncoder.message(result))
        }
        return Int(result)
    }
}

/// Facts read from an Opus packet without decoding it.
public enum OpusPacket {
    /// With DTX, packets of 2 bytes or less carry no audio: the sender may skip them.
    public static func isDiscontinuous(size: Int) -> Bool { size <= 2 }

    /// Samples per channel the packet decodes to at `sampleRate`, or nil when the
    /// packet is malformed.
    public static func sampleCount(_ packet: UnsafeRawBufferPointer, sampleRate: Int) -> Int? {
        guard packet.count > 0, let base = packet.baseAddress else { return nil }
        let n = opus_packet_get_nb_samples(base.assumingMemoryBound(to: UInt8.self), Int32(packet.count), Int32(sampleRate))
        return n > 0 ? Int(n) : nil
    }
}
