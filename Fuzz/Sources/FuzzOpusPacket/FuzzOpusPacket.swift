import FuzzSupport
import ParleyCodecs

/// The input as one Opus packet for a 48 kHz stereo `OpusDecoder`: decoded, then used as
/// the FEC source for a lost 20 ms frame, then followed by a concealed frame.

nonisolated(unsafe) private var pcm = [Float](repeating: 0, count: 5760 * 2)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let decoder = try? OpusDecoder(sampleRate: 48000, channels: 2) else {
        fatalError("cannot open an Opus decoder")
    }
    let packet = UnsafeRawBufferPointer(start: data, count: size)
    pcm.withUnsafeMutableBufferPointer { out in
        if let n = try? decoder.decode(packet, into: out), n * 2 > out.count {
            fatalError("OpusDecoder.decode returned \(n) samples per channel for a \(out.count)-sample buffer")
        }
        _ = try? decoder.decodeFEC(from: packet, frameSize: 960, into: out)
        _ = try? decoder.conceal(frameSize: 960, into: out)
    }
    return 0
}
