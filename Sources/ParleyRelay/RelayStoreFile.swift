#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers for the relay's durable store (`parley relay --store DIR`).
///
/// `write` is crash-safe: a temporary file in the same directory (`O_CREAT|O_EXCL`, mode
/// 0600) is written in full, `fsync`ed, renamed over the target, and the directory is
/// `fsync`ed. A reader sees the old complete file or the new one, never a mix. Every
/// failure throws `RelayError.store` with the path and the system's reason, and removes
/// the temporary file.
enum RelayStoreFile {
    /// Temporary files start with this; `RelayDiskStore` removes leftovers on start.
    static let temporaryPrefix = ".tmp-"

    static func write(_ bytes: [UInt8], to path: String, syncDirectory: Bool = true) throws(RelayError) {
        let directory = parentDirectory(of: path)
        let temporary = join(directory, temporaryPrefix + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(temporary, "cannot create a temporary file") }
        var done = false
        defer { if !done { unlink(temporary) } }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let error = failure(temporary, "cannot write")
                close(fd)
                throw error
            }
            offset += written
        }
        guard fsync(fd) == 0 else {
            let error = failure(temporary, "cannot flush to disk")
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(temporary, "cannot close") }
        guard rename(temporary, path) == 0 else { throw failure(path, "cannot replace") }
        done = true
        if syncDirectory { try self.syncDirectory(directory) }
    }

    /// The whole content of a regular file of at most `limit` bytes.
    static func read(_ path: String, limit: Int) throws(RelayError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "cannot inspect") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw RelayError.store(path: path, reason: "not a regular file") }
        guard Int(info.st_size) <= limit else {
            throw RelayError.store(path: path, reason: "file is \(info.st_size) bytes, more than the \(limit) allowed")
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            guard result.count <= limit else {
                throw RelayError.store(path: path, reason: "file grew past the \(limit) bytes allowed")
            }
        }
        return result
    }

    /// Removes a file; a missing file is not an error.
    static func remove(_ path: String) throws(RelayError) {
        if unlink(path) != 0 && errno != ENOENT { throw failure(path, "cannot remove") }
    }

    /// Creates a directory (mode 0700) if missing; its parent must exist.
    /// Returns true if it was created (so the parent should be synced).
    @discardableResult
    static func createDirectory(_ path: String) throws(RelayError) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw RelayError.store(path: path, reason: "exists and is not a directory")
            }
            return false
        }
        if mkdir(path, 0o700) != 0 {
            if errno == EEXIST { return false }
            throw failure(path, "cannot create directory")
        }
        return true
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory (without "." and "..").
    static func list(_ directory: String) throws(RelayError) -> [String] {
        guard let dir = opendir(directory) else { throw failure(directory, "cannot list directory") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes an empty directory; false if it is not empty or cannot be removed.
    @discardableResult
    static func removeEmptyDirectory(_ path: String) -> Bool { rmdir(path) == 0 }

    static func syncDirectory(_ directory: String) throws(RelayError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(directory, "cannot open directory to flush it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(directory, "cannot flush directory to disk") }
    }

    /// Takes an exclusive advisory lock on `path` (created if missing); returns the open
    /// descriptor to keep, or throws if another process (or server) holds it.
    static func lock(_ path: String) throws(RelayError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, "cannot open the lock file") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let error = busy
                ? RelayError.store(path: parentDirectory(of: path), reason: "in use by another relay (its lock file \(path) is held)")
                : failure(path, "cannot lock")
            close(fd)
            throw error
        }
        return fd
    }

    static func unlock(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func failure(_ path: String, _ what: String) -> RelayError {
        .store(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    guard let buffer else { return 0 }
    return write(fd, buffer, count)
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    guard let buffer else { return 0 }
    return read(fd, buffer, count)
}

/// CRC-32 (IEEE 802.3, reflected, as in zlib), to tell a damaged store file from a good one.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The store's file formats (big-endian, each ending with a CRC-32 of what precedes it).
///
/// - `DIR/<mailbox hex>/claim`: `"PRLYCLM1"` · Ed25519 public key (32) · crc32.
/// - `DIR/<mailbox hex>/<envelope id, 16 hex>.env`: `"PRLYENV1"` · envelope id (u64) ·
///   expiry (u64, Unix milliseconds) · flags (u8: 1 = has a deposit id, 2 = delivered) ·
///   deposit id (u64, 0 if none) · length (u32) · envelope bytes · crc32. A delivered
///   record (acknowledged, kept only to recognise its deposit id until expiry) has no bytes.
struct RelayStoreRecord: Equatable {
    static let envelopeMagic = Array("PRLYENV1".utf8)
    static let claimMagic = Array("PRLYCLM1".utf8)
    static let envelopeHeaderLength = 8 + 8 + 8 + 1 + 8 + 4
    static let envelopeSuffix = ".env"
    static let claimName = "claim"

    var envelopeID: UInt64
    var wallExpiryMilliseconds: UInt64
    var depositID: UInt64?
    var delivered: Bool
    var bytes: [UInt8]

    func encoded() -> [UInt8] {
        var out = RelayStoreRecord.envelopeMagic
        out.reserveCapacity(RelayStoreRecord.envelopeHeaderLength + bytes.count + 4)
        out.appendBE(envelopeID)
        out.appendBE(wallExpiryMilliseconds)
        out.append((depositID == nil ? 0 : 1) | (delivered ? 2 : 0))
        out.appendBE(depositID ?? 0)
        out.appendBE(UInt32(delivered ? 0 : bytes.count))
        if !delivered { out += bytes }
        out.appendBE(CRC32.checksum(out))
        return out
    }

    /// The record, or why the file is not one.
    static func decode(_ data: [UInt8]) -> Result<RelayStoreRecord, RecordProblem> {
        guard data.count >= envelopeHeaderLength + 4 else {
            return .failure(.init("truncated (\(data.count) bytes, shorter than a record header)"))
        }
        guard Array(data.prefix(8)) == envelopeMagic else { return .failure(.init("not an envelope record (bad magic)")) }
        var reader = BodyReader(data)
        _ = reader.take(8)
        guard let id = reader.u64(), let expiry = reader.u64(), let flags = reader.u8(), let depositID = reader.u64(),
              let length = reader.u32()
        else { return .failure(.init("truncated header")) }
        guard flags & ~3 == 0 else { return .failure(.init("unknown flags \(flags)")) }
        guard reader.remaining == Int(length) + 4 else {
            return .failure(.init("truncated or padded (length says \(length) envelope bytes, \(max(0, reader.remaining - 4)) present)"))
        }
        guard let bytes = reader.take(Int(length)), let crc = reader.u32() else { return .failure(.init("truncated body")) }
        guard crc == CRC32.checksum(data.dropLast(4)) else { return .failure(.init("checksum mismatch (damaged)")) }
        let delivered = flags & 2 != 0
        guard !delivered || length == 0 else { return .failure(.init("delivered record with bytes")) }
        return .success(RelayStoreRecord(
            envelopeID: id, wallExpiryMilliseconds: expiry, depositID: flags & 1 != 0 ? depositID : nil,
            delivered: delivered, bytes: bytes))
    }

    static func encodeClaim(publicKey: [UInt8]) -> [UInt8] {
        var out = claimMagic + publicKey
        out.appendBE(CRC32.checksum(out))
        return out
    }

    static func decodeClaim(_ data: [UInt8]) -> Result<[UInt8], RecordProblem> {
        guard data.count == 8 + 32 + 4 else { return .failure(.init("not a claim record (\(data.count) bytes, expected 44)")) }
        guard Array(data.prefix(8)) == claimMagic else { return .failure(.init("not a claim record (bad magic)")) }
        var reader = BodyReader(data)
        _ = reader.take(8)
        guard let key = reader.take(32), let crc = reader.u32() else { return .failure(.init("truncated")) }
        guard crc == CRC32.checksum(data.dropLast(4)) else { return .failure(.init("checksum mismatch (damaged)")) }
        return .success(key)
    }

    static func fileName(envelopeID: UInt64) -> String {
        let hex = String(envelopeID, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + envelopeSuffix
    }

    struct RecordProblem: Error, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
