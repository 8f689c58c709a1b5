import ArgumentParser
import Foundation
import ParleyEngine
#if canImport(Glibc)
import Glibc
#endif

/// `--control unix:PATH` or `--control stdio`: drives a call headless with JSON lines.
///
/// Commands, one JSON object per line: `{"command": "mute"}` — mute, unmute, hold, resume,
/// hangup, stats, or `{"command": "add", "contact": "Carol"}`; an optional `"id"` is echoed
/// in the answer. Events, one per line: joined, left, speaking, quality-changed, stats,
/// muted, unmuted, held, resumed, hanging-up, ended, error (a command that is not valid
/// gets an error event, never a crash).
///
/// With `stdio`, commands come on standard input and events go to standard output; the
/// human-readable lines move to standard error. With `unix:PATH`, a Unix socket (mode
/// 0600) takes any number of controllers; each gets every event.
final class ControlChannel: @unchecked Sendable {
    let control: CallControl
    private let lock = NSLock()
    private var clients: [Int32] = []
    private var eventsFD: Int32 = -1
    private var listenFD: Int32 = -1
    private var path: String?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Opens the channel `spec` describes (`stdio` or `unix:PATH`) and starts reading.
    init(spec: String) throws {
        let box = WeakBox<ControlChannel>()
        control = CallControl(onEvent: { event in box.value?.send(event) })
        box.value = self
        if spec == "stdio" {
            fflush(nil)  // what print() buffered so far still goes to standard output
            eventsFD = dup(1)
            dup2(2, 1)  // print() now goes to standard error; events have standard output
            startReading(fd: 0)
        } else if spec.hasPrefix("unix:"), spec.count > 5 {
            try listen(on: String(spec.dropFirst(5)))
        } else {
            throw CLIError.invalidValue(option: "--control", value: spec, expected: "stdio or unix:PATH")
        }
    }

    deinit { close() }

    func close() {
        let (fds, listener, path) = lock.withLock { () -> ([Int32], Int32, String?) in
            let all = clients
            clients = []
            let l = listenFD
            listenFD = -1
            let p = self.path
            self.path = nil
            return (all, l, p)
        }
        for fd in fds { Glibc.close(fd) }
        if listener >= 0 { Glibc.shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }
        if let path { unlink(path) }
    }

    // MARK: Events out

    private func send(_ event: CallControl.Event) {
        guard var line = try? encoder.encode(event) else { return }
        line.append(0x0A)
        if eventsFD >= 0 {
            line.withUnsafeBytes { _ = write(eventsFD, $0.baseAddress, $0.count) }
            return
        }
        let targets = lock.withLock { clients }
        for fd in targets {
            // A controller that does not read is dropped rather than stalling the call.
            let sent = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if sent != line.count { drop(fd) }
        }
    }

    private func drop(_ fd: Int32) {
        let removed = lock.withLock { () -> Bool in
            guard let i = clients.firstIndex(of: fd) else { return false }
            clients.remove(at: i)
            return true
        }
        if removed { Glibc.close(fd) }
    }

    // MARK: Commands in

    private func listen(on path: String) throws {
        var status = stat()
        if lstat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFSOCK else {
                throw CLIError.invalidValue(option: "--control", value: "unix:\(path)", expected: "a path that is free or an old socket (it is another kind of file)")
            }
            unlink(path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CLIError.failed("cannot make the control socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw CLIError.invalidValue(option: "--control", value: "unix:\(path)", expected: "a shorter path (at most 107 bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o600) == 0, Glibc.listen(fd, 4) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw CLIError.failed("cannot listen for controllers on \(path): \(reason); check that its directory exists and is writable")
        }
        lock.withLock {
            listenFD = fd
            self.path = path
        }
        let thread = Thread { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else {
                    if errno == EINTR { continue }
                    return  // closed
                }
                guard let self else { Glibc.close(client); return }
                self.lock.withLock { self.clients.append(client) }
                self.startReading(fd: client)
            }
        }
        thread.name = "parley-control"
        thread.start()
    }

    /// Reads command lines from `fd` on a thread of its own until it closes.
    private func startReading(fd: Int32) {
        let thread = Thread { [weak self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0, let self else { break }
                pending += buffer[0..<n]
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    self.handle(line)
                }
                if pending.count > 65_536 {
                    self.control.post(CallControl.Event("error", message: "a command line longer than 64 KiB was dropped"))
                    pending = []
                }
            }
            if fd != 0 { self?.drop(fd) }
        }
        thread.name = "parley-control-reader"
        thread.start()
    }

    private func handle(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        do {
            control.submit(try Self.parse(text))
        } catch {
            control.post(CallControl.Event("error", message: "\(error)"))
        }
    }

    struct CommandError: Error, CustomStringConvertible {
        var description: String
    }

    /// One command line: `{"command": "mute", "id": "7"}`.
    static func parse(_ text: String) throws -> CallControl.Request {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CommandError(description: "not a JSON object: \(text.prefix(80)); send e.g. {\"command\": \"mute\"}")
        }
        let id = object["id"].map { "\($0)" }
        guard let name = object["command"] as? String else {
            throw CommandError(description: "no \"command\" in \(text.prefix(80)); use mute, unmute, hold, resume, hangup, stats or add")
        }
        let command: CallControl.Command
        switch name {
        case "mute": command = .mute
        case "unmute": command = .unmute
        case "hold": command = .hold
        case "resume": command = .resume
        case "hangup": command = .hangup
        case "stats": command = .stats
        case "add":
            guard let contact = object["contact"] as? String, !contact.isEmpty else {
                throw CommandError(description: "add needs a \"contact\": {\"command\": \"add\", \"contact\": \"Carol\"}")
            }
            command = .add(contact: contact)
        default:
            throw CommandError(description: "unknown command '\(name)': use mute, unmute, hold, resume, hangup, stats or add")
        }
        return CallControl.Request(id: id, command: command)
    }
}

/// `--control` for `call` and `listen`.
struct ControlOptions: ParsableArguments {
    @Option(name: .customLong("control"), help: ArgumentHelp(
        "Drive the call headless with JSON lines: stdio (commands on standard input, events on standard output) or unix:PATH (a socket).",
        valueName: "stdio|unix:PATH"))
    var spec: String?

    func open() throws -> ControlChannel? { try spec.map { try ControlChannel(spec: $0) } }
}
