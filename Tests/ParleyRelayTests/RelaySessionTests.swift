import Foundation
import NIOCore
import NIOPosix
import ParleySecurity
import Testing

@testable import ParleyRelay

/// `RelaySession`: reconnect with backoff, re-claim, retry, exactly-once deposits.
@Suite struct RelaySessionTests {
    /// The relay restarts (same address, same --store): the session reconnects, proves its
    /// claim on the new challenge and fetches the same bytes; a request made while the
    /// relay is down waits for it to come back.
    @Test func relaySessionSurvivesRelayRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configure: (inout RelayServer.Configuration) -> Void = { $0.storeDirectory = directory.path }
        let (first, port) = try await startServer(configure)
        let session = RelaySession(host: "127.0.0.1", port: port, retry: quickRetry())
        let sender = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        let envelope = try SecureRandom.bytes(count: 500)
        try await sender.deposit(mailbox: mailbox, envelope: envelope)
        await sender.close()
        try await session.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        let before = try await session.fetch(mailbox: mailbox)
        #expect(before.map(\.bytes) == [envelope])

        await first.stop()
        let second = try await startServer(port: port, configure)
        let after = try await session.fetch(mailbox: mailbox)
        #expect(after == before)
        let reconnects = await session.reconnects
        #expect(reconnects >= 1, "the session reconnected to the restarted relay")
        try await session.ack(mailbox: mailbox, ids: after.map(\.id))
        #expect(second.storedCount(mailbox: mailbox) == 0)

        // Down while the request is made: it is retried until the relay is back.
        await second.stop()
        let pending = Task { try await session.deposit(mailbox: mailbox, envelope: [1, 2, 3]) }
        try await Task.sleep(for: .milliseconds(300))
        let third = try await startServer(port: port, configure)
        _ = try await pending.value
        #expect(try await session.fetch(mailbox: mailbox).map(\.bytes) == [[1, 2, 3]])
        #expect(await session.reconnects > reconnects, "and again after the second restart")
        await session.close()
        await third.stop()
    }

    /// The connection drops after the relay stored a deposit but before its OK arrived:
    /// the session retries with the same deposit id and the envelope is delivered once.
    /// (A plain deposit retried the same way is stored twice: the id is what prevents it.)
    @Test func relaySessionRetriedDepositDeliveredOnce() async throws {
        let recording = Recording()
        let (server, relayPort) = try await startServer { $0.recorder = recording.recorder }
        let proxy = LossyProxy(target: relayPort)
        let port = try await proxy.start()
        let session = RelaySession(host: "127.0.0.1", port: port, retry: quickRetry())
        try await session.connect()
        let mailbox = try MailboxID.random()

        proxy.dropNextAnswer()
        try await session.deposit(mailbox: mailbox, envelope: [7, 7, 7])
        #expect(proxy.dropped == 1)
        #expect(await session.reconnects == 1)
        #expect(recording.stored == [[7, 7, 7]])

        let owner = try await RelayClient.connect(host: "127.0.0.1", port: relayPort)
        try await owner.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        #expect(try await owner.fetch(mailbox: mailbox).map(\.bytes) == [[7, 7, 7]])

        // Control: without a deposit id, the same retry stores a duplicate.
        let plain = try await RelayClient.connect(host: "127.0.0.1", port: port)
        proxy.dropNextAnswer()
        await #expect(throws: RelayError.connectionClosed) { try await plain.deposit(mailbox: mailbox, envelope: [8]) }
        try await plain.reconnect()
        try await plain.deposit(mailbox: mailbox, envelope: [8])
        #expect(try await owner.fetch(mailbox: mailbox).map(\.bytes) == [[7, 7, 7], [8], [8]])

        await plain.close()
        await owner.close()
        await session.close()
        await proxy.stop()
        await server.stop()
    }

    /// Refusals are the relay's answer, not a lost connection: thrown at once, no retry.
    /// A relay that stays away: the session gives up after its attempts, saying so.
    @Test func relaySessionRefusalsNotRetriedAndGivesUp() async throws {
        let (server, port) = try await startServer { $0.maxEnvelopesPerMailbox = 1 }
        let session = RelaySession(host: "127.0.0.1", port: port, retry: quickRetry(attempts: 3))
        let mailbox = try MailboxID.random()
        try await session.deposit(mailbox: mailbox, envelope: [1])
        await #expect(throws: RelayError.refused("mailbox full")) { try await session.deposit(mailbox: mailbox, envelope: [2]) }
        await #expect(throws: RelayError.refused("mailbox claimed by another key")) {
            try await session.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
            try await session.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        }
        #expect(await session.reconnects == 0)

        await server.stop()
        await #expect {
            _ = try await session.fetch(mailbox: mailbox)
        } throws: { error in
            guard case RelayError.unreachable(let attempts, _) = error else { return false }
            return attempts == 3
        }
        await session.close()
        await #expect(throws: RelayError.connectionClosed) { _ = try await session.fetch(mailbox: mailbox) }
    }

    /// The relay closed the session's idle connection: the next request reconnects and
    /// succeeds instead of failing.
    @Test func relaySessionReconnectsAfterIdleTimeout() async throws {
        let clock = ManualClock()
        let (server, port) = try await startServer {
            $0.clock = { clock.read() }
            $0.idleTimeout = 60
            $0.idleCheckInterval = 0.01
        }
        let session = RelaySession(host: "127.0.0.1", port: port, retry: quickRetry())
        let mailbox = try MailboxID.random()
        try await session.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        clock.advance(61)
        #expect(await eventually { server.statistics().connections == 0 })
        try await session.deposit(mailbox: mailbox, envelope: [1])
        #expect(try await session.fetch(mailbox: mailbox).map(\.bytes) == [[1]])
        // At least the one reconnect. On a loaded 2-core machine this task can wait so long
        // for a thread that a response timeout adds a second one (seen once in CI: 2 after 92 s).
        #expect(await session.reconnects >= 1)
        await session.close()
        await server.stop()
    }

    /// Something listens but never speaks: connecting times out instead of hanging, and a
    /// session gives up within its deadline.
    @Test func relayClientTimesOutOnSilentServer() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(silent.localAddress?.port)
        await #expect(throws: RelayError.timedOut(seconds: 0.2)) {
            _ = try await RelayClient.connect(host: "127.0.0.1", port: port, connectTimeout: 0.2, responseTimeout: nil)
        }
        var retry = quickRetry(attempts: 2, deadline: 2)
        retry.responseTimeout = 0.2
        let session = RelaySession(host: "127.0.0.1", port: port, retry: retry)
        await #expect {
            try await session.connect()
        } throws: { error in
            guard case RelayError.unreachable(let attempts, let last) = error else { return false }
            // Two attempts fit in the deadline unless the machine is very busy.
            return (1...2).contains(attempts) && last.contains("did not answer within 0.2 s")
        }
        await session.close()
        try await silent.close()
    }
}
