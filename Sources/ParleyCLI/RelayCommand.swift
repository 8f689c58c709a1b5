import ArgumentParser
import Foundation
import Logging
import ParleyRelay

/// `parley relay`: the signaling relay. Stores and forwards sealed envelopes between random
/// mailbox ids; it never sees a key, a name or a plaintext.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run a signaling relay: store and forward sealed envelopes between mailbox ids.",
        discussion: """
            Runs until SIGINT or SIGTERM. Mailboxes are random 16-byte ids; a mailbox is \
            drained only by the key that first claimed it (a signature over a per-connection \
            challenge). Envelopes expire after their TTL (swept every 30 s).

            Every refusal is an ERROR frame with a short reason the client shows: "envelope \
            too large", "mailbox full", "relay full", "rate limited", "relay busy" (too many \
            connections), "idle timeout" (no frame for --idle-timeout). With --log-level info \
            each refusal is also logged, one line each.

            Without --store the relay keeps everything in memory. With --store DIR it keeps \
            every mailbox in DIR (one file per envelope, written atomically and fsynced \
            before the deposit is answered), so a restart loses nothing; damaged files are \
            reported and skipped. Sizes take K, M or G (powers of 1024); durations take s, \
            m, h or d.

            Examples:
              parley relay --listen 127.0.0.1:7400
              parley relay --listen 0.0.0.0:7400 --store /var/lib/parley-relay \\
                --max-total-bytes 1G --rate 20 --max-ttl 3d --log-level info
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0 picks a free port).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:7400"

    @Option(name: .long, help: ArgumentHelp("Keep mailboxes in this directory (created if missing) across restarts.", valueName: "DIR"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("Largest envelope accepted (at most 60K).", valueName: "SIZE"))
    var maxEnvelopeBytes: String = "60K"

    @Option(name: .long, help: ArgumentHelp("Envelopes held per mailbox.", valueName: "N"))
    var maxEnvelopesPerMailbox: Int = 256

    @Option(name: .long, help: ArgumentHelp("Bytes held per mailbox.", valueName: "SIZE"))
    var maxMailboxBytes: String = "4M"

    @Option(name: .long, help: ArgumentHelp(
        "Bytes held by the whole relay (each envelope counts \(RelayServer.envelopeOverhead) bytes more).", valueName: "SIZE"))
    var maxTotalBytes: String = "256M"

    @Option(name: .long, help: ArgumentHelp("Mailboxes held (with an envelope or a claim).", valueName: "N"))
    var maxMailboxes: Int = 100_000

    @Option(name: .long, help: ArgumentHelp("Simultaneous connections; more get \"relay busy\".", valueName: "N"))
    var maxConnections: Int = 1024

    @Option(name: [.customLong("rate"), .customLong("deposits-per-second")],
            help: ArgumentHelp("Deposits per second per connection (bursts of as many).", valueName: "N"))
    var rate: Double = 50

    @Option(name: .customLong("max-ttl"), help: ArgumentHelp("Longest envelope TTL; longer ones are shortened.", valueName: "DURATION"))
    var maxTTL: String = "7d"

    @Option(name: .long, help: ArgumentHelp("Close a connection silent for this long.", valueName: "DURATION"))
    var idleTimeout: String = "120s"

    static let logger = Logger(label: "parley.relay")

    /// The server configuration the options describe, or a `parley: error:` explaining which is wrong.
    func serverConfiguration() throws -> RelayServer.Configuration {
        var config = RelayServer.Configuration()
        let envelope = try Self.size(maxEnvelopeBytes, option: "--max-envelope-bytes")
        guard envelope <= RelayFrame.maxEnvelopeLength else {
            throw CLIError.invalidValue(option: "--max-envelope-bytes", value: maxEnvelopeBytes,
                                        expected: "give 1 to \(RelayFrame.maxEnvelopeLength) (60K), the protocol's largest envelope")
        }
        let mailbox = try Self.size(maxMailboxBytes, option: "--max-mailbox-bytes")
        let total = try Self.size(maxTotalBytes, option: "--max-total-bytes")
        guard mailbox >= envelope else {
            throw CLIError.invalidValue(option: "--max-mailbox-bytes", value: maxMailboxBytes,
                                        expected: "give at least --max-envelope-bytes (\(envelope)), or no envelope fits")
        }
        guard total >= envelope + RelayServer.envelopeOverhead else {
            throw CLIError.invalidValue(option: "--max-total-bytes", value: maxTotalBytes,
                                        expected: "give at least --max-envelope-bytes plus \(RelayServer.envelopeOverhead) (\(envelope + RelayServer.envelopeOverhead)), or no envelope fits")
        }
        for (option, value) in [("--max-envelopes-per-mailbox", maxEnvelopesPerMailbox), ("--max-mailboxes", maxMailboxes),
                                ("--max-connections", maxConnections)] where value <= 0 {
            throw CLIError.invalidValue(option: option, value: "\(value)", expected: "give a positive number")
        }
        guard rate > 0, rate.isFinite, rate <= 1_000_000 else {
            throw CLIError.invalidValue(option: "--rate", value: "\(rate)", expected: "give deposits per second, more than 0, e.g. 50")
        }
        guard let ttl = InviteCommand.parseDuration(maxTTL), ttl <= Int64(UInt32.max) else {
            throw CLIError.invalidValue(option: "--max-ttl", value: maxTTL, expected: "give a duration such as 3600, 90m, 24h or 7d (at most 365d)")
        }
        guard let idle = InviteCommand.parseDuration(idleTimeout) else {
            throw CLIError.invalidValue(option: "--idle-timeout", value: idleTimeout, expected: "give a duration such as 120s or 5m")
        }
        if let store, store.isEmpty {
            throw CLIError.invalidValue(option: "--store", value: store, expected: "give a directory")
        }
        config.maxEnvelopeBytes = envelope
        config.maxBytesPerMailbox = mailbox
        config.maxTotalBytes = total
        config.maxEnvelopesPerMailbox = maxEnvelopesPerMailbox
        config.maxMailboxes = maxMailboxes
        config.maxConnections = maxConnections
        config.depositsPerSecond = rate
        config.depositBurst = max(1, rate)
        config.maxTTL = UInt32(ttl)
        config.idleTimeout = Double(idle)
        config.storeDirectory = store
        let logger = Self.logger
        config.log = { level, message in
            let mapped: Logger.Level
            switch level {
            case .debug: mapped = .debug
            case .info: mapped = .info
            case .notice: mapped = .notice
            case .warning: mapped = .warning
            case .error: mapped = .error
            }
            logger.log(level: mapped, "\(message)")
        }
        return config
    }

    /// Bytes in `4096`, `64K`, `4M`, `1G` (also `KiB`, `MiB`, `GiB`; powers of 1024).
    static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
        if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
        var scale = 1
        if let last = digits.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][last] {
            scale = 1 << (10 * power)
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= Int.max / scale else { return nil }
        return value * scale
    }

    private static func size(_ text: String, option: String) throws -> Int {
        guard let value = parseSize(text) else {
            throw CLIError.invalidValue(option: option, value: text, expected: "give a positive size such as 65536, 64K, 4M or 1G")
        }
        return value
    }

    func run() throws {
        logging.bootstrap()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port), colon > listen.startIndex
        else {
            throw CLIError.invalidValue(option: "--listen", value: listen, expected: "give HOST:PORT, e.g. 127.0.0.1:7400")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let config = try serverConfiguration()
        let server = RelayServer(configuration: config)

        let started = RelayBox<Result<Int, Error>>()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do { started.value = .success(try await server.start(host: host, port: port)) } catch { started.value = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        guard let result = started.value else { throw CLIError.failed("the relay did not start") }
        let boundPort = try result.get()
        var lines = "parley relay listening on \(host):\(boundPort)\n"
        if let store, let summary = server.loadSummary { lines += "parley relay store \(store): \(summary)\n" }
        FileHandle.standardOutput.write(Data(lines.utf8))

        // Wait for SIGINT/SIGTERM.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            return source
        }
        stop.wait()
        sources.forEach { $0.cancel() }
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await server.stop()
            stopped.signal()
        }
        stopped.wait()
        FileHandle.standardOutput.write(Data("parley relay stopped\n".utf8))
    }
}

/// A value handed from a task to a waiting thread (guarded by the semaphore's ordering).
final class RelayBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
