import NIOCore
import ParleySecurity

/// One client connection: challenge, claims, rate limit, idle timeout, requests.
///
/// Requests are answered strictly in order. A request that waits for the disk (a deposit,
/// claim or ack with a durable store) holds the ones behind it, and the socket stops being
/// read while more than a few are queued.
final class RelayConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = RelayFrame
    typealias OutboundOut = RelayFrame

    /// Queued requests beyond which the connection stops reading until they are answered.
    static let backlogLimit = 16

    let store: MailboxStore
    let configuration: RelayServer.Configuration
    private var challenge: [UInt8] = []
    private var claimed: Set<MailboxID> = []
    private var tokens: Double
    private var lastRefill: Double
    private var lastFrame: Double
    private var busy = false
    private var backlog: CircularBuffer<RelayFrame> = []
    private var readingPaused = false
    private var idleCheck: Scheduled<Void>?
    private var peer = "unknown peer"
    private var closing = false

    init(store: MailboxStore, configuration: RelayServer.Configuration) {
        self.store = store
        self.configuration = configuration
        self.tokens = configuration.depositBurst
        let now = configuration.clock()
        self.lastRefill = now
        self.lastFrame = now
    }

    private func log(_ level: RelayLogLevel, _ message: String) { configuration.log?(level, message) }

    func channelActive(context: ChannelHandlerContext) {
        peer = peerName(context)
        guard let challenge = try? SecureRandom.bytes(count: RelayFrame.challengeLength) else {
            log(.error, "closed \(peer): no randomness for the challenge")
            context.close(promise: nil)
            return
        }
        log(.debug, "connection from \(peer)")
        self.challenge = challenge
        lastFrame = configuration.clock()
        context.writeAndFlush(wrapOutboundOut(RelayFrame(.hello, body: challenge)), promise: nil)
        scheduleIdleCheck(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        backlog.removeAll()
        log(.debug, "connection from \(peer) closed")
        context.fireChannelInactive()
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext) {
        let interval = timeAmount(seconds: configuration.idleCheckInterval, atLeast: 0.005)
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            guard context.channel.isActive, !closing else { return }
            if !busy, configuration.clock() - lastFrame >= configuration.idleTimeout {
                fail(context, "idle timeout")
            } else {
                scheduleIdleCheck(context)
            }
        }
    }

    private func reply(_ context: ChannelHandlerContext, _ request: String, error reason: String? = nil) {
        if let reason {
            log(.info, "refused \(request) from \(peer): \(reason)")
            context.writeAndFlush(wrapOutboundOut(RelayFrame(.error, body: Array(reason.utf8))), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(RelayFrame(.ok)), promise: nil)
        }
    }

    /// Answers ERROR and closes: for garbage, protocol violations and idle connections.
    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        guard !closing else { return }
        closing = true
        backlog.removeAll()
        log(.info, "closed \(peer): \(reason)")
        // The channel (Sendable) closes itself once the error frame is out.
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(RelayFrame(.error, body: Array(reason.utf8)))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else { return }
        lastFrame = configuration.clock()
        if busy {
            backlog.append(frame)
            if backlog.count >= Self.backlogLimit, !readingPaused {
                readingPaused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
            }
            return
        }
        handle(frame, context: context)
    }

    /// Waits for `future`, answers with its reason, then serves queued requests.
    private func answer(_ future: EventLoopFuture<String?>, _ request: String, context: ChannelHandlerContext,
                        then: @escaping (String?) -> Void = { _ in }) {
        busy = true
        future.hop(to: context.eventLoop).assumeIsolated().whenComplete { [self] result in
            busy = false
            let reason: String?
            switch result {
            case .success(let value): reason = value
            case .failure: reason = "store write failed"
            }
            then(reason)
            if !closing { reply(context, request, error: reason) }
            drain(context)
        }
    }

    private func drain(_ context: ChannelHandlerContext) {
        while !busy, !closing, let next = backlog.popFirst() {
            handle(next, context: context)
        }
        if backlog.isEmpty, readingPaused, !closing {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    private func handle(_ frame: RelayFrame, context: ChannelHandlerContext) {
        var reader = BodyReader(frame.body)
        switch RelayFrameType(rawValue: frame.type) {
        case .deposit, .depositWithID:
            let withID = frame.type == RelayFrameType.depositWithID.rawValue
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)), let ttl = reader.u32() else {
                return fail(context, "truncated deposit")
            }
            var depositID: UInt64?
            if withID {
                guard let value = reader.u64() else { return fail(context, "truncated deposit") }
                depositID = value
            }
            let envelope = reader.rest()
            let request = "deposit into \(short(id))"
            guard envelope.count <= configuration.maxEnvelopeBytes else {
                return reply(context, request, error: "envelope too large")
            }
            guard takeToken() else { return reply(context, request, error: "rate limited") }
            answer(store.deposit(mailbox: id, envelope: envelope, ttl: ttl, depositID: depositID, on: context.eventLoop), request, context: context)
        case .claim:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)),
                  let key = reader.take(Ed25519.publicKeyLength),
                  let signature = reader.take(Ed25519.signatureLength), reader.remaining == 0
            else { return fail(context, "truncated claim") }
            let request = "claim of \(short(id))"
            let message = RelayFrame.claimMessage(challenge: challenge, mailbox: id)
            guard Ed25519.verify(signature: signature, message: message, publicKey: key) else {
                return reply(context, request, error: "bad claim signature")
            }
            answer(store.claim(mailbox: id, publicKey: key, on: context.eventLoop), request, context: context) { [self] reason in
                if reason == nil { claimed.insert(id) }
            }
        case .fetch:
            guard let id = reader.take(MailboxID.length).flatMap(MailboxID.init(bytes:)), reader.remaining == 0 else {
                return fail(context, "truncated fetch")
            }
            guard claimed.contains(id) else {
                return reply(context, "fetch from \(short(id))", error: "mailbox not claimed on this connection")
            }
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
            let request = "ack in \(short(id))"
            guard claimed.contains(id) else { return reply(context, request, error: "mailbox not claimed on this connection") }
            answer(store.ack(mailbox: id, ids: ids, on: context.eventLoop).map { _ -> String? in nil }, request, context: context)
        default:
            fail(context, "unknown message type \(frame.type)")
        }
    }

    /// A mailbox id's first 4 bytes, for log lines.
    private func short(_ id: MailboxID) -> String { String(id.description.prefix(8)) }

    private func takeToken() -> Bool {
        let now = configuration.clock()
        tokens = min(configuration.depositBurst, tokens + max(0, now - lastRefill) * configuration.depositsPerSecond)
        lastRefill = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let relayError = error as? RelayError {
            fail(context, relayError.description)
        } else {
            log(.debug, "closed \(peer): \(error)")
            context.close(promise: nil)
        }
    }
}
