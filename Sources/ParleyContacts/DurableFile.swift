#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe whole-file writes: a temporary file in the same directory (created with
/// `O_CREAT|O_EXCL`, mode 0600), written in full, `fsync`ed, renamed over the target, and
/// the directory `fsync`ed. A reader sees either the old complete file or the new one,
/// never a mix, whatever happens to the writer. Every failure throws
/// `ContactsError.storage` with the path and the system's reason, and removes the
/// temporary file.
public enum DurableFile {
    /// The largest file `read` accepts by default (a store is far smaller).
    public static let defaultReadLimit = 64 << 20

    /// Writes `data` to `path` atomically with permissions `mode`. Creates missing parent
    /// directories with mode 0700. Removes temporary files left by writers that died.
    ///
    /// With `replacing: false` the file is only created: if `path` exists (even if another
    /// process creates it at the same moment) nothing is written and `.storage` is thrown
    /// with the reason "File exists" (the new file is linked in with `link`, never renamed
    /// over).
    public static func write(
        _ data: [UInt8], to path: String, mode: mode_t = 0o600, replacing: Bool = true
    ) throws(ContactsError) {
        let directory = parentDirectory(of: path)
        try createDirectory(directory)
        removeStaleTemporaryFiles(for: path)
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure(temporary, "cannot create a temporary file") }
        var done = false
        defer {
            if !done { unlink(temporary) }
        }
        do {
            try writeAll(data, to: fd, mode: mode, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(temporary, "cannot close") }
        if replacing {
            guard rename(temporary, path) == 0 else { throw failure(path, "cannot replace") }
        } else {
            guard link(temporary, path) == 0 else { throw failure(path, "cannot create") }
            unlink(temporary)
        }
        done = true
        try syncDirectory(directory)
    }

    /// Sets the mode, writes every byte and flushes to disk.
    private static func writeAll(_ data: [UInt8], to fd: Int32, mode: mode_t, path: String) throws(ContactsError) {
        guard fchmod(fd, mode) == 0 else { throw failure(path, "cannot set permissions") }
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot write")
            }
            offset += written
        }
        guard fsync(fd) == 0 else { throw failure(path, "cannot flush to disk") }
    }

    /// The whole content of `path`.
    ///
    /// - Throws: `ContactsError.storage` if it cannot be read or is larger than `limit`.
    public static func read(_ path: String, limit: Int = defaultReadLimit) throws(ContactsError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot open") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "cannot inspect") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ContactsError.storage(path: path, reason: "not a regular file")
        }
        guard Int(info.st_size) <= limit else {
            throw ContactsError.storage(path: path, reason: "file is \(info.st_size) bytes, more than the \(limit) allowed")
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot read")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            guard result.count <= limit else {
                throw ContactsError.storage(path: path, reason: "file grew past the \(limit) bytes allowed")
            }
        }
        return result
    }

    /// True if something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates `path` and its missing parents with mode 0700 (existing ones are left as they are).
    public static func createDirectory(_ path: String) throws(ContactsError) {
        guard !path.isEmpty else { return }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw ContactsError.storage(path: path, reason: "exists and is not a directory")
            }
            return
        }
        let parent = parentDirectory(of: path)
        if parent != path && parent != "/" && parent != "." { try createDirectory(parent) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw failure(path, "cannot create directory") }
    }

    /// The prefix of temporary files for `path`: `.NAME.tmp.`, followed by the writer's
    /// process id and a random suffix.
    static func temporaryPrefix(for path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        return ".\(name).tmp."
    }

    static func temporaryPath(for path: String) -> String {
        let directory = parentDirectory(of: path)
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return join(directory, temporaryPrefix(for: path) + "\(getpid()).\(suffix)")
    }

    /// Removes temporary files for `path` whose writer process no longer exists.
    static func removeStaleTemporaryFiles(for path: String) {
        let directory = parentDirectory(of: path)
        let prefix = temporaryPrefix(for: path)
        guard let dir = opendir(directory) else { return }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            guard let pidText = rest.split(separator: ".").first, let pid = Int32(pidText) else { continue }
            if pid == getpid() { continue }  // another thread of ours may be writing
            if pid > 0 && kill(pid, 0) == 0 { continue }  // its writer is alive
            if pid > 0 && errno == EPERM { continue }  // alive, someone else's
            stale.append(name)
        }
        closedir(dir)
        for name in stale { unlink(join(directory, name)) }
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func syncDirectory(_ directory: String) throws(ContactsError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(directory, "cannot open directory to flush it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(directory, "cannot flush directory to disk") }
    }

    private static func failure(_ path: String, _ what: String) -> ContactsError {
        let reason = String(cString: strerror(errno))
        return .storage(path: path, reason: "\(what): \(reason)")
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}
