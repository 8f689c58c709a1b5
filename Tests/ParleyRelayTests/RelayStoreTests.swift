import Foundation
import ParleySecurity
import Testing

@testable import ParleyRelay

/// The durable store (`parley relay --store DIR`).
@Suite struct RelayStoreTests {
    func storeConfiguration(_ directory: TemporaryDirectory, logs: LogLines? = nil,
                            _ more: @escaping (inout RelayServer.Configuration) -> Void = { _ in })
        -> (inout RelayServer.Configuration) -> Void
    {
        { config in
            config.storeDirectory = directory.path
            config.log = logs?.log
            more(&config)
        }
    }

    /// Deposit, stop, start a new server on the same directory: the envelopes come back
    /// byte for byte with their ids, the claim bindings hold (even for an empty mailbox),
    /// acknowledgements stick, and new envelope ids never reuse old ones.
    @Test func relayStoreSurvivesRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (first, port) = try await startServer(storeConfiguration(directory))
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (mailbox, empty) = (try MailboxID.random(), try MailboxID.random())
        let (key, emptyKey) = (try Ed25519.generateKeyPair(), try Ed25519.generateKeyPair())
        let envelopes = [try SecureRandom.bytes(count: 1000), try SecureRandom.bytes(count: 10), [UInt8]()]
        for envelope in envelopes { try await client.deposit(mailbox: mailbox, envelope: envelope, ttl: 3600) }
        try await client.claim(mailbox: mailbox, keyPair: key)
        try await client.claim(mailbox: empty, keyPair: emptyKey)
        let before = try await client.fetch(mailbox: mailbox)
        #expect(before.map(\.bytes) == envelopes)
        await client.close()
        await first.stop()

        let second = try await startServer(port: 0, storeConfiguration(directory))
        #expect(second.loadSummary == "loaded 3 envelopes in 2 mailboxes")
        let port2 = try #require(await portOf(second))
        let thief = try await RelayClient.connect(host: "127.0.0.1", port: port2)
        #expect(await refusal { try await thief.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair()) } == "mailbox claimed by another key")
        #expect(await refusal { try await thief.claim(mailbox: empty, keyPair: try Ed25519.generateKeyPair()) } == "mailbox claimed by another key")
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: port2)
        try await owner.claim(mailbox: mailbox, keyPair: key)
        let after = try await owner.fetch(mailbox: mailbox)
        #expect(after == before)
        try await owner.ack(mailbox: mailbox, ids: [after[0].id])
        try await thief.deposit(mailbox: mailbox, envelope: [7])
        let latest = try await owner.fetch(mailbox: mailbox)
        #expect(latest.map(\.bytes) == [envelopes[1], envelopes[2], [7]])
        #expect(latest[2].id > before.map(\.id).max()!)
        await thief.close()
        await owner.close()
        await second.stop()

        let third = try await startServer(port: 0, storeConfiguration(directory))
        let port3 = try #require(await portOf(third))
        let again = try await RelayClient.connect(host: "127.0.0.1", port: port3)
        try await again.claim(mailbox: mailbox, keyPair: key)
        #expect(try await again.fetch(mailbox: mailbox) == latest)  // the acknowledged one stayed gone
        await again.close()
        await third.stop()
    }

    /// Damaged files (truncated, a flipped byte, garbage, a bad claim file, a stray file)
    /// are skipped with a logged reason each; the relay starts and serves the good ones.
    @Test func relayStoreSkipsCorruptFilesAndStarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (first, port) = try await startServer(storeConfiguration(directory))
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (mailbox, claimed) = (try MailboxID.random(), try MailboxID.random())
        for index in 0..<3 { try await client.deposit(mailbox: mailbox, envelope: [UInt8](repeating: UInt8(index), count: 200)) }
        try await client.claim(mailbox: claimed, keyPair: try Ed25519.generateKeyPair())
        await client.close()
        await first.stop()

        let files = directory.files(of: mailbox)
        #expect(files.count == 3)
        let box = "\(directory.path)/\(mailbox)"
        // Truncated: the first half only.
        let truncatedPath = "\(box)/\(files[0])"
        let whole = try Data(contentsOf: URL(fileURLWithPath: truncatedPath))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncatedPath))
        // One flipped byte inside the envelope.
        let flippedPath = "\(box)/\(files[1])"
        var flipped = try Data(contentsOf: URL(fileURLWithPath: flippedPath))
        flipped[flipped.count / 2] ^= 0x40
        try flipped.write(to: URL(fileURLWithPath: flippedPath))
        // Garbage named like an envelope, a damaged claim, a stray file, a leftover temporary file.
        try Data(String(repeating: "not an envelope ", count: 8).utf8).write(to: URL(fileURLWithPath: "\(box)/00000000000000ff.env"))
        let claimPath = "\(directory.path)/\(claimed)/claim"
        var claim = try Data(contentsOf: URL(fileURLWithPath: claimPath))
        claim[10] ^= 1
        try claim.write(to: URL(fileURLWithPath: claimPath))
        try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(directory.path)/notes.txt"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: "\(box)/.tmp-123abc"))

        let logs = LogLines()
        let second = try await startServer(port: 0, storeConfiguration(directory, logs: logs))
        #expect(second.loadSummary == "loaded 1 envelope in 1 mailbox, skipped 5 damaged or unknown files (see the log)")
        let warnings = logs.all.filter { $0.0 == .warning }.map(\.1)
        #expect(warnings.count == 5, "\(warnings)")
        #expect(warnings.contains { $0.contains(truncatedPath) && $0.contains("truncated") })
        #expect(warnings.contains { $0.contains(flippedPath) && $0.contains("checksum mismatch (damaged)") })
        #expect(warnings.contains { $0.contains("00000000000000ff.env") && $0.contains("bad magic") })
        #expect(warnings.contains { $0.contains(claimPath) && $0.contains("unbound until its next claim") })
        #expect(warnings.contains { $0.contains("notes.txt: not a mailbox directory") })
        #expect(!FileManager.default.fileExists(atPath: "\(box)/.tmp-123abc"))

        let port2 = try #require(await portOf(second))
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: port2)
        try await owner.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        #expect(try await owner.fetch(mailbox: mailbox).map(\.bytes) == [[UInt8](repeating: 2, count: 200)])
        // And it still takes deposits.
        try await owner.deposit(mailbox: mailbox, envelope: [9])
        #expect(second.storedCount(mailbox: mailbox) == 2)
        await owner.close()
        await second.stop()
    }

    /// Envelopes that expired while the relay was down are dropped (and their files
    /// removed) on load, using the wall clock saved with them.
    @Test func relayStoreDropsEnvelopesExpiredWhileDown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let wall = ManualClock()
        // Both clocks manual: under a loaded machine real seconds pass between the two
        // deposits, and the TTL must not run out on the real clock meanwhile.
        let (first, port) = try await startServer(storeConfiguration(directory) {
            $0.wallClock = { 1_700_000_000 + wall.read() }
            $0.clock = { wall.read() }
        })
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await client.deposit(mailbox: mailbox, envelope: [1], ttl: 10)
        try await client.deposit(mailbox: mailbox, envelope: [2], ttl: 1000)
        await client.close()
        await first.stop()

        wall.advance(11)
        let second = try await startServer(port: 0, storeConfiguration(directory) {
            $0.wallClock = { 1_700_000_000 + wall.read() }
            $0.clock = { wall.read() }
        })
        #expect(second.loadSummary == "loaded 1 envelope in 1 mailbox, removed 1 expired")
        #expect(directory.files(of: mailbox).count == 1)
        #expect(second.storedCount(mailbox: mailbox) == 1)
        await second.stop()
    }

    /// Two relays on one store would overwrite each other: the second one refuses to start.
    @Test func relayStoreRefusesSecondRelay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (first, _) = try await startServer(storeConfiguration(directory))
        await #expect {
            _ = try await startServer(port: 0, storeConfiguration(directory))
        } throws: { error in
            "\(error)".contains("in use by another relay")
        }
        await first.stop()
        // Released on stop.
        let again = try await startServer(port: 0, storeConfiguration(directory))
        await again.stop()
    }

    /// A deposit whose file cannot be written is refused "store write failed" and leaves
    /// nothing behind; other mailboxes keep working.
    @Test func relayStoreWriteFailureStoresNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let recording = Recording()
        let (server, port) = try await startServer(storeConfiguration(directory) { $0.recorder = recording.recorder })
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let (broken, fine) = (try MailboxID.random(), try MailboxID.random())
        // A file where the mailbox's directory should go.
        try Data().write(to: URL(fileURLWithPath: "\(directory.path)/\(broken)"))
        #expect(await refusal { try await client.deposit(mailbox: broken, envelope: [1]) } == "store write failed")
        #expect(await refusal { try await client.claim(mailbox: broken, keyPair: try Ed25519.generateKeyPair()) } == "store write failed")
        #expect(server.statistics() == RelayServer.Statistics(connections: 1, mailboxes: 0, envelopes: 0, envelopeBytes: 0, chargedBytes: 0))
        #expect(recording.stored.isEmpty)
        try await client.deposit(mailbox: fine, envelope: [2])
        #expect(recording.stored == [[2]])
        await client.close()
        await server.stop()
    }

    /// A deposit id is remembered for the envelope's lifetime: after acknowledgement and
    /// across a restart, the same id is answered OK and not stored again; after its TTL, it
    /// is forgotten.
    @Test func relayDepositIDDeduplicatedAcrossAckAndRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualClock()
        let (first, port) = try await startServer(storeConfiguration(directory) { $0.clock = { clock.read() } })
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        let key = try Ed25519.generateKeyPair()
        try await client.deposit(mailbox: mailbox, envelope: [1], ttl: 100, depositID: 42)
        try await client.deposit(mailbox: mailbox, envelope: [1], ttl: 100, depositID: 42)
        try await client.deposit(mailbox: mailbox, envelope: [2], ttl: 100, depositID: 43)
        try await client.claim(mailbox: mailbox, keyPair: key)
        let held = try await client.fetch(mailbox: mailbox)
        #expect(held.map(\.bytes) == [[1], [2]])
        try await client.ack(mailbox: mailbox, ids: [held[0].id])
        try await client.deposit(mailbox: mailbox, envelope: [1], ttl: 100, depositID: 42)  // delivered already
        #expect(try await client.fetch(mailbox: mailbox).map(\.bytes) == [[2]])
        await client.close()
        await first.stop()

        let second = try await startServer(port: 0, storeConfiguration(directory) { $0.clock = { clock.read() } })
        let port2 = try #require(await portOf(second))
        let again = try await RelayClient.connect(host: "127.0.0.1", port: port2)
        try await again.deposit(mailbox: mailbox, envelope: [1], ttl: 100, depositID: 42)
        try await again.deposit(mailbox: mailbox, envelope: [2], ttl: 100, depositID: 43)
        try await again.claim(mailbox: mailbox, keyPair: key)
        #expect(try await again.fetch(mailbox: mailbox).map(\.bytes) == [[2]])
        // Past the TTL the id is forgotten: the same id is a new deposit.
        clock.advance(101)
        try await again.deposit(mailbox: mailbox, envelope: [3], ttl: 100, depositID: 42)
        #expect(try await again.fetch(mailbox: mailbox).map(\.bytes) == [[3]])
        await again.close()
        await second.stop()
    }

    /// Every truncation and every single-bit flip of a store record is rejected (never
    /// misread, never a crash); seeded garbage is rejected too; a good record round-trips.
    @Test func relayStoreRecordRejectsTruncationsAndBitFlips() throws {
        let record = RelayStoreRecord(
            envelopeID: 0x0006_614D_B3B9_2C08, wallExpiryMilliseconds: 1_764_300_000_000, depositID: 42,
            delivered: false, bytes: Array(0..<200).map { UInt8($0 & 0xFF) })
        let encoded = record.encoded()
        #expect(try RelayStoreRecord.decode(encoded).get() == record)
        for length in 0..<encoded.count {
            guard case .failure = RelayStoreRecord.decode(Array(encoded.prefix(length))) else {
                Issue.record("a record cut to \(length) bytes was accepted")
                continue
            }
        }
        for index in 0..<encoded.count {
            for bit in 0..<8 {
                var damaged = encoded
                damaged[index] ^= 1 << bit
                if case .success = RelayStoreRecord.decode(damaged) { Issue.record("bit \(bit) of byte \(index) flipped was accepted") }
            }
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var garbage = RelayStoreRecord.envelopeMagic
            for step in 0..<Int(seed >> 56) { garbage.append(UInt8(truncatingIfNeeded: seed >> UInt64(step % 56))) }
            if case .success = RelayStoreRecord.decode(garbage) { Issue.record("garbage accepted") }
            _ = RelayStoreRecord.decodeClaim(Array(garbage.prefix(44)))
        }
        let claim = RelayStoreRecord.encodeClaim(publicKey: [UInt8](repeating: 3, count: 32))
        #expect(try RelayStoreRecord.decodeClaim(claim).get() == [UInt8](repeating: 3, count: 32))
        #expect(MailboxID(hex: try MailboxID.random().description) != nil)
        #expect(MailboxID(hex: "000102030405060708090a0b0c0d0e0F") == nil)
    }
}

/// The port a started server listens on.
func portOf(_ server: RelayServer) async -> Int? { server.boundPort }
