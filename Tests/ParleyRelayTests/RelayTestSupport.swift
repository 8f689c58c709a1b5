import Foundation
import NIOCore
import NIOPosix
import ParleySecurity
import Testing

@testable import ParleyRelay

/// Log lines the relay wrote, for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(RelayLogLevel, String)] = []
    var all: [(RelayLogLevel, String)] { lock.withLock { entries } }
    var messages: [String] { all.map(\.1) }
    var log: @Sendable (RelayLogLevel, String) -> Void {
        { level, message in self.lock.withLock { self.entries.append((level, message)) } }
    }
    func contains(_ text: String, level: RelayLogLevel? = nil) -> Bool {
        all.contains { (level == nil || $0.0 == level) && $0.1.contains(text) }
    }
}

/// A fresh directory under the temporary directory; removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init(_ name: String = "relay-store") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-\(name)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// The files of one mailbox's directory (names), sorted.
    func files(of mailbox: MailboxID) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(mailbox)")) ?? []).sorted()
    }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func eventually(timeout: Double = 2, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// A server on 127.0.0.1 at a given port (for restarts on the same address).
func startServer(port: Int, _ configure: (inout RelayServer.Configuration) -> Void) async throws -> RelayServer {
    var config = RelayServer.Configuration()
    configure(&config)
    let server = RelayServer(configuration: config)
    _ = try await server.start(host: "127.0.0.1", port: port)
    return server
}

/// Retries that suit tests: quick backoff, bounded to a few seconds.
/// Quick backoff, generous timeouts: the whole test suite runs in parallel on two cores,
/// where an answer can take seconds; a timeout here must mean "never", not "slow".
func quickRetry(attempts: Int = 40, deadline: Double = 30) -> RelaySession.Retry {
    var retry = RelaySession.Retry()
    retry.attempts = attempts
    retry.initialDelay = 0.02
    retry.maxDelay = 0.2
    retry.deadline = deadline
    retry.connectTimeout = 10
    retry.responseTimeout = 10
    return retry
}

/// A TCP proxy in front of the relay that can lose one answer: when armed, the next bytes
/// from the relay are swallowed and both sides closed (the request landed, its answer did
/// not: a network blip at the worst moment).
final class LossyProxy: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = false
    private var droppedCount = 0
    private var channel: Channel?
    let target: Int

    init(target: Int) { self.target = target }

    var dropped: Int { lock.withLock { droppedCount } }

    /// Loses the relay's next answer on any connection.
    func dropNextAnswer() { lock.withLock { armed = true } }

    fileprivate func shouldDrop() -> Bool {
        lock.withLock {
            guard armed else { return false }
            armed = false
            droppedCount += 1
            return true
        }
    }

    func start() async throws -> Int {
        let target = self.target
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] child in
                ClientBootstrap(group: child.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(ForwardHandler(
                                onData: { [self] buffer in
                                    if shouldDrop() {
                                        outbound.close(promise: nil)
                                        child.close(promise: nil)
                                    } else {
                                        child.writeAndFlush(buffer, promise: nil)
                                    }
                                },
                                onClose: { child.close(promise: nil) }))
                        }
                    }
                    .connect(host: "127.0.0.1", port: target)
                    .flatMapThrowing { outbound in
                        try child.pipeline.syncOperations.addHandler(ForwardHandler(
                            onData: { outbound.writeAndFlush($0, promise: nil) },
                            onClose: { outbound.close(promise: nil) }))
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        lock.withLock { self.channel = channel }
        return channel.localAddress?.port ?? 0
    }

    func stop() async {
        try? await lock.withLock { channel }?.close()
    }
}

private final class ForwardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let onData: @Sendable (ByteBuffer) -> Void
    let onClose: @Sendable () -> Void
    init(onData: @escaping @Sendable (ByteBuffer) -> Void, onClose: @escaping @Sendable () -> Void) {
        self.onData = onData
        self.onClose = onClose
    }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { onData(unwrapInboundIn(data)) }
    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
