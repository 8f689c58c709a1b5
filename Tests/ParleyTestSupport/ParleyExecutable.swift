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

    /// A `parley` process ready to run, its output going to files (rather than pipes: no
    /// risk of a full pipe blocking the child) in a scratch directory.
    private struct Run {
        let process = Process()
        let scratch: URL
        let outHandle: FileHandle
        let errHandle: FileHandle

        init(_ arguments: [String], environment: [String: String], launch: URL?, prefix: [String],
             currentDirectory: URL?) throws {
            if let launch {
                process.executableURL = launch
                process.arguments = prefix + [try ParleyExecutable.url().path] + arguments
            } else {
                process.executableURL = try ParleyExecutable.url()
                process.arguments = arguments
            }
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            if let currentDirectory { process.currentDirectoryURL = currentDirectory }
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("parley-run-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent("stdout").path, contents: nil)
            _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent("stderr").path, contents: nil)
            outHandle = try FileHandle(forWritingTo: scratch.appendingPathComponent("stdout"))
            errHandle = try FileHandle(forWritingTo: scratch.appendingPathComponent("stderr"))
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
        }

        /// After the process ended: its status and output; the scratch directory goes.
        func result() -> Result {
            try? outHandle.close()
            try? errHandle.close()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let read = { (name: String) in
                String(decoding: (try? Data(contentsOf: scratch.appendingPathComponent(name))) ?? Data(), as: UTF8.self)
            }
            return Result(status: process.terminationStatus, stdout: read("stdout"), stderr: read("stderr"))
        }

        func discard() {
            try? outHandle.close()
            try? errHandle.close()
            try? FileManager.default.removeItem(at: scratch)
        }
    }

    /// `run`, suspending instead of blocking while the process runs: long runs (calls of
    /// several seconds) leave Swift concurrency's few threads to the other tests. With
    /// `launch`, runs `launch prefix… parley arguments…` (e.g. `ip netns exec NAME`).
    public static func runAsync(_ arguments: [String], environment: [String: String] = [:],
                                launch: URL? = nil, prefix: [String] = []) async throws -> Result {
        let run = try Run(arguments, environment: environment, launch: launch, prefix: prefix, currentDirectory: nil)
        do {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
                run.process.terminationHandler = { _ in done.resume() }
                do { try run.process.run() } catch {
                    run.process.terminationHandler = nil
                    done.resume(throwing: error)
                }
            }
        } catch {
            run.discard()
            throw error
        }
        return run.result()
    }

    /// Runs `parley arguments…` to completion, with stdin closed.
    /// `environment` entries are added to (or replace) this process's environment.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: URL? = nil) throws -> Result {
        let run = try Run(arguments, environment: environment, launch: nil, prefix: [], currentDirectory: currentDirectory)
        do { try run.process.run() } catch {
            run.discard()
            throw error
        }
        run.process.waitUntilExit()
        return run.result()
    }
}
