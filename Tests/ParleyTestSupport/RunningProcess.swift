import Foundation

/// A subprocess started in the background (`parley send`, `gst-launch-1.0`), with its
/// output in files, that a test waits for, interrupts or kills.
public final class RunningProcess: @unchecked Sendable {
    public let process = Process()
    private let scratch: URL
    private let outURL: URL
    private let errURL: URL
    private let outHandle: FileHandle
    private let errHandle: FileHandle

    /// Starts `executable arguments…` (an absolute path, or a name looked up in PATH).
    public init(_ executable: String, _ arguments: [String]) throws {
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("parley-proc-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outURL = scratch.appendingPathComponent("stdout")
        errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        outHandle = try FileHandle(forWritingTo: outURL)
        errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Starts the `parley` executable built with the tests.
    public static func parley(_ arguments: [String]) throws -> RunningProcess {
        try RunningProcess(try ParleyExecutable.url().path, arguments)
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Waits up to `timeout` seconds; true when the process has exited.
    @discardableResult
    public func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return !process.isRunning
    }

    /// SIGINT (gst-launch -e then sends EOS so the files are finalized).
    public func interrupt() { if process.isRunning { process.interrupt() } }

    /// SIGKILL.
    public func kill() { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }

    /// Waits for the end (killing it after `timeout`) and returns what it printed.
    public func finish(timeout: Double) -> ParleyExecutable.Result {
        if !wait(timeout: timeout) {
            kill()
            wait(timeout: 5)
        }
        try? outHandle.close()
        try? errHandle.close()
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return ParleyExecutable.Result(status: process.isRunning ? -1 : process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// Whether `name` is an executable in PATH.
    public static func isInstalled(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }
}
