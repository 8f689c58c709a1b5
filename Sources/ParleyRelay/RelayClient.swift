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

/// Frames from the relay, handed to waiting requests in order.
final class ResponseQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [RelayFrame] = []
    private var waiters: [CheckedContinuation<RelayFrame, Error>] = []
    private var closed = false

    func push(_ frame: RelayFrame) {
        lock.lock()
        if waiters.isEmpty {
            frames.append(frame)
            lock.unlock()
        } else {
            let waiter = waiters.removeFirst()
            lock.unlock()
            waiter.resume(returning: frame)
        }
    }

    func close() {
        lock.lock()
        closed = true
        let pending = waiters
        waiters.removeAll()
        lock.unlock()
        for waiter in pending { waiter.resume(throwing: RelayError.connectionClosed) }
    }

    func next() async throws -> RelayFrame {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if !frames.isEmpty {
                let frame = frames.removeFirst()
                lock.unlock()
                continuation.resume(returning: frame)
            } else if closed {
                lock.unlock()
                continuation.resume(throwing: RelayError.connectionClosed)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}

final class RelayClientHandler: ChannelInboundHandler {
    typealias InboundIn = RelayFrame
    let queue: ResponseQueue
    init(queue: ResponseQueue) { self.queue = queue }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { queue.push(unwrapInboundIn(data)) }
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
public actor RelayClient {
    public let host: String
    public let port: Int
    private var channel: Channel
    private var queue: ResponseQueue
    /// The server's challenge on the current connection.
    public private(set) var challenge: [UInt8]
    private var claims: [MailboxID: RelayClaimKey] = [:]

    private init(host: String, port: Int, channel: Channel, queue: ResponseQueue, challenge: [UInt8]) {
        self.host = host
        self.port = port
        self.channel = channel
        self.queue = queue
        self.challenge = challenge
    }

    private static func open(host: String, port: Int) async throws -> (Channel, ResponseQueue, [UInt8]) {
        let queue = ResponseQueue()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(RelayFrameDecoder()))
                    try sync.addHandler(MessageToByteHandler(RelayFrameEncoder()))
                    try sync.addHandler(RelayClientHandler(queue: queue))
                }
            }
            .connect(host: host, port: port).get()
        let hello = try await queue.next()
        guard hello.type == RelayFrameType.hello.rawValue, hello.body.count == RelayFrame.challengeLength else {
            try? await channel.close()
            throw RelayError.unexpectedResponse(hello.type)
        }
        return (channel, queue, hello.body)
    }

    public static func connect(host: String, port: Int) async throws -> RelayClient {
        let (channel, queue, challenge) = try await open(host: host, port: port)
        return RelayClient(host: host, port: port, channel: channel, queue: queue, challenge: challenge)
    }

    /// Sends a frame and waits for its response; ERROR becomes `RelayError.refused`.
    public func request(_ frame: RelayFrame) async throws -> RelayFrame {
        try await channel.writeAndFlush(frame)
        let response = try await queue.next()
        if response.type == RelayFrameType.error.rawValue {
            throw RelayError.refused(String(decoding: response.body, as: UTF8.self))
        }
        return response
    }

    private func expectOK(_ frame: RelayFrame) async throws {
        let response = try await request(frame)
        guard response.type == RelayFrameType.ok.rawValue else { throw RelayError.unexpectedResponse(response.type) }
    }

    public func deposit(mailbox: MailboxID, envelope: [UInt8], ttl: UInt32 = 24 * 3600) async throws {
        var body = mailbox.bytes
        body.appendBE(ttl)
        body += envelope
        try await expectOK(RelayFrame(.deposit, body: body))
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
        let (channel, queue, challenge) = try await Self.open(host: host, port: port)
        self.channel = channel
        self.queue = queue
        self.challenge = challenge
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

    /// Waits for the next frame from the relay.
    public func nextFrame() async throws -> RelayFrame { try await queue.next() }

    public func close() async {
        try? await channel.close()
    }
}
