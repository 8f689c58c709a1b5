import Foundation
import NIOCore
import NIOPosix
import ParleySecurity

/// An Ed25519 key pair that proves a mailbox claim; shareable across tasks.
public final class RelayClaimKey: @unchecked Sendable {
    private let keyPair: Ed25519.KeyPair
    public var publicKey: [UInt8] { keyPair.publicKey }
    public init(_ keyPair: Ed25519.KeyPair) { self.keyPair = keyPair }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        try Ed25519.sign(message: message, secretKey: keyPair.secretKey)
    }
}

/// Frames from the relay, matched to requests in order: the n-th frame received answers
/// the n-th ticket taken (a ticket is taken just before its request is written).
final class ResponseQueue: @unchecked Sendable {
    /// Frames nobody asked for yet, beyond which the relay is misbehaving.
    static let unclaimedLimit = 64

    private let lock = NSLock()
    private var frames: [Int: RelayFrame] = [:]
    private var waiters: [Int: CheckedContinuation<RelayFrame, Error>] = [:]
    private var received = 0
    private var issued = 0
    private var closed = false

    /// False if too many frames arrived that nobody asked for (the caller closes).
    func push(_ frame: RelayFrame) -> Bool {
        lock.lock()
        let index = received
        received += 1
        if let waiter = waiters.removeValue(forKey: index) {
            lock.unlock()
            waiter.resume(returning: frame)
            return true
        }
        frames[index] = frame
        let overflow = frames.count > Self.unclaimedLimit
        lock.unlock()
        return !overflow
    }

    func close() {
        lock.lock()
        closed = true
        let pending = waiters.values
        waiters.removeAll()
        lock.unlock()
        for waiter in pending { waiter.resume(throwing: RelayError.connectionClosed) }
    }

    var isClosed: Bool { lock.withLock { closed } }

    func ticket() -> Int {
        lock.withLock {
            defer { issued += 1 }
            return issued
        }
    }

    func wait(for ticket: Int) async throws -> RelayFrame {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let frame = frames.removeValue(forKey: ticket) {
                lock.unlock()
                continuation.resume(returning: frame)
            } else if closed {
                lock.unlock()
                continuation.resume(throwing: RelayError.connectionClosed)
            } else {
                waiters[ticket] = continuation
                lock.unlock()
            }
        }
    }

    func next() async throws -> RelayFrame { try await wait(for: ticket()) }
}

final class RelayClientHandler: ChannelInboundHandler {
    typealias InboundIn = RelayFrame
    let queue: ResponseQueue
    init(queue: ResponseQueue) { self.queue = queue }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !queue.push(unwrapInboundIn(data)) {
            queue.close()
            context.close(promise: nil)
        }
    }
    func channelInactive(context: ChannelHandlerContext) {
        queue.close()
        context.fireChannelInactive()
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        queue.close()
        context.close(promise: nil)
    }
}

/// A relay client: deposit into any mailbox; claim, fetch and acknowledge your own.
/// `reconnect()` opens a new connection and re-claims the same mailboxes (resume).
/// `RelaySession` adds automatic reconnection with backoff and retries on top.
///
/// Requests may be issued concurrently; responses are matched to them in order. Refusals
/// throw `RelayError.refused(reason)`; a lost connection throws `.connectionClosed`, and a
/// relay that does not answer within `responseTimeout` throws `.timedOut` (and the
/// connection is closed).
public actor RelayClient {
    public let host: String
    public let port: Int
    /// Seconds to wait for an answer before giving up on the connection; nil waits forever.
    public let responseTimeout: Double?
    private var channel: Channel
    private var queue: ResponseQueue
    private let connectTimeout: Double
    /// The server's challenge on the current connection.
    public private(set) var challenge: [UInt8]
    private var claims: [MailboxID: RelayClaimKey] = [:]

    private init(host: String, port: Int, connection: Connection, connectTimeout: Double, responseTimeout: Double?) {
        self.host = host
        self.port = port
        self.channel = connection.channel
        self.queue = connection.queue
        self.challenge = connection.challenge
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
    }

    private struct Connection: Sendable {
        var channel: Channel
        var queue: ResponseQueue
        var challenge: [UInt8]
    }

    private static func open(host: String, port: Int, connectTimeout: Double, responseTimeout: Double?) async throws -> Connection {
        let queue = ResponseQueue()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeAmount(seconds: connectTimeout, atLeast: 0.001))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(RelayFrameDecoder()))
                    try sync.addHandler(MessageToByteHandler(RelayFrameEncoder()))
                    try sync.addHandler(RelayClientHandler(queue: queue))
                }
            }
            .connect(host: host, port: port).get()
        let hello: RelayFrame
        do {
            // HELLO is part of connecting: bounded even without a response timeout.
            hello = try await within(responseTimeout ?? connectTimeout, channel: channel) { try await queue.next() }
        } catch {
            try? await channel.close()
            throw error
        }
        guard hello.type == RelayFrameType.hello.rawValue, hello.body.count == RelayFrame.challengeLength else {
            try? await channel.close()
            if hello.type == RelayFrameType.error.rawValue {
                // e.g. "relay busy": the relay has too many connections.
                throw RelayError.refused(String(decoding: hello.body, as: UTF8.self))
            }
            throw RelayError.unexpectedResponse(hello.type)
        }
        return Connection(channel: channel, queue: queue, challenge: hello.body)
    }

    /// Runs `body`; if it takes longer than `timeout` seconds, closes the channel (which
    /// fails the wait) and throws `.timedOut`.
    private static func within<T: Sendable>(
        _ timeout: Double?, channel: Channel, _ body: () async throws -> T
    ) async throws -> T {
        guard let timeout else { return try await body() }
        let fired = RelayFlag()
        let timer = channel.eventLoop.scheduleTask(in: timeAmount(seconds: timeout, atLeast: 0.001)) {
            fired.set()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            return try await body()
        } catch {
            if fired.isSet { throw RelayError.timedOut(seconds: timeout) }
            throw error
        }
    }

    public static func connect(host: String, port: Int) async throws -> RelayClient {
        try await connect(host: host, port: port, connectTimeout: 10, responseTimeout: nil)
    }

    /// Connects with a TCP connect timeout and an optional per-request answer timeout (seconds).
    public static func connect(host: String, port: Int, connectTimeout: Double, responseTimeout: Double?) async throws -> RelayClient {
        let connection = try await open(host: host, port: port, connectTimeout: connectTimeout, responseTimeout: responseTimeout)
        return RelayClient(host: host, port: port, connection: connection, connectTimeout: connectTimeout, responseTimeout: responseTimeout)
    }

    /// Sends a frame and waits for its response; ERROR becomes `RelayError.refused`.
    public func request(_ frame: RelayFrame) async throws -> RelayFrame {
        let channel = self.channel
        let queue = self.queue
        guard !queue.isClosed else { throw RelayError.connectionClosed }
        let ticket = queue.ticket()
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(frame, promise: written)
        let response = try await Self.within(responseTimeout, channel: channel) {
            do { try await written.futureResult.get() } catch {
                queue.close()
                throw RelayError.connectionClosed
            }
            return try await queue.wait(for: ticket)
        }
        if response.type == RelayFrameType.error.rawValue {
            throw RelayError.refused(String(decoding: response.body, as: UTF8.self))
        }
        return response
    }

    private func expectOK(_ frame: RelayFrame) async throws {
        let response = try await request(frame)
        guard response.type == RelayFrameType.ok.rawValue else { throw RelayError.unexpectedResponse(response.type) }
    }

    /// Deposits an envelope. With a `depositID` (DEPOSIT_ID), depositing the same id into
    /// the same mailbox again within the envelope's TTL is answered OK without storing it
    /// twice, so the call may be retried safely after a lost connection.
    public func deposit(mailbox: MailboxID, envelope: [UInt8], ttl: UInt32 = 24 * 3600, depositID: UInt64? = nil) async throws {
        var body = mailbox.bytes
        body.appendBE(ttl)
        if let depositID { body.appendBE(depositID) }
        body += envelope
        try await expectOK(RelayFrame(depositID == nil ? .deposit : .depositWithID, body: body))
    }

    public func claim(mailbox: MailboxID, key: RelayClaimKey) async throws {
        let signature = try key.sign(RelayFrame.claimMessage(challenge: challenge, mailbox: mailbox))
        try await expectOK(RelayFrame(.claim, body: mailbox.bytes + key.publicKey + signature))
        claims[mailbox] = key
    }
    public nonisolated func claim(mailbox: MailboxID, keyPair: Ed25519.KeyPair) async throws {
        try await claim(mailbox: mailbox, key: RelayClaimKey(keyPair))
    }

    /// Envelopes held for a claimed mailbox (one frame's worth; ack and fetch again for more).
    public func fetch(mailbox: MailboxID) async throws -> [RelayEnvelope] {
        let response = try await request(RelayFrame(.fetch, body: mailbox.bytes))
        guard response.type == RelayFrameType.envelopes.rawValue else { throw RelayError.unexpectedResponse(response.type) }
        var reader = BodyReader(response.body)
        guard reader.u8() != nil, let count = reader.u16() else { throw RelayError.malformed("envelopes") }
        var result: [RelayEnvelope] = []
        for _ in 0..<count {
            guard let id = reader.u64(), let length = reader.u32(), let bytes = reader.take(Int(length)) else {
                throw RelayError.malformed("envelopes")
            }
            result.append(RelayEnvelope(id: id, bytes: bytes))
        }
        return result
    }

    /// Deletes delivered envelopes.
    public func ack(mailbox: MailboxID, ids: [UInt64]) async throws {
        guard ids.count <= 4096 else { throw RelayError.malformed("ack (more than 4096 ids)") }
        var body = mailbox.bytes
        body.appendBE(UInt16(ids.count))
        for id in ids { body.appendBE(id) }
        try await expectOK(RelayFrame(.ack, body: body))
    }

    /// Opens a new connection and proves the same claims on its new challenge.
    public func reconnect() async throws {
        try? await channel.close()
        let connection = try await Self.open(host: host, port: port, connectTimeout: connectTimeout, responseTimeout: responseTimeout)
        self.channel = connection.channel
        self.queue = connection.queue
        self.challenge = connection.challenge
        for (mailbox, key) in claims {
            try await claim(mailbox: mailbox, key: key)
        }
    }

    /// Sends raw bytes (for tests of the server's handling of garbage).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(
                    handlerType: MessageToByteHandler<RelayFrameEncoder>.self)
                return context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)))
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// Waits for the next frame from the relay (at most `responseTimeout`).
    public func nextFrame() async throws -> RelayFrame {
        let queue = self.queue
        return try await Self.within(responseTimeout, channel: channel) { try await queue.next() }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// A flag set once, read from any thread.
final class RelayFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
