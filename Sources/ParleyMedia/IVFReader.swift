import ParleyCore

/// Streams the compressed frames of an IVF (VP8/VP9) file into a caller's buffer.
public final class IVFReader {
    public let path: String
    public let header: IVFHeader
    /// Frames returned so far.
    public private(set) var framesRead = 0

    private let file: MediaFile
    private var frameHeader = [UInt8](repeating: 0, count: 12)
    private var finished = false

    /// Opens `path` and parses its header.
    /// - Throws: `MediaError` — `fileNotFound`, `emptyFile`, `notIVF`, `truncated`,
    ///   `unsupportedIVFCodec` (naming the fourcc and the supported ones), `corrupt`.
    public init(path: String) throws {
        self.path = path
        let file = try MediaFile.openForReading(path)
        self.file = file
        var bytes = [UInt8](repeating: 0, count: IVFHeader.size)
        let got = try bytes.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return try file.read(into: base, count: IVFHeader.size)
        }
        let (header, headerSize) = try bytes.withUnsafeBytes { raw in
            try IVFHeader.parse(UnsafeRawBufferPointer(rebasing: raw[0..<got]), path: path)
        }
        self.header = header
        let extra = headerSize - IVFHeader.size
        if extra > 0, try file.skip(extra) < extra {
            throw MediaError.truncated(path: path, reason: "the IVF header claims \(headerSize) bytes")
        }
    }

    /// Reads the next frame into `buffer[0 ..< size]`, growing `buffer` only if it is too small.
    /// - Returns: the frame's size and pts, or nil at the end of the file.
    /// - Throws: `truncated` for a frame cut short, `corrupt` for a frame over 64 MiB.
    public func readFrame(into buffer: inout [UInt8]) throws -> (size: Int, pts: Int64)? {
        guard !finished else { return nil }
        let file = self.file
        let got = try frameHeader.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return try file.read(into: base, count: 12)
        }
        if got == 0 {
            finished = true
            return nil
        }
        guard got == 12 else {
            finished = true
            throw MediaError.truncated(path: path, reason: "frame \(framesRead) header has \(got) of its 12 bytes")
        }
        let (size, pts) = frameHeader.withUnsafeBytes { (Int($0.u32(0)), Int64(bitPattern: $0.u64(4))) }
        guard size <= IVFHeader.maxFrameSize else {
            finished = true
            throw MediaError.corrupt(path: path, reason: "frame \(framesRead) claims \(size) bytes, over the 64 MiB limit")
        }
        // A frame the file cannot hold is truncated: say so before growing the buffer, so a
        // damaged size field in a small file never costs up to 64 MiB of memory.
        if let total = file.size(), total - file.position < size {
            finished = true
            let available = max(0, total - file.position)
            throw MediaError.truncated(path: path, reason: "frame \(framesRead) has \(available) of its \(size) bytes")
        }
        if buffer.count < size {
            buffer.append(contentsOf: repeatElement(0, count: size - buffer.count))
        }
        let read = try buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress, size > 0 else { return 0 }
            return try file.read(into: base, count: size)
        }
        guard read == size else {
            finished = true
            throw MediaError.truncated(path: path, reason: "frame \(framesRead) has \(read) of its \(size) bytes")
        }
        framesRead += 1
        return (size, pts)
    }
}
