import Foundation
import ParleyCore
import ParleyNetwork

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The processes `parley bench --setup` starts (`parley relay`, `listen`, `call`, the
/// profile commands, coturn's `turnserver`), each with its output in files in `scratch`
/// (no pipe that could fill and block it). `stopAll()` ends every one still running
/// (SIGTERM, then SIGKILL after 2 s); `stopOnSignals()` does that, removes `scratch` and
/// exits when the bench gets SIGINT, SIGTERM or SIGHUP.
final class ChildProcesses: @unchecked Sendable {
    final class Child: @unchecked Sendable {
        let process = Process()
        let name: String
        let stdoutPath: String
        let stderrPath: String
        fileprivate var handles: [FileHandle] = []

        init(name: String, stdoutPath: String, stderrPath: String) {
            self.name = name
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
        }
    }

    let executable: String
    let scratch: URL
    private let lock = NSLock()
    private var children: [Child] = []
    private var signalNumber: Int32?
    /// Held for the whole of `stopAll()`.
    private let stopping = NSLock()

    /// The signal that interrupted the bench, if one did.
    var interruptedBy: Int32? { lock.withLock { signalNumber } }

    init(executable: String, scratch: URL) {
        self.executable = executable
        self.scratch = scratch
    }

    /// Starts `parley arguments…` (or `program arguments…`) with `env` added to this
    /// process's environment.
    func start(_ arguments: [String], env: [String: String] = [:], name: String, program: String? = nil) throws -> Child {
        let logs = scratch.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let child = Child(name: name, stdoutPath: logs.appendingPathComponent("\(name).out").path,
                          stderrPath: logs.appendingPathComponent("\(name).err").path)
        for path in [child.stdoutPath, child.stderrPath] {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw SetupBench.Failure(description: "cannot create \(path)")
            }
            child.handles.append(handle)
        }
        child.process.executableURL = URL(fileURLWithPath: program ?? executable)
        child.process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in env { environment[key] = value }
        child.process.environment = environment
        child.process.standardInput = FileHandle.nullDevice
        child.process.standardOutput = child.handles[0]
        child.process.standardError = child.handles[1]
        // Registered before it runs: a signal in between still finds it.
        let interrupted = lock.withLock { () -> Bool in
            if signalNumber == nil { children.append(child) }
            return signalNumber != nil
        }
        if interrupted { throw SetupBench.Failure(description: "interrupted") }
        do {
            try child.process.run()
        } catch {
            throw SetupBench.Failure(description: "cannot start \(program ?? executable) (\(name)): \(error.localizedDescription)")
        }
        return child
    }

    /// Runs `parley arguments…` to the end (at most `timeout` s); its standard output.
    /// A failure or timeout throws with its output.
    @discardableResult
    func runToEnd(_ arguments: [String], env: [String: String], name: String, timeout: Double = 30) throws -> String {
        let child = try start(arguments, env: env, name: name)
        guard wait(child, timeout: timeout) else {
            throw SetupBench.Failure(description: "`parley \(arguments.first ?? "")` (\(name)) did not end within \(Int(timeout)) s\n" + excerpt(child))
        }
        guard child.process.terminationStatus == 0 else {
            throw SetupBench.Failure(description: "`parley \(arguments.joined(separator: " "))` (\(name)) failed with status "
                + "\(child.process.terminationStatus)\n" + excerpt(child))
        }
        return stdout(child)
    }

    /// Waits up to `timeout` s for `child` to exit; false (still running) after that.
    func wait(_ child: Child, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while child.process.isRunning {
            if Date() > deadline { return false }
            usleep(5_000)
        }
        child.process.waitUntilExit()  // the termination status is set
        return true
    }

    /// Waits until `child`'s standard output contains `text`; throws when it exits first or
    /// after `timeout` s.
    func waitForOutput(_ child: Child, containing text: String, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !stdout(child).contains(text) {
            if !child.process.isRunning {
                child.process.waitUntilExit()
                throw SetupBench.Failure(description: "\(child.name) exited (status \(child.process.terminationStatus)) before printing "
                    + "\"\(text)\"\n" + excerpt(child))
            }
            if Date() > deadline {
                throw SetupBench.Failure(description: "\(child.name) did not print \"\(text)\" within \(Int(timeout)) s\n" + excerpt(child))
            }
            usleep(5_000)
        }
    }

    /// The port from `parley relay`'s "parley relay listening on HOST:PORT".
    func waitForRelayPort(_ relay: Child) throws -> Int {
        try waitForOutput(relay, containing: "\n", timeout: 15)
        let line = stdout(relay).split(separator: "\n").first { $0.contains("listening on") } ?? ""
        guard let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw SetupBench.Failure(description: "cannot read the relay's port from its output\n" + excerpt(relay))
        }
        return port
    }

    /// Starts coturn on 127.0.0.1 (a free port, TURN REST auth with `secret`, no TLS, loopback
    /// peers allowed: the arguments the tests' CoturnServer uses) and waits until it answers
    /// a STUN Binding Request. Its port.
    func startTurnserver(_ path: String, secret: String) throws -> Int {
        var lastFailure = ""
        for attempt in 1...3 {
            guard let port = LoopbackPort.freeForUDPAndTCP() else { throw SetupBench.Failure(description: "found no free loopback port for turnserver") }
            let base = 61_000 + Int.random(in: 0..<280) * 16  // above Linux's ephemeral ports
            let state = scratch.appendingPathComponent("turn-\(attempt)")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let turn = try start([
                "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=\(port)",
                "--min-port=\(base)", "--max-port=\(base + 15)",
                "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=parley.bench",
                "--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-cli",
                "--log-file=stdout", "--simple-log",
                "--pidfile=\(state.appendingPathComponent("turnserver.pid").path)",
                "--db=\(state.appendingPathComponent("turndb").path)",
            ], name: "turnserver-\(attempt)", program: path)
            if Self.answersSTUN(port: UInt16(port), while: turn, timeout: 5) { return port }
            lastFailure = "turnserver did not answer a STUN Binding Request on 127.0.0.1:\(port) within 5 s\n" + excerpt(turn)
            stop(turn)
        }
        throw SetupBench.Failure(description: lastFailure)
    }

    /// Ends `child` if it runs: SIGTERM, SIGKILL after 2 s.
    func stop(_ child: Child) {
        if child.process.isRunning {
            child.process.terminate()
            if !wait(child, timeout: 2) {
                kill(child.process.processIdentifier, SIGKILL)
                _ = wait(child, timeout: 2)
            }
        }
        for handle in child.handles { try? handle.close() }
        child.handles = []
    }

    /// Ends every child still running: SIGTERM to all, SIGKILL to those still there 2 s
    /// later. A second caller (the bench unwinding while a signal's handler stops
    /// everything) waits until the first is done: nothing is left behind when it returns.
    func stopAll() {
        stopping.withLock {
            let all = lock.withLock { children }
            for child in all where child.process.isRunning { child.process.terminate() }
            let deadline = Date().addingTimeInterval(2)
            while all.contains(where: { $0.process.isRunning }) && Date() < deadline { usleep(5_000) }
            for child in all where child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
            for child in all { stop(child) }  // waits for the killed ones; closes the log handles
            lock.withLock { children.removeAll { child in all.contains { $0 === child } } }
        }
    }

    /// While the returned sources live (cancel them after `stopAll()`): SIGINT, SIGTERM or
    /// SIGHUP end the children and set `interruptedBy` (no child starts after that), so the
    /// bench's waits end and it unwinds; should it not within 10 s, `scratch` is removed
    /// and the process exits with 128 + the signal.
    func stopOnSignals() -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                lock.withLock { if signalNumber == nil { signalNumber = number } }
                stopAll()
                sleep(10)
                try? FileManager.default.removeItem(at: scratch)
                exit(128 + number)
            }
            source.setCancelHandler { signal(number, SIG_DFL) }
            source.resume()
            return source
        }
    }

    func stdout(_ child: Child) -> String { Self.read(child.stdoutPath) }

    /// The last lines of `child`'s standard error and output, for an error message.
    func excerpt(_ child: Child) -> String {
        var text = ""
        for (label, path) in [("stderr", child.stderrPath), ("stdout", child.stdoutPath)] {
            let content = Self.read(path).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !content.isEmpty else { continue }
            let tail = content.count > 1500 ? "…" + content.suffix(1500) : content
            text += "--- \(child.name) \(label):\n\(tail)\n"
        }
        return text.isEmpty ? "--- \(child.name): no output\n" : text
    }

    private static func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    /// Whether a STUN Binding Request to 127.0.0.1:`port` is answered (RFC 5389 success
    /// response with our transaction id) before `timeout` s, while `child` runs.
    private static func answersSTUN(port: UInt16, while child: Child, timeout: Double) -> Bool {
        guard let socket = try? UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: 0)) else { return false }
        defer { socket.close() }
        let server = IPv4Endpoint(address: 0x7F00_0001, port: port)
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 1500)
        while Date() < deadline && child.process.isRunning {
            let id = (0..<12).map { _ in UInt8.random(in: 0...255) }
            do {
                try socket.send([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + id, to: server)
                if let got = try socket.receive(into: &buffer, timeout: 0.2), got.count >= 20,
                   buffer[0] == 0x01, buffer[1] == 0x01, Array(buffer[8..<20]) == id {
                    return true
                }
            } catch {
                usleep(50_000)  // e.g. an ICMP error from before it listened
            }
        }
        return false
    }
}
