import ParleyCore

/// Writes compressed VP8/VP9 frames to an IVF file.
///
/// Each frame (12-byte frame header + data) goes out in one `writev` call, and the
/// header's frame count is rewritten in place after every frame, so a writer killed
/// mid-run leaves a valid file.
public final class IVFWriter {
    public let path: String
    public let header: IVFHeader
    public private(set) var framesWritten = 0

    private let file: MediaFile
    private var closed = false
    private var frameHeader = [UInt8](repeating: 0, count: 12)

    /// Creates (or truncates) `path` and writes the header. On failure nothing is left behind.
    /// - Throws: `invalidParameter` for a size outside 1...65535 or a timebase outside
    ///   1...UInt32.max; `cannotWrite`.
    public init(path: String, codec: VideoCodecKind, width: Int, height: Int,
                timebaseNumerator: Int = 1, timebaseDenominator: Int = 30) throws {
        guard (1...65535).contains(width), (1...65535).contains(height) else {
            throw MediaError.invalidParameter("IVF size must be 1...65535 each way, got \(width)x\(height)")
        }
        let maxTimebase = Int(UInt32.max)
        guard (1...maxTimebase).contains(timebaseNumerator), (1...maxTimebase).contains(timebaseDenominator) else {
            throw MediaError.invalidParameter("IVF timebase must be a positive fraction, got \(timebaseNumerator)/\(timebaseDenominator)")
        }
        self.path = path
        header = IVFHeader(codec: codec, width: width, height: height, timebaseNumerator: timebaseNumerator,
                           timebaseDenominator: timebaseDenominator, frameCount: 0)
        file = try MediaFile.create(path, header: header.bytes)
    }

    deinit {
        try? close()
    }

    /// Appends one frame with presentation time `pts` (in timebase units).
    /// - Throws: `invalidParameter` for a frame over 64 MiB; `cannotWrite`.
    public func write(_ data: UnsafeRawBufferPointer, pts: Int64) throws {
        guard !closed else {
            throw MediaError.cannotWrite(path: path, reason: "the writer is already closed")
        }
        guard data.count <= IVFHeader.maxFrameSize else {
            throw MediaError.invalidParameter("IVF frame of \(data.count) bytes is over the 64 MiB limit")
        }
        guard framesWritten < Int(UInt32.max) else {
            throw MediaError.cannotWrite(path: path, reason: "an IVF file holds at most \(UInt32.max) frames; start a new file")
        }
        let size = UInt32(data.count)
        let stamp = UInt64(bitPattern: pts)
        frameHeader.withUnsafeMutableBufferPointer { h in
            for i in 0..<4 { h[i] = UInt8(truncatingIfNeeded: size >> UInt32(8 * i)) }
            for i in 0..<8 { h[4 + i] = UInt8(truncatingIfNeeded: stamp >> UInt64(8 * i)) }
        }
        let file = self.file
        try frameHeader.withUnsafeBytes { h in
            try file.write(h, data)
        }
        framesWritten += 1
        try file.pwriteUInt32LE(UInt32(framesWritten), at: 24)
    }

    /// Appends the first `count` bytes of `data` (all of it when nil) as one frame.
    /// - Throws: `invalidParameter` when `count` is outside 0...data.count.
    public func write(_ data: [UInt8], count: Int? = nil, pts: Int64) throws {
        let n = count ?? data.count
        guard (0...data.count).contains(n) else {
            throw MediaError.invalidParameter("count \(n) is outside 0...\(data.count)")
        }
        try data.withUnsafeBytes { raw in
            try write(UnsafeRawBufferPointer(rebasing: raw[0..<n]), pts: pts)
        }
    }

    /// Closes the file. Idempotent.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try file.close()
    }
}
