import ParleyCodecs
import ParleyCore
import ParleyPlayout

/// Hands libopus (through `OpusDecoder`) to the pure-Swift `AudioJitterBuffer`: decode,
/// in-band FEC recovery, packet-loss concealment, and comfort noise during DTX (libopus
/// continues its comfort noise when asked to conceal after a DTX frame).
///
/// FEC: a CELT-only packet (TOC configuration 16–31) carries no LBRR data, so
/// `decodeFEC` returns nil for it and the buffer conceals; for SILK and hybrid packets
/// libopus 1.3 cannot say whether LBRR is present and decodes what it has (a concealment
/// when the sender had FEC off). So FEC is tried only when the sender said it sends it
/// (`senderUsesFEC`: SDP `useinbandfec=1`, or the loopback's own encoder setting);
/// otherwise a loss is concealed and counted as such.
public final class OpusAudioDecoding: AudioDecoding {
    public let decoder: OpusDecoder
    public let format: AudioFormat
    public let senderUsesFEC: Bool

    public init(sampleRate: Int = 48000, channels: Int = 1, senderUsesFEC: Bool = true) throws {
        decoder = try OpusDecoder(sampleRate: sampleRate, channels: channels)
        format = AudioFormat(sampleRate: sampleRate, channels: channels)
        self.senderUsesFEC = senderUsesFEC
    }

    public func decode(_ payload: ArraySlice<UInt8>, into pcm: inout [Float]) throws -> Int {
        try payload.withUnsafeBytes { bytes in
            try pcm.withUnsafeMutableBufferPointer { out in
                // libopus takes the buffer's length as the frame size limit: at most 120 ms.
                let limit = min(out.count, decoder.maximumFrameSize * format.channels)
                return try decoder.decode(bytes, into: UnsafeMutableBufferPointer(rebasing: out[0..<limit]))
            }
        }
    }

    public func decodeFEC(from nextPayload: ArraySlice<UInt8>, frameSize: Int, into pcm: inout [Float]) throws -> Int? {
        // TOC configuration 16–31 (top bit set) is CELT-only: no LBRR. (Indexing and a mask,
        // not `first`/`>>` on the slice: that form allocated twice per call in a debug build.)
        guard senderUsesFEC, !nextPayload.isEmpty, nextPayload[nextPayload.startIndex] & 0x80 == 0 else { return nil }
        fecFrameSize = frameSize
        return try nextPayload.withUnsafeBytes { bytes in try recover(bytes, into: &pcm) }
    }

    /// The lost frame's size for `recover` (a property rather than a closure capture).
    private var fecFrameSize = 0

    private func recover(_ bytes: UnsafeRawBufferPointer, into pcm: inout [Float]) throws -> Int {
        try pcm.withUnsafeMutableBufferPointer { out in
            let limit = min(out.count, decoder.maximumFrameSize * format.channels)
            return try decoder.decodeFEC(from: bytes, frameSize: fecFrameSize, into: UnsafeMutableBufferPointer(rebasing: out[0..<limit]))
        }
    }

    public func conceal(frameSize: Int, into pcm: inout [Float]) -> Int {
        let n = (try? pcm.withUnsafeMutableBufferPointer { try decoder.conceal(frameSize: frameSize, into: $0) }) ?? 0
        if n == 0 { fillSilence(frameSize, &pcm) }
        return frameSize
    }

    public func comfortNoise(frameSize: Int, into pcm: inout [Float]) -> Int {
        conceal(frameSize: frameSize, into: &pcm)
    }

    public func isDiscontinuousTransmission(_ payload: ArraySlice<UInt8>) -> Bool {
        OpusPacket.isDiscontinuous(size: payload.count)
    }

    public func reset() { decoder.reset() }

    private func fillSilence(_ frames: Int, _ pcm: inout [Float]) {
        let n = min(pcm.count, frames * format.channels)
        var i = 0
        while i < n { pcm[i] = 0; i += 1 }
    }
}
