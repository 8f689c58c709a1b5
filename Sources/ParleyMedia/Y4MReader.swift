import ParleyCore

/// Streams the frames of an 8-bit I420 YUV4MPEG2 (Y4M) file into a caller's `VideoFrame`.
public final class Y4MReader {
    public let path: String
    public let header: Y4MHeader
    /// Frames returned so far.
    public private(set) var framesRead = 0

    private let file: MediaFile
    private var finished = false
    private static let maxLine = 4096

    /// Opens `path` and parses its stream header.
    /// - Throws: `MediaError` — `fileNotFound`, `emptyFile`, `notY4M`, `unsupportedY4M`
    ///   (not 4:2:0 8-bit, missing or absurd W/H, bad F), `truncated`.
    public init(path: String) throws {
        self.path = path
        let file = try MediaFile.openForReading(path)
        self.file = file
        var line: [UInt8] = []
        var ended = false
        while line.count < Y4MReader.maxLine {
            guard let byte = try file.readByte() else { break }
            if byte == UInt8(ascii: "\n") { ended = true; break }
            line.append(byte)
            if line.count == 9 && line != Array("YUV4MPEG2".utf8) { throw MediaError.notY4M(path: path) }
        }
        guard line.count >= 9 else { throw MediaError.notY4M(path: path) }
        guard ended else {
            if line.count >= Y4MReader.maxLine {
                throw MediaError.unsupportedY4M(path: path, reason: "the header line is longer than \(Y4MReader.maxLine) bytes")
            }
            throw MediaError.truncated(path: path, reason: "the header line has no end")
        }
        header = try Y4MHeader.parse(String(decoding: line, as: UTF8.self), path: path)
    }

    /// Reads the next frame into `frame`, resizing it if its size differs from the file's.
    /// `frame.timestamp` is set to the frame index (0, 1, 2, …).
    /// - Returns: false at the clean end of the file.
    /// - Throws: `truncated` when the last frame is cut short (the frames before it were
    ///   already returned), `corrupt` when a frame does not start with "FRAME".
    public func read(into frame: inout VideoFrame) throws -> Bool {
        guard !finished else { return false }
        // "FRAME" + optional parameters + "\n".
        let marker: StaticString = "FRAME"
        var index = 0
        while true {
            guard let byte = try file.readByte() else {
                finished = true
                if index == 0 { return false }
                throw MediaError.truncated(path: path, reason: "frame \(framesRead) header is cut short")
            }
            if index < 5 {
                guard byte == marker.utf8Start[index] else {
                    finished = true
                    throw MediaError.corrupt(path: path, reason: "frame \(framesRead) at byte \(file.position - 1) does not start with FRAME")
                }
            } else if byte == UInt8(ascii: "\n") {
                break
            } else if index > Y4MReader.maxLine {
                finished = true
                throw MediaError.corrupt(path: path, reason: "frame \(framesRead) header is longer than \(Y4MReader.maxLine) bytes")
            }
            index += 1
        }
        // A picture the file cannot hold is truncated: say so before resizing `frame`, so a
        // header declaring 16384x16384 in a small file never costs 400 MB of memory.
        let count = VideoFrame.byteCount(width: header.width, height: header.height)
        if let total = file.size(), total - file.position < count {
            finished = true
            let available = max(0, total - file.position)
            throw MediaError.truncated(path: path, reason: "frame \(framesRead) has \(available) of its \(count) bytes")
        }
        frame.resize(width: header.width, height: header.height)
        if frame.data.count < count {
            frame.data.append(contentsOf: repeatElement(0, count: count - frame.data.count))
        }
        let got = try frame.data.withUnsafeMutableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            return try file.read(into: base, count: count)
        }
        guard got == count else {
            finished = true
            throw MediaError.truncated(path: path, reason: "frame \(framesRead) has \(got) of its \(count) bytes")
        }
        frame.timestamp = Int64(framesRead)
        framesRead += 1
        return true
    }
}
