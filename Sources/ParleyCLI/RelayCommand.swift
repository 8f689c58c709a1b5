import ArgumentParser
import Foundation
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
            challenge). Envelopes expire after their TTL.

            Examples:
              parley relay --listen 127.0.0.1:7400
              parley relay --listen 0.0.0.0:7400 --max-envelopes-per-mailbox 64
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0 picks a free port).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:7400"

    @Option(name: .long, help: ArgumentHelp("Largest envelope accepted, in bytes (at most 61440).", valueName: "BYTES"))
    var maxEnvelopeBytes: Int = RelayFrame.maxEnvelopeLength

    @Option(name: .long, help: ArgumentHelp("Envelopes held per mailbox.", valueName: "N"))
    var maxEnvelopesPerMailbox: Int = 256

    @Option(name: .long, help: ArgumentHelp("Deposits per second per connection.", valueName: "N"))
    var depositsPerSecond: Double = 50

    func run() throws {
        logging.bootstrap()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port), colon > listen.startIndex
        else {
            throw CLIError.invalidValue(option: "--listen", value: listen, expected: "give HOST:PORT, e.g. 127.0.0.1:7400")
        }
        guard (1...RelayFrame.maxEnvelopeLength).contains(maxEnvelopeBytes) else {
            throw CLIError.invalidValue(option: "--max-envelope-bytes", value: "\(maxEnvelopeBytes)", expected: "give 1 to \(RelayFrame.maxEnvelopeLength)")
        }
        guard maxEnvelopesPerMailbox > 0, depositsPerSecond > 0 else {
            throw CLIError.invalidValue(option: "--max-envelopes-per-mailbox/--deposits-per-second", value: "0", expected: "give a positive number")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }

        var config = RelayServer.Configuration()
        config.maxEnvelopeBytes = maxEnvelopeBytes
        config.maxEnvelopesPerMailbox = maxEnvelopesPerMailbox
        config.depositsPerSecond = depositsPerSecond
        config.depositBurst = max(1, depositsPerSecond)
        let server = RelayServer(configuration: config)

        let started = RelayBox<Result<Int, Error>>()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do { started.value = .success(try await server.start(host: host, port: port)) } catch { started.value = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        let boundPort = try started.value!.get()
        FileHandle.standardOutput.write(Data("parley relay listening on \(host):\(boundPort)\n".utf8))

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
