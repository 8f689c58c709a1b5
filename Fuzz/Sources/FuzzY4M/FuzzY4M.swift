import FuzzSupport
import ParleyCore
import ParleyMedia

/// The input as a Y4M file: `Y4MReader` parses the header and reads every frame.
/// Pictures over 4096x4096 are skipped (a header is free, the frame buffer is not).

private let input = FuzzInputFile(prefix: "parley-fuzz-y4m")
nonisolated(unsafe) private var frame = VideoFrame(width: 0, height: 0)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    input.write(data, size)
    guard let reader = try? Y4MReader(path: input.path) else { return 0 }
    guard reader.header.width <= 4096, reader.header.height <= 4096 else { return 0 }
    var frames = 0
    while frames < 1000, (try? reader.read(into: &frame)) == true {
        if frame.width != reader.header.width || frame.height != reader.header.height
            || frame.data.count < frame.byteCount {
            fatalError("Y4MReader returned a \(frame.width)x\(frame.height) frame for a \(reader.header.width)x\(reader.header.height) file")
        }
        frames += 1
    }
    return 0
}
