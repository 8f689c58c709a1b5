import Foundation
import Glibc

/// A fresh private directory under the system temporary directory, removed by `remove()`.
struct StoreScratchDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/parley-store-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? NSTemporaryDirectory() + "/parley-store-\(UUID().uuidString)"
        if made == nil { mkdir(path, 0o700) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

func storeFileMode(_ path: String) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o777
}
