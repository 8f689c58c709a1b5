import Glibc

/// A POSIX file descriptor with a small read buffer, shared by the readers and writers.
///
/// Readers pull bytes through a fixed 64 KiB buffer allocated once; large reads that
/// exceed what is buffered go straight to `read(2)`. Writers use `write(2)`/`writev(2)`
/// for appending and `pwrite(2)` for patching headers in place.
final class MediaFile {
    let path: String
    private var fd: Int32
    private let bufferCapacity = 64 * 1024
    private let buffer: UnsafeMutableRawPointer
    private var bufferStart = 0
    private var bufferEnd = 0
    /// Bytes consumed by the reader so far (logical read position).
    private(set) var position = 0

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 16)
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
        buffer.deallocate()
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// Opens `path` for reading; throws `fileNotFound`, `cannotOpen` or `emptyFile`.
    static func openForReading(_ path: String) throws -> MediaFile {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw MediaError.fileNotFound(path: path) }
            throw MediaError.cannotOpen(path: path, reason: errorText(code))
        }
        let file = MediaFile(path: path, fd: fd)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw MediaError.cannotOpen(path: path, reason: errorText(errno))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw MediaError.cannotOpen(path: path, reason: "it is a directory")
        }
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
            throw MediaError.emptyFile(path: path)
        }
        return file
    }

    /// Creates (or truncates) `path` for writing with mode 0644.
    static func create(_ path: String) throws -> MediaFile {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw MediaError.cannotWrite(path: path, reason: errorText(errno))
        }
        return MediaFile(path: path, fd: fd)
    }

    /// Creates (or truncates) `path` and writes `header`; on failure nothing is left behind.
    static func create(_ path: String, header: [UInt8]) throws -> MediaFile {
        let file = try create(path)
        do {
            try header.withUnsafeBytes { raw in
                guard let base = raw.baseAddress else { return }
                try file.write(base, count: raw.count)
            }
        } catch {
            file.discard()
            throw error
        }
        return file
    }

    /// The file's current size in bytes, or nil when it cannot be known.
    func size() -> Int? {
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    // MARK: Reading

    private func fillBuffer() throws -> Bool {
        bufferStart = 0
        bufferEnd = 0
        while true {
            let n = Glibc.read(fd, buffer, bufferCapacity)
            if n < 0 {
                if errno == EINTR { continue }
                throw MediaError.cannotOpen(path: path, reason: "read failed: \(MediaFile.errorText(errno))")
            }
            bufferEnd = n
            return n > 0
        }
    }

    /// Reads up to `count` bytes into `destination`, stopping early only at end of file.
    /// Returns the number of bytes read.
    func read(into destination: UnsafeMutableRawPointer, count: Int) throws -> Int {
        var done = 0
        while done < count {
            if bufferStart < bufferEnd {
                let n = min(bufferEnd - bufferStart, count - done)
                (destination + done).copyMemory(from: buffer + bufferStart, byteCount: n)
                bufferStart += n
                done += n
                continue
            }
            let remaining = count - done
            if remaining >= bufferCapacity {
                let n = Glibc.read(fd, destination + done, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw MediaError.cannotOpen(path: path, reason: "read failed: \(MediaFile.errorText(errno))")
                }
                if n == 0 { break }
                done += n
            } else if try !fillBuffer() {
                break
            }
        }
        position += done
        return done
    }

    /// Reads one byte, or nil at end of file.
    func readByte() throws -> UInt8? {
        if bufferStart >= bufferEnd {
            guard try fillBuffer() else { return nil }
        }
        let byte = buffer.load(fromByteOffset: bufferStart, as: UInt8.self)
        bufferStart += 1
        position += 1
        return byte
    }

    /// Skips `count` bytes forward. Returns the number of bytes actually skipped (fewer at end of file).
    func skip(_ count: Int) throws -> Int {
        guard count > 0 else { return 0 }
        let fromBuffer = min(count, bufferEnd - bufferStart)
        bufferStart += fromBuffer
        position += fromBuffer
        var remaining = count - fromBuffer
        guard remaining > 0 else { return count }
        // Seek past the rest; never beyond the end of a regular file.
        if let total = size() {
            let currentOffset = Int(lseek(fd, 0, SEEK_CUR))
            if currentOffset >= 0 {
                let possible = max(0, min(remaining, total - currentOffset))
                if lseek(fd, off_t(possible), SEEK_CUR) >= 0 {
                    position += possible
                    return fromBuffer + possible
                }
            }
        }
        // Not seekable: read and discard.
        var skipped = fromBuffer
        while remaining > 0 {
            guard try fillBuffer() else { break }
            let n = min(remaining, bufferEnd - bufferStart)
            bufferStart += n
            position += n
            remaining -= n
            skipped += n
        }
        return skipped
    }

    // MARK: Writing

    /// Appends `count` bytes at the current file position.
    func write(_ source: UnsafeRawPointer, count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, source + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw MediaError.cannotWrite(path: path, reason: MediaFile.errorText(errno))
            }
            if n == 0 { throw MediaError.cannotWrite(path: path, reason: "write made no progress") }
            done += n
        }
    }

    /// Appends two byte ranges with one `writev(2)` call (repeated only after a partial write).
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) throws {
        let total = first.count + second.count
        var done = 0
        while done < total {
            let secondDone = max(0, done - first.count)
            let n: Int = withUnsafeTemporaryAllocation(of: iovec.self, capacity: 2) { vectors in
                var used = 0
                if done < first.count, let base = first.baseAddress {
                    vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + done), iov_len: first.count - done)
                    used += 1
                }
                if secondDone < second.count, let base = second.baseAddress {
                    vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: base + secondDone), iov_len: second.count - secondDone)
                    used += 1
                }
                if used == 0 { return 0 }
                return writev(fd, vectors.baseAddress, Int32(used))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw MediaError.cannotWrite(path: path, reason: MediaFile.errorText(errno))
            }
            if n == 0 { throw MediaError.cannotWrite(path: path, reason: "write made no progress") }
            done += n
        }
    }

    /// Writes `count` bytes at `offset` without moving the file position.
    func pwrite(_ source: UnsafeRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.pwrite(fd, source + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw MediaError.cannotWrite(path: path, reason: MediaFile.errorText(errno))
            }
            if n == 0 { throw MediaError.cannotWrite(path: path, reason: "write made no progress") }
            done += n
        }
    }

    /// Writes a little-endian UInt32 at `offset`.
    func pwriteUInt32LE(_ value: UInt32, at offset: Int) throws {
        var little = value.littleEndian
        try withUnsafeBytes(of: &little) { try pwrite($0.baseAddress!, count: 4, at: offset) }
    }

    var isClosed: Bool { fd < 0 }

    /// Closes the descriptor; idempotent.
    func close() throws {
        guard fd >= 0 else { return }
        let result = Glibc.close(fd)
        fd = -1
        if result != 0 && errno != EINTR {
            throw MediaError.cannotWrite(path: path, reason: "close failed: \(MediaFile.errorText(errno))")
        }
    }

    /// Closes and deletes a half-made file (used when a writer's init fails).
    func discard() {
        try? close()
        _ = unlink(path)
    }
}

/// Little-endian field access in byte buffers.
extension UnsafeRawBufferPointer {
    func u16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    func u64(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) | UInt64(u32(offset + 4)) << 32
    }

    func ascii(_ offset: Int, _ count: Int) -> String {
        String(decoding: self[offset..<(offset + count)].map { ($0 >= 0x20 && $0 < 0x7F) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}

/// Little-endian appends for building headers.
extension Array where Element == UInt8 {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendLE(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func appendASCII(_ text: String) {
        append(contentsOf: Array(text.utf8))
    }
}
