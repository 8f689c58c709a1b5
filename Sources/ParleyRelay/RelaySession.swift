import ParleySecurity

/// A relay client that survives a dropped connection (relay restarted, network blip).
///
/// Every request runs on the current connection; if the connection is lost (closed, reset,
/// refused, silent for `responseTimeout`, or the relay said "relay busy" or "idle
/// timeout"), the session reconnects with exponential backoff and jitter, claims again
/// every mailbox it had claimed (a new challenge, so a new signature), and retries the
/// request — up to `Retry.attempts` tries and `Retry.deadline` seconds per request, then
/// throws `RelayError.unreachable`. Other refusals ("mailbox full", "rate limited", …) are
/// thrown at once as `RelayError.refused`.
///
/// Retrying is safe: a deposit carries a random deposit id chosen once per call (DEPOSIT_ID),
/// so if the first try was stored but its OK lost, the retry is answered OK without storing
/// it twice; claims and fetches change nothing, and acknowledging an envelope twice is a
/// no-op (envelope ids are never reused, even across a relay restart).
public actor RelaySession {
    public struct Retry: Sendable {
        /// Tries per request, the first one included.
        public var attempts = 8
        /// Wait before the first retry, in seconds; doubled each time (with jitter) up to `maxDelay`.
        public var initialDelay = 0.1
        public var maxDelay = 2.0
        /// Seconds a request may spend, retries included.
        public var deadline = 30.0
        public var connectTimeout = 5.0
        public var responseTimeout = 10.0
        public init() {}
    }

    public nonisolated let host: String
    public nonisolated let port: Int
    public nonisolated let retry: Retry
    private var client: RelayClient?
    private var connecting: Task<RelayClient, Error>?
    private var claims: [MailboxID: RelayClaimKey] = [:]
    private var claimOrder: [MailboxID] = []
    private var everConnected = false
    private var closed = false
    /// Connections opened after the first one.
    public private(set) var reconnects = 0

    public init(host: String, port: Int, retry: Retry = Retry()) {
        self.host = host
        self.port = port
        self.retry = retry
    }

    /// Connects now (otherwise the first request does).
    public func connect() async throws {
        _ = try await perform { _ in }
    }

    /// Deposits an envelope exactly once, however many times it has to be retried.
    /// Returns the deposit id used.
    @discardableResult
    public func deposit(mailbox: MailboxID, envelope: [UInt8], ttl: UInt32 = 24 * 3600) async throws -> UInt64 {
        let depositID = try SecureRandom.bytes(count: 8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        try await perform { client in
            try await client.deposit(mailbox: mailbox, envelope: envelope, ttl: ttl, depositID: depositID)
        }
        return depositID
    }

    /// Claims a mailbox, now and again after every reconnection.
    public func claim(mailbox: MailboxID, key: RelayClaimKey) async throws {
        try await perform { client in try await client.claim(mailbox: mailbox, key: key) }
        if claims.updateValue(key, forKey: mailbox) == nil { claimOrder.append(mailbox) }
    }

    public func claim(mailbox: MailboxID, keyPair: Ed25519.KeyPair) async throws {
        try await claim(mailbox: mailbox, key: RelayClaimKey(keyPair))
    }

    /// Envelopes held for a claimed mailbox (one frame's worth; ack and fetch again for more).
    public func fetch(mailbox: MailboxID) async throws -> [RelayEnvelope] {
        try await perform { client in try await client.fetch(mailbox: mailbox) }
    }

    /// Deletes delivered envelopes.
    public func ack(mailbox: MailboxID, ids: [UInt64]) async throws {
        try await perform { client in try await client.ack(mailbox: mailbox, ids: ids) }
    }

    /// Closes the connection; later requests throw `.connectionClosed`.
    public func close() async {
        closed = true
        connecting?.cancel()
        connecting = nil
        let current = client
        client = nil
        await current?.close()
    }

    /// Whether an error means "the connection is gone" (retry) rather than "the relay said no".
    static func isConnectionFailure(_ error: Error) -> Bool {
        switch error {
        case RelayError.connectionClosed, RelayError.timedOut: return true
        case RelayError.refused(let reason): return reason == "relay busy" || reason == "idle timeout"
        case is RelayError: return false
        case is CancellationError: return false
        default: return true  // socket errors: connection refused, reset, unreachable, …
        }
    }

    private func perform<T: Sendable>(_ operation: (RelayClient) async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            guard !closed else { throw RelayError.connectionClosed }
            attempt += 1
            var used: RelayClient?
            do {
                let client = try await connected()
                used = client
                return try await operation(client)
            } catch {
                guard Self.isConnectionFailure(error) else { throw error }
                await drop(used)
                let delay = min(retry.maxDelay, retry.initialDelay * Double(1 << min(attempt - 1, 20)))
                    * Double.random(in: 0.5...1)
                let elapsed = start.duration(to: clock.now)
                let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                guard attempt < retry.attempts, elapsedSeconds + delay < retry.deadline else {
                    throw RelayError.unreachable(attempts: attempt, lastError: Self.plainReason(error))
                }
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// A short reason for a connection failure: NIO's connection errors name every
    /// address tried; people need "connection refused".
    static func plainReason(_ error: Error) -> String {
        let text = "\(error)"
        for (needle, plain) in [("Connection refused", "connection refused"), ("No route to host", "no route to host"),
                                ("Network is unreachable", "network unreachable"), ("timed out", "timed out"),
                                ("Connection reset", "connection reset")]
        where text.contains(needle) {
            return plain
        }
        return text
    }

    /// The current connection, or a new one with every claim proven again.
    private func connected() async throws -> RelayClient {
        if let client { return client }
        if let connecting { return try await connecting.value }
        let host = self.host, port = self.port, retry = self.retry
        let claims = claimOrder.compactMap { mailbox in self.claims[mailbox].map { (mailbox, $0) } }
        let task = Task<RelayClient, Error> {
            let client = try await RelayClient.connect(
                host: host, port: port, connectTimeout: retry.connectTimeout, responseTimeout: retry.responseTimeout)
            do {
                for (mailbox, key) in claims { try await client.claim(mailbox: mailbox, key: key) }
            } catch {
                await client.close()
                throw error
            }
            return client
        }
        connecting = task
        defer { connecting = nil }
        let client = try await task.value
        if closed {
            await client.close()
            throw RelayError.connectionClosed
        }
        if everConnected { reconnects += 1 }
        everConnected = true
        self.client = client
        return client
    }

    private func drop(_ failed: RelayClient?) async {
        guard let failed else { return }
        if client === failed { client = nil }
        await failed.close()
    }
}
