import Foundation
import NIOCore
import ParleySecurity
import Testing

@testable import ParleyRelay

/// A clock the tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Double = 1000
    func read() -> Double { lock.withLock { now } }
    func advance(_ seconds: Double) { lock.withLock { now += seconds } }
}

/// Everything the relay received and stored.
final class Recording: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var envelopes: [[UInt8]] = []
    var received: [UInt8] { lock.withLock { bytes } }
    var stored: [[UInt8]] { lock.withLock { envelopes } }
    var recorder: RelayRecorder {
        RelayRecorder(
            received: { chunk in self.lock.withLock { self.bytes += chunk } },
            stored: { _, envelope in self.lock.withLock { self.envelopes.append(envelope) } })
    }
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if Array(haystack[start..<start + needle.count]) == needle { return true }
    }
    return false
}

/// A server on 127.0.0.1 with a free port; stopped by the caller.
func startServer(_ configure: (inout RelayServer.Configuration) -> Void = { _ in }) async throws -> (RelayServer, Int) {
    var config = RelayServer.Configuration()
    configure(&config)
    let server = RelayServer(configuration: config)
    let port = try await server.start(host: "127.0.0.1", port: 0)
    return (server, port)
}

func refusal(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let RelayError.refused(reason) {
        return reason
    } catch {
        return "other: \(error)"
    }
}

@Suite struct RelayTests {
    @Test func relayDepositThenClaimFetchAck() async throws {
        let (server, port) = try await startServer()
        let sender = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let receiver = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await sender.deposit(mailbox: mailbox, envelope: [1, 2, 3], ttl: 60)
        try await sender.deposit(mailbox: mailbox, envelope: [4, 5], ttl: 60)
        try await receiver.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        let envelopes = try await receiver.fetch(mailbox: mailbox)
        #expect(envelopes.map(\.bytes) == [[1, 2, 3], [4, 5]])
        try await receiver.ack(mailbox: mailbox, ids: envelopes.map(\.id))
        #expect(try await receiver.fetch(mailbox: mailbox).isEmpty)
        #expect(server.storedCount(mailbox: mailbox) == 0)
        await sender.close()
        await receiver.close()
        await server.stop()
    }

    @Test func relayOtherKeyCannotClaimOrDrain() async throws {
        let (server, port) = try await startServer()
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let thief = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        let ownerKey = try Ed25519.generateKeyPair()
        try await owner.claim(mailbox: mailbox, keyPair: ownerKey)
        try await owner.deposit(mailbox: mailbox, envelope: [9], ttl: 60)

        // Another key: refused.
        let reason = await refusal { try await thief.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair()) }
        #expect(reason == "mailbox claimed by another key")
        // Fetch or ack without a claim on this connection: refused.
        #expect(await refusal { _ = try await thief.fetch(mailbox: mailbox) } == "mailbox not claimed on this connection")
        #expect(await refusal { try await thief.ack(mailbox: mailbox, ids: [1, 2, 3]) } == "mailbox not claimed on this connection")
        // The owner's public key with a signature by another key: refused.
        let other = try Ed25519.generateKeyPair()
        let challenge = await thief.challenge
        let forged = try Ed25519.sign(message: RelayFrame.claimMessage(challenge: challenge, mailbox: mailbox), secretKey: other.secretKey)
        let forgedReason = await refusal {
            _ = try await thief.request(RelayFrame(.claim, body: mailbox.bytes + ownerKey.publicKey + forged))
        }
        #expect(forgedReason == "bad claim signature")
        // A valid signature by the owner, but over another connection's challenge (replay): refused.
        let ownerChallenge = await owner.challenge
        let replayed = try Ed25519.sign(message: RelayFrame.claimMessage(challenge: ownerChallenge, mailbox: mailbox), secretKey: ownerKey.secretKey)
        #expect(await refusal {
            _ = try await thief.request(RelayFrame(.claim, body: mailbox.bytes + ownerKey.publicKey + replayed))
        } == "bad claim signature")
        #expect(server.storedCount(mailbox: mailbox) == 1)
        #expect(try await owner.fetch(mailbox: mailbox).map(\.bytes) == [[9]])
        await owner.close()
        await thief.close()
        await server.stop()
    }

    @Test func relayTTLExpiry() async throws {
        let clock = ManualClock()
        let (server, port) = try await startServer { $0.clock = { clock.read() } }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await client.deposit(mailbox: mailbox, envelope: [1], ttl: 10)
        try await client.deposit(mailbox: mailbox, envelope: [2], ttl: 100)
        #expect(await refusal { try await client.deposit(mailbox: mailbox, envelope: [3], ttl: 0) } == "ttl must be positive")
        try await client.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        #expect(try await client.fetch(mailbox: mailbox).count == 2)
        clock.advance(11)
        #expect(try await client.fetch(mailbox: mailbox).map(\.bytes) == [[2]])
        clock.advance(100)
        #expect(try await client.fetch(mailbox: mailbox).isEmpty)
        await client.close()
        await server.stop()
    }

    @Test func relayOversizedEnvelopeAndFrameRefused() async throws {
        let (server, port) = try await startServer { $0.maxEnvelopeBytes = 1000 }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        #expect(await refusal { try await client.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 7, count: 1001)) } == "envelope too large")
        // The connection still works after a refused envelope.
        try await client.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 7, count: 1000))

        // A frame longer than 64 KiB: ERROR, then the connection closes.
        let big = try await RelayClient.connect(host: "127.0.0.1", port: port)
        var header: [UInt8] = []
        header.appendBE(UInt32(RelayFrame.maxLength + 1))
        try await big.sendRaw(header + [RelayFrameType.deposit.rawValue] + [UInt8](repeating: 0, count: 100))
        let error = try await big.nextFrame()
        #expect(error.type == RelayFrameType.error.rawValue)
        #expect(String(decoding: error.body, as: UTF8.self).contains("exceeds 65536"))
        await #expect(throws: RelayError.connectionClosed) { try await big.nextFrame() }

        // A truncated deposit body (shorter than its header): ERROR and close.
        let truncated = try await RelayClient.connect(host: "127.0.0.1", port: port)
        #expect(await refusal { _ = try await truncated.request(RelayFrame(.deposit, body: [1, 2, 3])) } == "truncated deposit")

        // The server keeps serving.
        try await client.deposit(mailbox: mailbox, envelope: [1])
        #expect(server.storedCount(mailbox: mailbox) == 2)
        await client.close()
        await big.close()
        await truncated.close()
        await server.stop()
    }

    @Test func relayFloodBeyondMailboxCapRefused() async throws {
        let (server, port) = try await startServer {
            $0.maxEnvelopesPerMailbox = 8
            $0.depositsPerSecond = 1000
            $0.depositBurst = 1000
        }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        for index in 0..<8 { try await client.deposit(mailbox: mailbox, envelope: [UInt8(index)]) }
        #expect(await refusal { try await client.deposit(mailbox: mailbox, envelope: [99]) } == "mailbox full")
        #expect(server.storedCount(mailbox: mailbox) == 8)
        // Other mailboxes are unaffected.
        try await client.deposit(mailbox: try MailboxID.random(), envelope: [1])
        await client.close()
        await server.stop()
    }

    @Test func relayPerConnectionRateLimit() async throws {
        let clock = ManualClock()
        let (server, port) = try await startServer {
            $0.clock = { clock.read() }
            $0.depositsPerSecond = 5
            $0.depositBurst = 5
        }
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        for _ in 0..<5 { try await client.deposit(mailbox: mailbox, envelope: [1]) }
        #expect(await refusal { try await client.deposit(mailbox: mailbox, envelope: [1]) } == "rate limited")
        // Another connection has its own bucket.
        let other = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await other.deposit(mailbox: mailbox, envelope: [1])
        clock.advance(1)
        try await client.deposit(mailbox: mailbox, envelope: [1])
        await client.close()
        await other.close()
        await server.stop()
    }

    @Test func relayGarbageClosesConnectionOthersServed() async throws {
        let (server, port) = try await startServer()
        let good = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let bad = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await bad.sendRaw([0, 0, 0, 5, 0xEE, 0xDE, 0xAD, 0xBE, 0xEF])
        let error = try await bad.nextFrame()
        #expect(error.type == RelayFrameType.error.rawValue)
        #expect(String(decoding: error.body, as: UTF8.self) == "unknown message type 238")
        await #expect(throws: RelayError.connectionClosed) { try await bad.nextFrame() }

        let zero = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await zero.sendRaw([0, 0, 0, 0])
        #expect(try await zero.nextFrame().type == RelayFrameType.error.rawValue)
        await #expect(throws: RelayError.connectionClosed) { try await zero.nextFrame() }

        let mailbox = try MailboxID.random()
        try await good.deposit(mailbox: mailbox, envelope: [1])
        let late = try await RelayClient.connect(host: "127.0.0.1", port: port)
        try await late.deposit(mailbox: mailbox, envelope: [2])
        #expect(server.storedCount(mailbox: mailbox) == 2)
        for client in [good, bad, zero, late] { await client.close() }
        await server.stop()
    }

    @Test func relayResumeAfterReconnect() async throws {
        let (server, port) = try await startServer()
        let receiver = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let sender = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await receiver.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        try await sender.deposit(mailbox: mailbox, envelope: [1])
        let first = try await receiver.fetch(mailbox: mailbox)
        #expect(first.map(\.bytes) == [[1]])
        let oldChallenge = await receiver.challenge
        // Disconnect without acknowledging, then resume on a new connection.
        try await receiver.reconnect()
        #expect(await receiver.challenge != oldChallenge)
        try await sender.deposit(mailbox: mailbox, envelope: [2])
        let resumed = try await receiver.fetch(mailbox: mailbox)
        #expect(resumed.map(\.bytes) == [[1], [2]])
        try await receiver.ack(mailbox: mailbox, ids: resumed.map(\.id))
        #expect(server.storedCount(mailbox: mailbox) == 0)
        await receiver.close()
        await sender.close()
        await server.stop()
    }

    @Test func relayPrivacyRecorderSeesNoPlaintext() async throws {
        let recording = Recording()
        let (server, port) = try await startServer { $0.recorder = recording.recorder }
        let name = "Ada Lovelace"
        let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 AB:CD"
        let sas = "apple banana cherry delta"
        let contactKey = try SecureRandom.bytes(count: 32)
        let plaintext = Array("{\"name\":\"\(name)\",\"sas\":\"\(sas)\",\"sdp\":\"\(sdp)\",\"key\":\"".utf8) + contactKey + Array("\"}".utf8)

        let sealingKey = SecretBytes(copying: try SecureRandom.bytes(count: 32))
        let algorithm = AEAD.Algorithm.xChaCha20Poly1305
        let nonce = try algorithm.randomNonce()
        let envelope = nonce + (try AEAD.seal(plaintext: plaintext, nonce: nonce, key: sealingKey, algorithm: algorithm))

        let sender = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let receiver = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        let claimKey = try Ed25519.generateKeyPair()
        try await sender.deposit(mailbox: mailbox, envelope: envelope, ttl: 60)
        try await receiver.claim(mailbox: mailbox, keyPair: claimKey)
        let fetched = try await receiver.fetch(mailbox: mailbox)
        #expect(fetched.map(\.bytes) == [envelope])
        // The receiver can open it; the relay could not.
        let opened = try AEAD.open(ciphertext: Array(fetched[0].bytes.dropFirst(nonce.count)), nonce: nonce, key: sealingKey, algorithm: algorithm)
        #expect(opened == plaintext)
        try await receiver.ack(mailbox: mailbox, ids: fetched.map(\.id))
        await sender.close()
        await receiver.close()
        await server.stop()

        let received = recording.received
        let everything = received + recording.stored.flatMap { $0 }
        #expect(!received.isEmpty)
        #expect(recording.stored == [envelope])
        // Sanity: the search finds what is there (the claim's public key travels in clear).
        #expect(contains(received, claimKey.publicKey))
        let secretMarkers: [[UInt8]] = [
            Array(name.utf8), Array(sdp.utf8), Array("v=0".utf8), Array("a=fingerprint".utf8), Array(sas.utf8),
            contactKey, sealingKey.copyBytes(), claimKey.secretKey.copyBytes(),
            Array(claimKey.secretKey.copyBytes().prefix(32)),
        ]
        for marker in secretMarkers {
            #expect(!contains(everything, marker))
        }
    }
}
