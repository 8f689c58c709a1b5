import Foundation
import ParleyCore
import ParleyNetwork

#if canImport(Glibc)
import Glibc
#endif

/// A real coturn TURN/STUN server on loopback for tests, with TURN REST API auth
/// (`--use-auth-secret`; see `TURNCredentials.rest`). It listens on 127.0.0.1:`port`
/// (UDP and TCP), relays from 127.0.0.1 in a small port range above Linux's ephemeral
/// ports, and allows loopback peers. `init` returns once it answers a STUN Binding
/// Request; `stop()` (or deinit) terminates it. Its output goes to `logPath`.
public final class CoturnServer: @unchecked Sendable {
    public enum StartError: Error, CustomStringConvertible {
        case notInstalled(path: String)
        case invalidPort(Int)
        case noFreePort
        case didNotAnswer(port: Int, exitStatus: Int32?, logPath: String, output: String)

        public var description: String {
            switch self {
            case .notInstalled(let path):
                return "coturn is not installed (\(path) is missing); install it with `apt-get install -y coturn` "
                    + "(Tools/test and Tools/install-deps test install it)"
            case .invalidPort(let port):
                return "\(port) is not a UDP port; give 1...65535, or nil for a free one"
            case .noFreePort:
                return "found no free loopback port (UDP and TCP) for coturn"
            case .didNotAnswer(let port, let exitStatus, let logPath, let output):
                let state = exitStatus.map { "exited with status \($0)" } ?? "was still running"
                return "coturn did not answer a STUN Binding Request on 127.0.0.1:\(port) within 5 s "
                    + "(it \(state)); its output (\(logPath)):\n\(output)"
            }
        }
    }

    public static let executablePath = "/usr/bin/turnserver"

    /// Whether the turnserver executable is installed.
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executablePath) }

    public let port: Int
    public let secret: String
    public let realm: String
    /// The UDP ports coturn allocates relay addresses from.
    public let relayPorts: ClosedRange<Int>
    /// coturn's stdout and stderr (removed at deinit unless the start failed).
    public let logPath: String

    private let process = Process()
    private let scratch: URL
    private let log: FileHandle
    private let lock = NSLock()
    /// False after a failed start, so that the log the error names stays for a look.
    private var removeScratchOnDeinit = true

    /// Where clients send STUN/TURN requests.
    public var endpoint: IPv4Endpoint { IPv4Endpoint(address: 0x7F00_0001, port: UInt16(truncatingIfNeeded: port)) }

    public var isRunning: Bool { process.isRunning }

    /// Starts coturn on `port` (nil: a free one) and waits until it answers.
    public init(port: Int? = nil, secret: String = CoturnServer.randomSecret(), realm: String = "parley.test") throws {
        guard Self.isAvailable else { throw StartError.notInstalled(path: Self.executablePath) }
        if let port, !(1...65535).contains(port) { throw StartError.invalidPort(port) }
        guard let chosen = port ?? LoopbackPort.freeForUDPAndTCP() else { throw StartError.noFreePort }
        self.port = chosen
        self.secret = secret
        self.realm = realm
        let base = 61_000 + Int.random(in: 0..<280) * 16
        relayPorts = base...(base + 15)
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("parley-coturn-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        logPath = scratch.appendingPathComponent("turnserver.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))

        process.executableURL = URL(fileURLWithPath: Self.executablePath)
        process.arguments = [
            "-n",  // no configuration file: only these flags
            "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port=\(chosen)",
            "--min-port=\(relayPorts.lowerBound)", "--max-port=\(relayPorts.upperBound)",
            "--use-auth-secret", "--static-auth-secret=\(secret)", "--realm=\(realm)",
            "--allow-loopback-peers",  // coturn refuses 127.x peers otherwise
            "--no-tls", "--no-dtls", "--no-cli",
            "--log-file=stdout", "--simple-log",
            "--pidfile=\(scratch.appendingPathComponent("turnserver.pid").path)",
            "--db=\(scratch.appendingPathComponent("turndb").path)",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()

        if !waitUntilAnswering(timeout: 5) {
            let exitStatus = process.isRunning ? nil : process.terminationStatus  // before stop() ends it
            stop()
            removeScratchOnDeinit = false
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw StartError.didNotAnswer(port: chosen, exitStatus: exitStatus, logPath: logPath, output: String(output.suffix(4000)))
        }
    }

    deinit {
        stop()
        if removeScratchOnDeinit { try? FileManager.default.removeItem(at: scratch) }
    }

    /// Terminates coturn (SIGTERM, then SIGKILL after 2 s) and waits for it to exit.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        if process.isRunning {
            process.terminate()
            if !waitForExit(timeout: 2) {
                kill(process.processIdentifier, SIGKILL)
                _ = waitForExit(timeout: 2)
            }
        }
        try? log.synchronize()
    }

    /// TURN REST credentials this server accepts.
    public func credentials(user: String = "parley", validFor seconds: Double = 3600) -> TURNCredentials {
        .rest(secret: secret, user: user, validFor: seconds)
    }

    /// A random 32-hex-digit secret.
    public static func randomSecret() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    private func waitUntilAnswering(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        guard let socket = try? UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: 0)) else { return false }
        while Date() < deadline && process.isRunning {
            do {
                if try STUNBinding.query(endpoint, from: socket, timeout: 0.2) != nil { return true }
            } catch {
                Thread.sleep(forTimeInterval: 0.05)  // e.g. an ICMP error from before it listened
            }
        }
        return false
    }

    private func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }

}

/// STUN Binding (RFC 5389) for probing a server: the request, and the parts of a
/// success response a test checks.
public enum STUNBinding {
    public static let magicCookie: UInt32 = 0x2112_A442

    public struct Success: Equatable, Sendable {
        /// XOR-MAPPED-ADDRESS (IPv4 only; nil when absent or IPv6).
        public var xorMappedAddress: IPv4Endpoint?
    }

    /// A Binding Request: type 0x0001, length 0, the magic cookie, the 12-byte transaction id.
    public static func request(transactionID: [UInt8]) -> [UInt8] {
        precondition(transactionID.count == 12, "a STUN transaction id has 12 bytes")
        return [0x00, 0x01, 0x00, 0x00] + bigEndian(magicCookie) + transactionID
    }

    /// The Binding Success Response (type 0x0101) to `transactionID` in `message`, or nil
    /// when it is anything else (another type or id, malformed, truncated).
    public static func parseSuccess(_ message: ArraySlice<UInt8>, transactionID: [UInt8]) -> Success? {
        let m = Array(message)
        guard m.count >= 20, word16(m, 0) == 0x0101, word32(m, 4) == magicCookie,
              Array(m[8..<20]) == transactionID else { return nil }
        let end = 20 + Int(word16(m, 2))
        guard end <= m.count else { return nil }
        var result = Success()
        var i = 20
        while i + 4 <= end {
            let type = word16(m, i), length = Int(word16(m, i + 2))
            let value = i + 4
            guard value + length <= end else { return nil }
            if type == 0x0020, length >= 8, m[value + 1] == 0x01 {
                let port = word16(m, value + 2) ^ UInt16(magicCookie >> 16)
                let address = word32(m, value + 4) ^ magicCookie
                result.xorMappedAddress = IPv4Endpoint(address: address, port: port)
            }
            i = value + (length + 3) / 4 * 4
        }
        return result
    }

    /// Sends a Binding Request to `server` from `socket` and waits up to `timeout` seconds
    /// for its success response; nil on timeout. Other datagrams are ignored.
    public static func query(_ server: IPv4Endpoint, from socket: UDPSocket, timeout: Double) throws -> Success? {
        let id = (0..<12).map { _ in UInt8.random(in: 0...255) }
        try socket.send(request(transactionID: id), to: server)
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 1500)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let got = try socket.receive(into: &buffer, timeout: left) else { return nil }
            if got.source == server, let success = parseSuccess(buffer[0..<got.count], transactionID: id) { return success }
        }
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> UInt32($0)) } }
    private static func word16(_ m: [UInt8], _ i: Int) -> UInt16 { UInt16(m[i]) << 8 | UInt16(m[i + 1]) }
    private static func word32(_ m: [UInt8], _ i: Int) -> UInt32 { UInt32(word16(m, i)) << 16 | UInt32(word16(m, i + 2)) }
}
