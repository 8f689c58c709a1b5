import FuzzSupport
import ParleyCore
import ParleyMedia

/// The input as a WAV file: opened with `WAVReader` in its own format and converted to
/// 48 kHz mono (speexdsp resampling and channel mixing), each read to the end in chunks.
/// A thrown `MediaError` is a correct answer; a crash or sanitizer report is a bug.

private let input = FuzzInputFile(prefix: "parley-fuzz-wav")
nonisolated(unsafe) private var samples = [Float]()

/// Caps the audio read per reader, so that an extreme rate ratio (1 Hz → 48 kHz) stays a
/// short run instead of a timeout.
private let maxOutputFrames = 1 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    input.write(data, size)
    readAll(output: nil, chunk: 1000)
    readAll(output: AudioFormat(sampleRate: 48000, channels: 1), chunk: 960)
    return 0
}

private func readAll(output: AudioFormat?, chunk: Int) {
    guard let reader = try? WAVReader(path: input.path, output: output) else { return }
    var total = 0
    while total < maxOutputFrames {
        guard let n = try? reader.read(into: &samples, frames: chunk), n > 0 else { return }
        if n > chunk { fatalError("WAVReader.read returned \(n) frames for a request of \(chunk)") }
        total += n
    }
}
