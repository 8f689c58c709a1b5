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

/// The signaling relay: stores and forwards sealed envelopes between random mailbox ids.
public final class RelayServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var maxEnvelopeBytes = RelayFrame.maxEnvelopeLength
        public var maxEnvelopesPerMailbox = 256
        public var maxBytesPerMailbox = 4 * 1024 * 1024
        public var maxMailboxes = 100_000
        public var maxTTL: UInt32 = 7 * 24 * 3600
        /// Token bucket per connection: deposits per second, and burst.
        public var depositsPerSecond: Double = 50
        public var depositBurst: Double = 50
        /// Seconds, monotonic; replaceable in tests.
        public var clock: @Sendable () -> Double = {
            Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        }
        public var recorder: RelayRecorder?
        public init() {}
    }

    let configuration: Configuration
    let store: MailboxStore
    private let lock = NSLock()
    private var serverChannel: Channel?
    private var connections: [ObjectIdentifier: Channel] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.store = MailboxStore(configuration: configuration)
    }

    /// Starts listening; returns the bound port (pass 0 for any free port).
    public func start(host: String, port: Int) async throws -> Int {
        let configuration = self.configuration
        let store = self.store
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [weak self] child in
                self?.track(child)
                return child.eventLoop.makeCompletedFuture {
                    let sync = child.pipeline.syncOperations
                    if let recorder = configuration.recorder {
                        try sync.addHandler(RecordingHandler(recorder: recorder))
                    }
                    try sync.addHandler(ByteToMessageHandler(RelayFrameDecoder()))
                    try sync.addHandler(MessageToByteHandler(RelayFrameEncoder()))
                    try sync.addHandler(RelayConnectionHandler(store: store, configuration: configuration))
                }
            }
            .bind(host: host, port: port).get()
        lock.withLock { serverChannel = channel }
        return channel.localAddress?.port ?? port
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock { connections[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.lock.withLock { _ = self?.connections.removeValue(forKey: id) }
        }
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        let (server, children) = lock.withLock { (serverChannel, Array(connections.values)) }
        try? await server?.close()
        for child in children { try? await child.close() }
        lock.withLock { serverChannel = nil }
    }

    /// Envelopes currently held for a mailbox (expired ones dropped); for tests.
    public func storedCount(mailbox: MailboxID) -> Int { store.count(mailbox: mailbox) }
}

/// Mailboxes, behind a lock; every operation is short.
final class MailboxStore: @unchecked Sendable {
    struct Stored {
        var id: UInt64
        var bytes: [UInt8]
        var expiry: Double
    }
    struct Mailbox {
        var owner: [UInt8]?
        var envelopes: [Stored] = []
        var bytes = 0
    }

    private let lock = NSLock()
    private var mailboxes: [MailboxID: Mailbox] = [:]
    private var nextID: UInt64 = 1
    private let configuration: Configuration
    typealias Configuration = RelayServer.Configuration

    init(configuration: Configuration) { self.configuration = configuration }

    private func expire(_ box: inout Mailbox, now: Double) {
        box.envelopes.removeAll { $0.expiry <= now }
        box.bytes = box.envelopes.reduce(0) { $0 + $1.bytes.count }
    }

    /// Nil on success, or the reason for refusing.
    func deposit(mailbox: MailboxID, envelope: [UInt8], ttl: UInt32) -> String? {
        guard envelope.count <= configuration.maxEnvelopeBytes else { return "envelope too large" }
        guard ttl > 0 else { return "ttl must be positive" }
        let now = configuration.clock()
        let ttl = min(ttl, configuration.maxTTL)
        return lock.withLock {
            if mailboxes[mailbox] == nil, mailboxes.count >= configuration.maxMailboxes { return "relay full" }
            var box = mailboxes[mailbox] ?? Mailbox()
            expire(&box, now: now)
            guard box.envelopes.count < configuration.maxEnvelopesPerMailbox else { return "mailbox full" }
            guard box.bytes + envelope.count <= configuration.maxBytesPerMailbox else { return "mailbox full" }
            box.envelopes.append(Stored(id: nextID, bytes: envelope, expiry: now + Double(ttl)))
            box.bytes += envelope.count
            nextID += 1
            mailboxes[mailbox] = box
            configuration.recorder?.stored(mailbox, envelope)
            return nil
        }
    }

    /// Binds on first claim; nil on success.
    func claim(mailbox: MailboxID, publicKey: [UInt8]) -> String? {
        lock.withLock {
            var box = mailboxes[mailbox] ?? Mailbox()
            if let owner = box.owner, owner != publicKey { return "mailbox claimed by another key" }
            if mailboxes[mailbox] == nil, mailboxes.count >= configuration.maxMailboxes { return "relay full" }
            box.owner = publicKey
            mailboxes[mailbox] = box
            return nil
        }
    }

    /// Envelopes fitting one frame, and whether more remain.
    func fetch(mailbox: MailboxID, budget: Int) -> ([RelayEnvelope], Bool) {
        let now = configuration.clock()
        return lock.withLock {
            guard var box = mailboxes[mailbox] else { return ([], false) }
            expire(&box, now: now)
            mailboxes[mailbox] = box
            var result: [RelayEnvelope] = []
            var used = 0
            for stored in box.envelopes {
                let size = 12 + stored.bytes.count
                if used + size > budget { return (result, true) }
                used += size
                result.append(RelayEnvelope(id: stored.id, bytes: stored.bytes))
            }
            return (result, false)
        }
    }

    func ack(mailbox: MailboxID, ids: Set<UInt64>) {
        lock.withLock {
            guard var box = mailboxes[mailbox] else { return }
            box.envelopes.removeAll { ids.contains($0.id) }
            box.bytes = box.envelopes.reduce(0) { $0 + $1.bytes.count }
            mailboxes[mailbox] = box
        }
    }

    func count(mailbox: MailboxID) -> Int {
        let now = configuration.clock()
        return lock.withLock { mailboxes[mailbox]?.envelopes.filter { $0.expiry > now }.count ?? 0 }
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

/// One client connection: challenge, claims, rate limit, requests.
final class RelayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RelayFrame
    typealias OutboundOut = RelayFrame

    let store: MailboxStore
    let configuration: RelayServer.Configuration
    private var challenge: [UInt8] = []
    private var claimed: Set<MailboxID> = []
    private var tokens: Double
    private var lastRefill: Double

    init(store: MailboxStore, configuration: RelayServer.Configuration) {
        self.store = store
        self.configuration = configuration
        self.tokens = configuration.depositBurst
        self.lastRefill = configuration.clock()
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let challenge = try? SecureRandom.bytes(count: RelayFrame.challengeLength) else {
            context.close(promise: nil)
            return
        }
        self.challenge = challenge
        context.writeAndFlush(wrapOutboundOut(RelayFrame(.hello, body: challenge)), promise: nil)
        context.fireChannelActive()
    }

    private func reply(_ context: ChannelHandlerContext, error reason: String? = nil) {
        if let reason {
            context.writeAndFlush(wrapOutboundOut(RelayFrame(.error, body: Array(reason.utf8))), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(RelayFrame(.ok)), promise: nil)
        }
    }

    /// Answers ERROR and closes: for garbage and protocol violations.
    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        // The channel (Sendable) closes itself once the error frame is out.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(RelayFrame(.error, body: Array(reason.utf8)))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var reader = BodyReader(frame.body)
        switch RelayFrameType(rawValue: frame.type) {
        case .deposit:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)), let ttl = reader.u32() else {
                return fail(context, "truncated deposit")
            }
            let envelope = reader.rest()
            guard envelope.count <= configuration.maxEnvelopeBytes else { return reply(context, error: "envelope too large") }
            guard takeToken() else { return reply(context, error: "rate limited") }
            reply(context, error: store.deposit(mailbox: id, envelope: envelope, ttl: ttl))
        case .claim:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)),
                  let key = reader.take(Ed25519.publicKeyLength),
                  let signature = reader.take(Ed25519.signatureLength), reader.remaining == 0
            else { return fail(context, "truncated claim") }
            let message = RelayFrame.claimMessage(challenge: challenge, mailbox: id)
            guard Ed25519.verify(signature: signature, message: message, publicKey: key) else {
                return reply(context, error: "bad claim signature")
            }
            if let reason = store.claim(mailbox: id, publicKey: key) { return reply(context, error: reason) }
            claimed.insert(id)
            reply(context)
        case .fetch:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)), reader.remaining == 0 else {
                return fail(context, "truncated fetch")
            }
            guard claimed.contains(id) else { return reply(context, error: "mailbox not claimed on this connection") }
            let (envelopes, more) = store.fetch(mailbox: id, budget: RelayFrame.maxLength - 4)
            var body: [UInt8] = [more ? 1 : 0]
            body.appendBE(UInt16(envelopes.count))
            for envelope in envelopes {
                body.appendBE(envelope.id)
                body.appendBE(UInt32(envelope.bytes.count))
                body += envelope.bytes
            }
            context.writeAndFlush(wrapOutboundOut(RelayFrame(.envelopes, body: body)), promise: nil)
        case .ack:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)), let count = reader.u16() else {
                return fail(context, "truncated ack")
            }
            var ids = Set<UInt64>()
            for _ in 0..<count {
                guard let value = reader.u64() else { return fail(context, "truncated ack") }
                ids.insert(value)
            }
            guard claimed.contains(id) else { return reply(context, error: "mailbox not claimed on this connection") }
            store.ack(mailbox: id, ids: ids)
            reply(context)
        default:
            fail(context, "unknown message type \(frame.type)")
        }
    }

    private func takeToken() -> Bool {
        let now = configuration.clock()
        tokens = min(configuration.depositBurst, tokens + (now - lastRefill) * configuration.depositsPerSecond)
        lastRefill = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let relayError = error as? RelayError {
            fail(context, relayError.description)
        } else {
            context.close(promise: nil)
        }
    }
}
