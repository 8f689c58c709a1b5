import Foundation
import ParleySecurity
import Testing

@testable import ParleyRelay

/// Relay-wide limits, timeouts, sweeping, floods and bad input.
@Suite struct RelayLimitsTests {
    /// Room for two 400-byte envelopes relay-wide: the third is refused "relay full", and
    /// nothing of it is kept in memory or on disk; acknowledging one makes room again.
    @Test func relayGlobalByteCapRefusesRelayFullStoresNothingPartial() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let recording = Recording()
        let cap = 2 * (400 + RelayServer.envelopeOverhead)
        let (server, port) = try await startServer {
            $0.maxTotalBytes = cap
            $0.recorder = recording.recorder
            $0.storeDirectory = directory.path
        }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (a, b, c) = (try MailboxID.random(), try MailboxID.random(), try MailboxID.random())
        try await client.deposit(mailbox: a, envelope: [UInt8](repeating: 1, count: 400))
        try await client.deposit(mailbox: b, envelope: [UInt8](repeating: 2, count: 400))
        #expect(await refusal { try await client.deposit(mailbox: c, envelope: [UInt8](repeating: 3, count: 400)) } == "relay full")
        #expect(await refusal { try await client.deposit(mailbox: c, envelope: [3]) } == "relay full")
        // A refused deposit leaves nothing: not in memory, not on disk, never reported stored.
        #expect(server.storedCount(mailbox: c) == 0)
        let stats = server.statistics()
        #expect(stats.envelopes == 2 && stats.mailboxes == 2 && stats.chargedBytes == cap && stats.envelopeBytes == 800)
        #expect(recording.stored.count == 2)
        await server.store.flush()
        #expect(!FileManager.default.fileExists(atPath: "\(directory.path)/\(c)"))
        #expect(directory.files(of: a).count == 1 && directory.files(of: a)[0].hasSuffix(".env"))

        // Draining one mailbox frees its room.
        try await client.claim(mailbox: a, keyPair: try Ed25519.generateKeyPair())
        let held = try await client.fetch(mailbox: a)
        try await client.ack(mailbox: a, ids: held.map(\.id))
        try await client.deposit(mailbox: c, envelope: [UInt8](repeating: 3, count: 400))
        #expect(server.storedCount(mailbox: c) == 1)
        await client.close()
        await server.stop()
    }

    /// Beyond `maxConnections` a client is told "relay busy" instead of HELLO; a slot
    /// freed by a closed connection is usable again.
    @Test func relayConnectionCapRefusesRelayBusy() async throws {
        let logs = LogLines()
        let (server, port) = try await startServer {
            $0.maxConnections = 2
            $0.log = logs.log
        }
        let first = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let second = try await RelayClient.connect(host: "127.0.0.1", port: port)
        #expect(await refusal { _ = try await RelayClient.connect(host: "127.0.0.1", port: port) } == "relay busy")
        #expect(server.statistics().connections == 2)
        #expect(logs.contains("relay busy", level: .info))
        // The admitted ones still work.
        try await second.deposit(mailbox: try MailboxID.random(), envelope: [1])

        await first.close()
        #expect(await eventually { server.statistics().connections == 1 })
        let third = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await third.deposit(mailbox: try MailboxID.random(), envelope: [2])
        await second.close()
        await third.close()
        await server.stop()
    }

    /// A connection silent for `idleTimeout` (by the relay's clock) gets ERROR "idle
    /// timeout" and is closed; a connection that spoke recently stays open.
    @Test func relayIdleTimeoutClosesSilentConnection() async throws {
        let clock = ManualClock()
        let (server, port) = try await startServer {
            $0.clock = { clock.read() }
            $0.idleTimeout = 120
            $0.idleCheckInterval = 0.01
        }
        let silent = try await RelayClient.connect(host: "127.0.0.1", port: port, connectTimeout: 2, responseTimeout: 2)
        let chatty = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        clock.advance(100)
        try await chatty.deposit(mailbox: mailbox, envelope: [1])
        // Still within the timeout for both: nothing happens.
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.statistics().connections == 2)
        clock.advance(30)  // silent: 130 s; chatty: 30 s
        let frame = try await silent.nextFrame()
        #expect(frame.type == RelayFrameType.error.rawValue)
        #expect(String(decoding: frame.body, as: UTF8.self) == "idle timeout")
        await #expect(throws: RelayError.connectionClosed) { try await silent.nextFrame() }
        #expect(await eventually { server.statistics().connections == 1 })
        try await chatty.deposit(mailbox: mailbox, envelope: [2])
        #expect(server.storedCount(mailbox: mailbox) == 2)
        // A request on the closed connection fails as a lost connection, not a hang.
        await #expect(throws: RelayError.connectionClosed) { try await silent.deposit(mailbox: mailbox, envelope: [3]) }
        await silent.close()
        await chatty.close()
        await server.stop()
    }

    /// Expired envelopes are swept periodically, with no request touching their mailbox:
    /// memory, the relay-wide byte count and the files on disk all drop them.
    @Test func relayTTLExpirySweptPeriodically() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let (server, port) = try await startServer {
            $0.clock = { clock.read() }
            $0.sweepInterval = 0.02
            $0.storeDirectory = directory.path
        }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (short, long) = (try MailboxID.random(), try MailboxID.random())
        for index in 0..<3 { try await client.deposit(mailbox: short, envelope: [UInt8](repeating: UInt8(index), count: 100), ttl: 10) }
        try await client.deposit(mailbox: long, envelope: [UInt8](repeating: 9, count: 100), ttl: 1000)
        #expect(server.statistics().envelopes == 4)
        await server.store.flush()
        #expect(directory.files(of: short).count == 3)

        clock.advance(11)
        #expect(await eventually { server.statistics().envelopes == 1 })
        let stats = server.statistics()
        #expect(stats.chargedBytes == 100 + RelayServer.envelopeOverhead)
        #expect(stats.mailboxes == 1)  // the emptied, unclaimed mailbox is forgotten
        await server.store.flush()
        #expect(directory.files(of: short).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(directory.path)/\(short)"))  // its directory too
        #expect(directory.files(of: long).count == 1)
        await client.close()
        await server.stop()
    }

    /// One connection floods one mailbox: the rate limit cuts it first, then the mailbox
    /// cap; meanwhile another mailbox and another connection are served, and the owner
    /// fetches exactly what was accepted.
    @Test func relayFloodCutByRateLimitAndMailboxCapOthersServed() async throws {
        let clock = ManualClock()
        let logs = LogLines()
        let (server, port) = try await startServer {
            $0.clock = { clock.read() }
            $0.depositsPerSecond = 5
            $0.depositBurst = 5
            $0.maxEnvelopesPerMailbox = 8
            $0.log = logs.log
        }
        let flooder = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (target, other) = (try MailboxID.random(), try MailboxID.random())
        for index in 0..<5 { try await flooder.deposit(mailbox: target, envelope: [UInt8(index)]) }
        #expect(await refusal { try await flooder.deposit(mailbox: target, envelope: [99]) } == "rate limited")
        // Another connection is not limited by the flooder's bucket, and another mailbox works.
        try await owner.claim(mailbox: target, keyPair: try Ed25519.generateKeyPair())
        try await owner.deposit(mailbox: other, envelope: [42])

        clock.advance(1)  // five more tokens
        for index in 5..<8 { try await flooder.deposit(mailbox: target, envelope: [UInt8(index)]) }
        #expect(await refusal { try await flooder.deposit(mailbox: target, envelope: [99]) } == "mailbox full")
        try await flooder.deposit(mailbox: other, envelope: [43])  // the cap is per mailbox
        #expect(await refusal { try await flooder.deposit(mailbox: other, envelope: [44]) } == "rate limited")

        let held = try await owner.fetch(mailbox: target)
        #expect(held.map(\.bytes) == (0..<8).map { [UInt8($0)] })
        #expect(server.storedCount(mailbox: other) == 2)
        // One log line per refusal, with the reason.
        #expect(logs.all.filter { $0.0 == .info && $0.1.contains("rate limited") }.count == 2)
        #expect(logs.contains("refused deposit into \(String(target.description.prefix(8))) from 127.0.0.1:"))
        #expect(logs.contains("mailbox full", level: .info))
        await flooder.close()
        await owner.close()
        await server.stop()
    }

    /// Truncated frames, an oversized length, a truncated DEPOSIT_ID and an oversized
    /// envelope: each gets an ERROR, nothing is stored, and the relay keeps serving others.
    @Test func relayBadInputRefusedNothingStoredOthersServed() async throws {
        let recording = Recording()
        let (server, port) = try await startServer {
            $0.maxEnvelopeBytes = 1000
            $0.recorder = recording.recorder
        }
        let good = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await good.deposit(mailbox: mailbox, envelope: [1])

        // A frame announcing 1000 bytes, cut after 500, then the connection drops.
        let cut = try await RelayClient.connect(host: "127.0.0.1", port: port)
        var header: [UInt8] = []
        header.appendBE(UInt32(1000))
        var body: [UInt8] = [RelayFrameType.deposit.rawValue] + mailbox.bytes
        body.appendBE(UInt32(60))
        try await cut.sendRaw(header + body + [UInt8](repeating: 7, count: 500 - body.count))
        await cut.close()

        // An oversized length: ERROR and close.
        let big = try await RelayClient.connect(host: "127.0.0.1", port: port)
        var huge: [UInt8] = []
        huge.appendBE(UInt32(0xFFFF_FFF0))
        try await big.sendRaw(huge + [RelayFrameType.deposit.rawValue])
        let error = try await big.nextFrame()
        #expect(error.type == RelayFrameType.error.rawValue)
        #expect(String(decoding: error.body, as: UTF8.self) == "frame of 4294967280 bytes exceeds 65536")
        await #expect(throws: RelayError.connectionClosed) { try await big.nextFrame() }

        // DEPOSIT_ID cut inside its deposit id: ERROR and close.
        let truncated = try await RelayClient.connect(host: "127.0.0.1", port: port)
        var partial = mailbox.bytes
        partial.appendBE(UInt32(60))
        #expect(await refusal {
            _ = try await truncated.request(RelayFrame(.depositWithID, body: partial + [0, 0, 0, 1]))
        } == "truncated deposit")
        await #expect(throws: RelayError.connectionClosed) { try await truncated.nextFrame() }

        // Oversized envelopes, with and without a deposit id: refused, the connection kept.
        #expect(await refusal { try await good.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 0, count: 1001)) } == "envelope too large")
        #expect(await refusal {
            try await good.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 0, count: 1001), depositID: 7)
        } == "envelope too large")

        // The relay keeps serving: old and new connections.
        try await good.deposit(mailbox: mailbox, envelope: [2])
        let late = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await late.deposit(mailbox: mailbox, envelope: [3], depositID: 8)
        #expect(server.storedCount(mailbox: mailbox) == 3)
        #expect(recording.stored == [[1], [2], [3]])
        for client in [good, big, truncated, late] { await client.close() }
        await server.stop()
    }

    /// A claim signature is bound to one connection's challenge: replaying the owner's
    /// earlier valid signature, a signature for another mailbox, or a random one on a new
    /// connection is refused, and that connection cannot fetch or ack.
    @Test func relayReplayedOrWrongClaimSignatureCannotFetch() async throws {
        let (server, port) = try await startServer()
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        let key = try Ed25519.generateKeyPair()
        let firstChallenge = await owner.challenge
        let firstSignature = try Ed25519.sign(
            message: RelayFrame.claimMessage(challenge: firstChallenge, mailbox: mailbox), secretKey: key.secretKey)
        _ = try await owner.request(RelayFrame(.claim, body: mailbox.bytes + key.publicKey + firstSignature))
        try await owner.deposit(mailbox: mailbox, envelope: [5])
        await owner.close()

        let attacker = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let challenge = await attacker.challenge
        #expect(challenge != firstChallenge)
        // The same key, the same mailbox, a valid signature — for the old challenge.
        #expect(await refusal {
            _ = try await attacker.request(RelayFrame(.claim, body: mailbox.bytes + key.publicKey + firstSignature))
        } == "bad claim signature")
        // A signature over this challenge, but for another mailbox.
        let otherMailbox = try MailboxID.random()
        let forOther = try Ed25519.sign(message: RelayFrame.claimMessage(challenge: challenge, mailbox: otherMailbox), secretKey: key.secretKey)
        #expect(await refusal {
            _ = try await attacker.request(RelayFrame(.claim, body: mailbox.bytes + key.publicKey + forOther))
        } == "bad claim signature")
        // Random bytes.
        #expect(await refusal {
            _ = try await attacker.request(RelayFrame(.claim, body: mailbox.bytes + key.publicKey + (try SecureRandom.bytes(count: 64))))
        } == "bad claim signature")
        #expect(await refusal { _ = try await attacker.fetch(mailbox: mailbox) } == "mailbox not claimed on this connection")
        #expect(await refusal { try await attacker.ack(mailbox: mailbox, ids: [1]) } == "mailbox not claimed on this connection")
        #expect(server.storedCount(mailbox: mailbox) == 1)

        // The owner, on a new connection with a new signature, still can.
        let back = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await back.claim(mailbox: mailbox, keyPair: key)
        #expect(try await back.fetch(mailbox: mailbox).map(\.bytes) == [[5]])
        await attacker.close()
        await back.close()
        await server.stop()
    }
}
