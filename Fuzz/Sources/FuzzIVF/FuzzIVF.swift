import FuzzSupport
import ParleyCodecs
import ParleyCore
import ParleyMedia

/// The input as an IVF file: `IVFReader` reads every frame and a `VideoDecoder` of the
/// header's codec decodes each one. Reader and decoder errors are correct answers.

private let input = FuzzInputFile(prefix: "parley-fuzz-ivf")
nonisolated(unsafe) private var buffer = [UInt8]()
nonisolated(unsafe) private var picture = VideoFrame(width: 0, height: 0)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    input.write(data, size)
    guard let reader = try? IVFReader(path: input.path) else { return 0 }
    guard let decoder = try? VideoDecoder(codec: reader.header.codec) else {
        fatalError("cannot open a \(reader.header.codec.rawValue) decoder")
    }
    var frames = 0
    while frames < 256 {
        guard let (frameSize, _) = try? reader.readFrame(into: &buffer) else { break }
        if frameSize > buffer.count { fatalError("IVFReader returned \(frameSize) bytes in a \(buffer.count)-byte buffer") }
        _ = try? decoder.decode(buffer, count: frameSize, into: &picture)
        frames += 1
    }
    return 0
}
