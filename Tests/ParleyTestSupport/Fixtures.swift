import Foundation

/// Paths to the committed fixtures and to scratch directories for tests.
public enum Fixtures {
    /// The repository root, found from this source file's location.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static func path(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// A fresh, empty directory under the system temporary directory.
    public static func scratchDirectory(_ label: String = "parley-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
