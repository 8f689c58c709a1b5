import Foundation

/// Emulated hosts for network tests: Linux network namespaces joined by veth pairs and a
/// bridge, made with `ip` (and `nft` for a NAT), removed again by `tearDown` (or deinit).
/// Needs root; `unavailableReason` says why not when it cannot work here.
public final class NetnsLab {
    /// Names start with this, so that concurrent labs and leftovers never collide.
    public let prefix: String
    private var namespaces: [String] = []
    private var processes: [Process] = []
    private let lock = NSLock()

    public init() {
        prefix = "pl\(getpid() % 10000)x\(UInt16.random(in: 0...0xFFF))"
    }

    deinit { tearDown() }

    /// Why namespaces cannot be made here (not root, no `ip`, no netns support), or nil.
    public static var unavailableReason: String? {
        guard getuid() == 0 else { return "network namespaces need root (run the tests as root to include these cases)" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else {
            return "the `ip` command (iproute2) is missing"
        }
        let name = "plprobe\(getpid() % 100000)"
        guard (try? run(["ip", "netns", "add", name])) != nil else { return "`ip netns add` failed: no network namespace support here" }
        _ = try? run(["ip", "netns", "del", name])
        return nil
    }

    public struct CommandError: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String { "`\(command.joined(separator: " "))` failed (\(status)): \(output)" }
        public init(command: [String], status: Int32, output: String) {
            self.command = command
            self.status = status
            self.output = output
        }
    }

    /// Runs a command to completion; throws with its output when it fails.
    @discardableResult
    public static func run(_ command: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        if let input {
            let stdin = Pipe()
            process.standardInput = stdin
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw CommandError(command: command, status: process.terminationStatus, output: output) }
        return output
    }

    /// The full name of namespace `name`.
    public func ns(_ name: String) -> String { "\(prefix)-\(name)" }

    /// Makes namespace `name` with its loopback up.
    public func addNamespace(_ name: String) throws {
        try Self.run(["ip", "netns", "add", ns(name)])
        lock.withLock { namespaces.append(ns(name)) }
        try exec(name, ["ip", "link", "set", "lo", "up"])
    }

    /// Runs `command` inside namespace `name` to completion.
    @discardableResult
    public func exec(_ name: String, _ command: [String], input: String? = nil) throws -> String {
        try Self.run(["ip", "netns", "exec", ns(name)] + command, input: input)
    }

    /// A veth pair between two namespaces: `aIf` in `a` with `aAddress` (CIDR), `bIf` in
    /// `b` with `bAddress` (nil: none, e.g. a bridge port).
    public func link(_ a: String, _ aIf: String, _ aAddress: String?, _ b: String, _ bIf: String, _ bAddress: String?) throws {
        let n = linkCounter
        linkCounter += 1
        let tmpA = "\(prefix)a\(n)", tmpB = "\(prefix)b\(n)"
        try Self.run(["ip", "link", "add", tmpA, "type", "veth", "peer", "name", tmpB])
        try Self.run(["ip", "link", "set", tmpA, "netns", ns(a)])
        try Self.run(["ip", "link", "set", tmpB, "netns", ns(b)])
        try exec(a, ["ip", "link", "set", tmpA, "name", aIf])
        try exec(b, ["ip", "link", "set", tmpB, "name", bIf])
        if let aAddress { try exec(a, ["ip", "addr", "add", aAddress, "dev", aIf]) }
        if let bAddress { try exec(b, ["ip", "addr", "add", bAddress, "dev", bIf]) }
        try exec(a, ["ip", "link", "set", aIf, "up"])
        try exec(b, ["ip", "link", "set", bIf, "up"])
    }

    private var linkCounter = 0

    /// A bridge `name` in namespace `switchNamespace`, and `port` interfaces attached to it.
    public func bridge(in switchNamespace: String, name: String, ports: [String]) throws {
        try exec(switchNamespace, ["ip", "link", "add", name, "type", "bridge"])
        try exec(switchNamespace, ["ip", "link", "set", name, "up"])
        for port in ports { try exec(switchNamespace, ["ip", "link", "set", port, "master", name]) }
    }

    /// Makes namespace `router` forward and masquerade what leaves through `outside`
    /// (a NAT, as a home router does), with nftables.
    public func masquerade(in router: String, outside: String) throws {
        try exec(router, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
        try exec(router, ["nft", "-f", "-"], input: """
            table ip nat {
              chain postrouting {
                type nat hook postrouting priority 100; policy accept;
                oifname "\(outside)" masquerade
              }
            }
            """)
    }

    /// Starts `command` inside namespace `name` in the background, its output to `log`.
    public func spawn(_ name: String, _ command: [String], environment: [String: String] = [:], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ip", "netns", "exec", ns(name)] + command
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { processes.append(process) }
        return process
    }

    /// Stops what `spawn` started and deletes the namespaces (and with them their links).
    public func tearDown() {
        let (running, names) = lock.withLock { () -> ([Process], [String]) in
            defer { processes = []; namespaces = [] }
            return (processes, namespaces)
        }
        for process in running where process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        for name in names.reversed() {
            if let pids = try? Self.run(["ip", "netns", "pids", name]) {
                for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            }
            _ = try? Self.run(["ip", "netns", "del", name])
        }
    }
}
