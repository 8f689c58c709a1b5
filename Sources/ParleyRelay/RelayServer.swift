import Foundation
import NIOCore
import NIOPosix
import ParleySecurity

/// Sees every byte the relay receives and every envelope it stores (for tests and audits).
public struct RelayRecorder: Sendable {
    public var received: @Sendable ([UInt8]) -> Void
    public var stored: @Sendable (MailboxID, [UInt8]) -> Void
    public init(received: @escaping @Sendable ([UInt8]) -> Void, stored: @escaping @Sendable (MailboxID, [UInt8]) -> Void) {
        self.received = received
        self.stored = stored
    }
}

/// Levels of the relay's log lines (the CLI maps them to swift-log).
public enum RelayLogLevel: Int, Sendable, Comparable {
    case debug, info, notice, warning, error
    public static func < (lhs: RelayLogLevel, rhs: RelayLogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The signaling relay: stores and forwards sealed envelopes between random mailbox ids.
public final class RelayServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var maxEnvelopeBytes = RelayFrame.maxEnvelopeLength
        public var maxEnvelopesPerMailbox = 256
        public var maxBytesPerMailbox = 4 * 1024 * 1024
        public var maxMailboxes = 100_000
        /// Relay-wide cap on stored envelopes: their bytes plus `RelayServer.envelopeOverhead`
        /// each. A deposit beyond it is refused with "relay full".
        public var maxTotalBytes = 256 * 1024 * 1024
        /// Simultaneous connections; the next one gets ERROR "relay busy" and is closed.
        public var maxConnections = 1024
        /// Seconds without a frame from the client before the relay closes the connection
        /// (ERROR "idle timeout"), measured with `clock`.
        public var idleTimeout: Double = 120
        /// Real seconds between idle checks of a connection.
        public var idleCheckInterval: Double = 1
        /// Real seconds between sweeps of expired envelopes (besides the lazy removal
        /// when a mailbox is used).
        public var sweepInterval: Double = 30
        public var maxTTL: UInt32 = 7 * 24 * 3600
        /// Token bucket per connection: deposits per second, and burst.
        public var depositsPerSecond: Double = 50
        public var depositBurst: Double = 50
        /// Keep mailboxes in this directory (created if missing) so a restart loses nothing;
        /// nil keeps them in memory only.
        public var storeDirectory: String?
        /// Seconds, monotonic; replaceable in tests. TTLs, rate limits and idle time use it.
        public var clock: @Sendable () -> Double = {
            Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        }
        /// Seconds since 1970; envelope expiries on disk use it. Replaceable in tests.
        public var wallClock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        public var recorder: RelayRecorder?
        /// One line per event: refusals and closed connections (info), connections
        /// (debug), store problems (warning, error). Never a key or an envelope's bytes.
        public var log: (@Sendable (RelayLogLevel, String) -> Void)?
        public init() {}
    }

    /// What the relay holds and serves right now.
    public struct Statistics: Sendable, Equatable {
        public var connections: Int
        public var mailboxes: Int
        public var envelopes: Int
        /// Envelope bytes held (expired ones included until swept).
        public var envelopeBytes: Int
        /// What counts against `maxTotalBytes`: envelope bytes plus `envelopeOverhead` each.
        public var chargedBytes: Int
    }

    /// Bookkeeping charged per stored envelope against `maxTotalBytes`.
    public static let envelopeOverhead = MailboxStore.envelopeOverhead

    let configuration: Configuration
    private let lock = NSLock()
    private var _store: MailboxStore
    private var disk: RelayDiskStore?
    private var serverChannel: Channel?
    private var sweepTask: RepeatedTask?
    private var connections: [ObjectIdentifier: Channel] = [:]
    /// The store's load summary after `start` (with `storeDirectory`), e.g. "loaded 3 envelopes in 2 mailboxes".
    public var loadSummary: String? { lock.withLock { _loadSummary } }
    private var _loadSummary: String?

    var store: MailboxStore { lock.withLock { _store } }

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self._store = MailboxStore(configuration: configuration)
    }

    private func log(_ level: RelayLogLevel, _ message: String) { configuration.log?(level, message) }

    /// Opens the store (if any), then starts listening; returns the bound port (pass 0 for
    /// any free port). Throws `RelayError.store` if the store cannot be used.
    public func start(host: String, port: Int) async throws -> Int {
        if let directory = configuration.storeDirectory {
            let disk = try RelayDiskStore(directory: directory)
            let store = MailboxStore(configuration: configuration, disk: disk)
            let summary: String
            do { summary = try store.load() } catch {
                disk.close()
                throw error
            }
            log(.notice, "store \(disk.directory): \(summary)")
            lock.withLock {
                self.disk = disk
                self._store = store
                self._loadSummary = summary
            }
        }
        let configuration = self.configuration
        let store = self.store
        let channel: Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [weak self] child in
                    let admitted = self?.track(child) ?? false
                    return child.eventLoop.makeCompletedFuture {
                        let sync = child.pipeline.syncOperations
                        guard admitted else {
                            try sync.addHandler(MessageToByteHandler(RelayFrameEncoder()))
                            try sync.addHandler(RelayBusyHandler(log: configuration.log))
                            return
                        }
                        if let recorder = configuration.recorder {
                            try sync.addHandler(RecordingHandler(recorder: recorder))
                        }
                        try sync.addHandler(ByteToMessageHandler(RelayFrameDecoder()))
                        try sync.addHandler(MessageToByteHandler(RelayFrameEncoder()))
                        try sync.addHandler(RelayConnectionHandler(store: store, configuration: configuration))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            lock.withLock { disk }?.close()
            throw error
        }
        let interval = timeAmount(seconds: configuration.sweepInterval, atLeast: 0.01)
        let sweep = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let removed = store.sweep()
            if removed > 0 { configuration.log?(.debug, "swept \(removed) expired envelope\(removed == 1 ? "" : "s")") }
        }
        lock.withLock {
            serverChannel = channel
            sweepTask = sweep
        }
        return channel.localAddress?.port ?? port
    }

    /// Registers a connection; false if the relay already has `maxConnections`.
    private func track(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = lock.withLock {
            guard connections.count < configuration.maxConnections else { return false }
            connections[id] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.lock.withLock { _ = self?.connections.removeValue(forKey: id) }
        }
        return true
    }

    /// Stops listening, closes every connection, finishes pending disk writes and releases the store.
    public func stop() async {
        let (server, sweep, children) = lock.withLock { (serverChannel, sweepTask, Array(connections.values)) }
        sweep?.cancel()
        try? await server?.close()
        for child in children { try? await child.close() }
        await store.flush()
        let disk = lock.withLock {
            serverChannel = nil
            sweepTask = nil
            let disk = self.disk
            self.disk = nil
            return disk
        }
        disk?.close()
    }

    /// The port the relay listens on, once started.
    public var boundPort: Int? { lock.withLock { serverChannel?.localAddress?.port } }

    /// Envelopes currently held for a mailbox (expired ones not counted); for tests.
    public func storedCount(mailbox: MailboxID) -> Int { store.count(mailbox: mailbox) }

    /// Removes expired envelopes now (the periodic sweep does this every `sweepInterval`).
    @discardableResult
    public func sweepExpired() -> Int { store.sweep() }

    public func statistics() -> Statistics {
        let totals = store.totals()
        return Statistics(
            connections: lock.withLock { connections.count }, mailboxes: totals.mailboxes, envelopes: totals.envelopes,
            envelopeBytes: totals.envelopeBytes, chargedBytes: totals.chargedBytes)
    }
}

/// Passes bytes on after showing them to the recorder.
final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let recorder: RelayRecorder
    init(recorder: RelayRecorder) { self.recorder = recorder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        recorder.received(Array(buffer.readableBytesView))
        context.fireChannelRead(data)
    }
}

/// A connection beyond `maxConnections`: ERROR "relay busy", then closed.
final class RelayBusyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = RelayFrame
    let log: (@Sendable (RelayLogLevel, String) -> Void)?
    init(log: (@Sendable (RelayLogLevel, String) -> Void)?) { self.log = log }

    func channelActive(context: ChannelHandlerContext) {
        log?(.info, "refused connection from \(peerName(context)): relay busy")
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(RelayFrame(.error, body: Array("relay busy".utf8)))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

func peerName(_ context: ChannelHandlerContext) -> String {
    guard let address = context.remoteAddress else { return "unknown peer" }
    if let ip = address.ipAddress, let port = address.port {
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
    return "\(address)"
}

/// Seconds as a `TimeAmount`, clamped to [`atLeast`, one year] (NaN gives `atLeast`), so
/// that no configured value can overflow the conversion.
func timeAmount(seconds: Double, atLeast minimum: Double) -> TimeAmount {
    let clamped = seconds.isNaN ? minimum : min(max(seconds, minimum), 365 * 86_400)
    return .nanoseconds(Int64(clamped * 1e9))
}

/// A non-negative Double as UInt64, saturating (NaN and negatives give 0).
func saturatingUInt64(_ value: Double) -> UInt64 {
    guard value.isFinite else { return value == .infinity ? .max : 0 }
    guard value > 0 else { return 0 }
    return value >= 1.8e19 ? .max : UInt64(value)
}
