import Glibc

/// The fuzz input as a file the readers can open by path.
///
/// One file per process, created once on /dev/shm (or /tmp when /dev/shm is missing)
/// and unlinked at once, so nothing is left behind however the process ends; each run
/// truncates and rewrites it. `path` is `/proc/self/fd/N`: opening it gives a fresh
/// descriptor at offset 0 on the same file, as opening the original name would.
public final class FuzzInputFile: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(prefix: String) {
        var opened: Int32 = -1
        for directory in ["/dev/shm", "/tmp"] {
            var template = Array("\(directory)/\(prefix)-XXXXXX".utf8CString)
            opened = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if opened >= 0 {
                _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
                break
            }
        }
        guard opened >= 0 else {
            // The harness itself cannot run: not an input-driven path.
            fatalError("FuzzInputFile: cannot create a temporary file on /dev/shm or /tmp (errno \(errno))")
        }
        fd = opened
        path = "/proc/self/fd/\(opened)"
    }

    /// Replaces the file's content with `size` bytes at `data`.
    public func write(_ data: UnsafePointer<UInt8>, _ size: Int) {
        guard ftruncate(fd, 0) == 0 else { fatalError("FuzzInputFile: ftruncate failed (errno \(errno))") }
        var done = 0
        while done < size {
            let n = pwrite(fd, data + done, size - done, off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fatalError("FuzzInputFile: pwrite failed (errno \(errno))") }
            done += n
        }
    }
}
