import ParleyCore

/// Writes I420 frames to a YUV4MPEG2 (Y4M) file.
///
/// Each frame's "FRAME\n" marker and picture go out in one `writev` call, so a process
/// killed mid-run leaves whole frames only (barring a full disk).
public final class Y4MWriter {
    public let path: String
    public let header: Y4MHeader
    public private(set) var framesWritten = 0

    private let file: MediaFile
    private var closed = false
    private static let frameMarker: [UInt8] = Array("FRAME\n".utf8)

    /// Creates (or truncates) `path` and writes the stream header. On failure nothing is left behind.
    /// - Throws: `invalidParameter` for sizes outside 1...16384 or a non-positive frame rate;
    ///   `cannotWrite`.
    public init(path: String, width: Int, height: Int, frameRateNumerator: Int = 30, frameRateDenominator: Int = 1) throws {
        let limit = Y4MHeader.maxDimension
        guard (1...limit).contains(width), (1...limit).contains(height) else {
            throw MediaError.invalidParameter("Y4M size must be 1...\(limit) each way, got \(width)x\(height)")
        }
        guard (1...1_000_000_000).contains(frameRateNumerator), (1...1_000_000_000).contains(frameRateDenominator) else {
            throw MediaError.invalidParameter("Y4M frame rate must be a positive fraction, got \(frameRateNumerator):\(frameRateDenominator)")
        }
        self.path = path
        header = Y4MHeader(width: width, height: height, frameRateNumerator: frameRateNumerator,
                           frameRateDenominator: frameRateDenominator, colorSpace: "420jpeg", interlace: "p")
        file = try MediaFile.create(path, header: Array(header.line.utf8))
    }

    deinit {
        try? close()
    }

    /// Appends one frame.
    /// - Throws: `frameSizeMismatch` if the frame's size differs from the file's (or its
    ///   data is shorter than its size needs); `cannotWrite`.
    public func write(_ frame: VideoFrame) throws {
        guard !closed else {
            throw MediaError.cannotWrite(path: path, reason: "the writer is already closed")
        }
        guard frame.width == header.width, frame.height == header.height else {
            throw MediaError.frameSizeMismatch(path: path, expected: "\(header.width)x\(header.height)",
                                               got: "\(frame.width)x\(frame.height)")
        }
        let count = frame.byteCount
        guard frame.data.count >= count else {
            throw MediaError.frameSizeMismatch(path: path, expected: "\(count) bytes", got: "\(frame.data.count) bytes")
        }
        try Y4MWriter.frameMarker.withUnsafeBytes { marker in
            try frame.data.withUnsafeBytes { picture in
                try file.write(marker, UnsafeRawBufferPointer(rebasing: picture[0..<count]))
            }
        }
        framesWritten += 1
    }

    /// Closes the file. Idempotent.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try file.close()
    }
}
