import Foundation

/// Finds the `parley` executable built alongside the tests, and runs it.
///
/// SwiftPM puts the test bundle and the `parley` product in the same build directory
/// (`<scratch>/debug/`), and `swift build --build-tests` builds both. The search order:
/// `$PARLEY_EXECUTABLE`; next to the running test binary (and one level up, for a
/// `.xctest` bundle directory); `<repository>/.build/debug/parley`.
public enum ParleyExecutable {
    public enum LookupError: Error, CustomStringConvertible {
        case notFound(searched: [String])

        public var description: String {
            switch self {
            case .notFound(let searched):
                return "the parley executable was not found (looked at \(searched.joined(separator: ", "))); "
                    + "run swift build first (or `swift build --build-tests`), or set PARLEY_EXECUTABLE"
            }
        }
    }

    /// Places where the `parley` binary may be, most likely first.
    public static var candidates: [URL] {
        var result: [URL] = []
        if let env = ProcessInfo.processInfo.environment["PARLEY_EXECUTABLE"], !env.isEmpty {
            result.append(URL(fileURLWithPath: env))
        }
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL {
            directories.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        if let first = CommandLine.arguments.first, !first.isEmpty {
            directories.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL)
        for directory in directories {
            result.append(directory.appendingPathComponent("parley"))
            // Inside an .xctest bundle (Contents/MacOS/...), or one level below debug/.
            var up = directory
            for _ in 0..<3 {
                up.deleteLastPathComponent()
                result.append(up.appendingPathComponent("parley"))
            }
        }
        result.append(Fixtures.repositoryRoot.appendingPathComponent(".build/debug/parley"))
        var seen = Set<String>()
        return result.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The `parley` executable; throws a message that says to run `swift build` when missing.
    public static func url() throws -> URL {
        let all = candidates
        for candidate in all where FileManager.default.isExecutableFile(atPath: candidate.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw LookupError.notFound(searched: all.map(\.path))
    }

    /// What a finished `parley` run left behind.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// `run`, suspending instead of blocking while the process runs: long runs (calls of
    /// several seconds) leave Swift concurrency's few threads to the other tests.
    public static func runAsync(_ arguments: [String], environment: [String: String] = [:],
                                launch: URL? = nil, prefix: [String] = []) async throws -> Result {
        let process = Process()
        if let launch {
            process.executableURL = launch
            process.arguments = prefix + [try url().path] + arguments
        } else {
            process.executableURL = try url()
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            process.terminationHandler = { _ in done.resume() }
            do { try process.run() } catch {
                process.terminationHandler = nil
                done.resume(throwing: error)
            }
        }
        try? outHandle.close()
        try? errHandle.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Runs `parley arguments…` to completion, with stdin closed.
    /// `environment` entries are added to (or replace) this process's environment.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        // Files rather than pipes: no risk of a full pipe blocking the child.
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try? outHandle.close()
        try? errHandle.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
