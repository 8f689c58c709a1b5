import Foundation
import ParleyRelay
import ParleySecurity
import ParleyTestSupport
import Testing

@testable import ParleyContacts

/// Everything a relay receives and stores, in order.
private final class Recording: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [UInt8] = []
    private var stored: [UInt8] = []
    private(set) var storedEnvelopes = 0

    var recorder: RelayRecorder {
        RelayRecorder(
            received: { [self] bytes in lock.withLock { received += bytes } },
            stored: { [self] _, bytes in lock.withLock { stored += bytes; storedEnvelopes += 1 } })
    }

    var everything: [UInt8] { lock.withLock { received + [0xFF, 0x00, 0xFF] + stored } }
    var receivedCount: Int { lock.withLock { received.count } }
}

private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, needle.count <= haystack.count else { return false }
    let first = needle[0]
    var index = 0
    let last = haystack.count - needle.count
    while index <= last {
        if haystack[index] == first, Array(haystack[index..<(index + needle.count)]) == needle { return true }
        index += 1
    }
    return false
}

@Suite("The relay never sees a key, a name, a SAS or an SDP")
struct RelayPrivacyTests {
    @Test func inviteAcceptAndCallSetupThroughARecordingRelay() async throws {
        let recording = Recording()
        var configuration = RelayServer.Configuration()
        configuration.recorder = recording.recorder
        let server = RelayServer(configuration: configuration)
        let port = try await server.start(host: "127.0.0.1", port: 0)
        let relay = "127.0.0.1:\(port)"

        let scratch = try Fixtures.scratchDirectory("parley-privacy")
        let aliceName = "Alice Privacytest"
        let bobName = "Bob Privacytest"
        var homes: [String: [String: String]] = [:]
        for name in [aliceName, bobName] {
            let env = ["PARLEY_HOME": scratch.appendingPathComponent(String(name.prefix(3))).path]
            let result = try ParleyExecutable.run(["init", "--name", name], environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            homes[name] = env
        }
        let alice = try #require(homes[aliceName]), bob = try #require(homes[bobName])

        // Invite, accept, and both syncs: the real commands against the recording relay.
        let invite = try ParleyExecutable.run(["invite", "--relay", relay, "--uri-only"], environment: alice)
        #expect(invite.status == 0, "\(invite.stderr)")
        let uri = invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (arguments, env) in [(["accept", uri], bob), (["contacts", "sync"], alice), (["contacts", "sync"], bob)] {
            let result = try ParleyExecutable.run(arguments, environment: env)
            #expect(result.status == 0, "parley \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        let aliceBook: ContactBook = try ContactBook.store(in: alice["PARLEY_HOME"]!).load()
        let bobBook: ContactBook = try ContactBook.store(in: bob["PARLEY_HOME"]!).load()
        let aliceContact = try #require(aliceBook.contacts.first)
        let bobContact = try #require(bobBook.contacts.first)
        #expect(aliceContact.root == bobContact.root, "both sides hold the same contact root")

        // A call setup through the relay: Alice's sealed offer into Bob's mailbox, Bob's
        // sealed answer into Alice's.
        let aliceSDP = "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=Parley\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
        let bobSDP = "v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=Parley\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 42000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
        let caller = try CallCaller(description: aliceSDP)
        let aliceChannel = try aliceContact.signalingChannel(
            sessionID: caller.callID,
            sequences: SignalingSequenceStore(path: scratch.appendingPathComponent("alice-call.seq").path))
        let offer = try caller.sealOffer(on: aliceChannel)
        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let bobMailbox = try #require(MailboxID(bytes: try unhex(aliceContact.peerMailbox)))
        #expect(try unhex(bobContact.mailbox) == bobMailbox.bytes)
        try await client.deposit(mailbox: bobMailbox, envelope: offer, ttl: 60)

        try await client.claim(mailbox: bobMailbox, key: RelayClaimKey(try signingKeyPair(bobContact.signingSecretKey)))
        let offers: [RelayEnvelope] = try await client.fetch(mailbox: bobMailbox)
        #expect(offers.map(\.bytes) == [offer])
        try await client.ack(mailbox: bobMailbox, ids: offers.map(\.id))
        let bobChannel = try bobContact.signalingChannel(
            sessionID: try CallSetup.callID(ofEnvelope: offers[0].bytes),
            sequences: SignalingSequenceStore(path: scratch.appendingPathComponent("bob-call.seq").path))
        guard case .answered(let answer, let bobCall) = try CallCallee.answer(
            offers[0].bytes, on: bobChannel, contact: bobContact, description: bobSDP, admit: { _ in })
        else {
            Issue.record("Bob declined")
            return
        }
        let aliceMailbox = try #require(MailboxID(bytes: try unhex(aliceContact.mailbox)))
        try await client.deposit(mailbox: aliceMailbox, envelope: answer, ttl: 60)
        try await client.claim(mailbox: aliceMailbox, key: RelayClaimKey(try signingKeyPair(aliceContact.signingSecretKey)))
        let answers: [RelayEnvelope] = try await client.fetch(mailbox: aliceMailbox)
        try await client.ack(mailbox: aliceMailbox, ids: answers.map(\.id))
        await client.close()
        let aliceCall = try caller.receive(try #require(answers.first).bytes, on: aliceChannel, contact: aliceContact)
        #expect(aliceCall.shortAuthenticationString == bobCall.shortAuthenticationString)
        await server.stop()

        // The recording is real: it holds the sealed offer and answer as sent.
        let record = recording.everything
        #expect(recording.storedEnvelopes >= 4, "acceptance, confirmation, offer, answer")
        #expect(contains(record, offer) && contains(record, answer))

        // Nothing secret or identifying is in it.
        var secrets: [(String, [UInt8])] = []
        for (who, contact) in [("Alice", aliceContact), ("Bob", bobContact)] {
            secrets.append(("\(who)'s contact root", try unb64(contact.root)))
            let signing = try unb64(contact.signingSecretKey)
            secrets.append(("\(who)'s per-contact signing seed", Array(signing.prefix(32))))
            secrets.append(("\(who)'s per-contact X25519 private key", try unb64(contact.agreementPrivateKey)))
        }
        for name in [aliceName, bobName] {
            secrets.append(("the display name \(name)", Array(name.utf8)))
            secrets.append(("the first name in \(name)", Array(name.split(separator: " ")[0].utf8) + [0x20]))
        }
        secrets.append(("the invitation URI", Array(uri.utf8)))
        secrets.append(("the invitation URI scheme", Array("parley:".utf8)))
        let sas = aliceCall.shortAuthenticationString
        secrets.append(("the SAS", Array(sas.description.utf8)))
        for word in sas.words where word.utf8.count >= 5 { secrets.append(("the SAS word \(word)", Array(word.utf8))) }
        for (what, sdp) in [("Alice's SDP", aliceSDP), ("Bob's SDP", bobSDP)] {
            secrets.append((what, Array(sdp.utf8)))
        }
        for marker in ["v=0", "m=audio", "IN IP4", "rtpmap", "127.0.0.1"] {
            secrets.append(("the SDP text \(marker)", Array(marker.utf8)))
        }
        secrets.append(("the call secret", aliceCall.schedule.callSecret.copyBytes()))
        secrets.append(("the transcript hash", aliceCall.schedule.transcriptHash))
        secrets.append(("the caller's ephemeral public key", aliceCall.offer.ephemeralPublicKey))
        secrets.append(("the callee's ephemeral public key", aliceCall.answer.ephemeralPublicKey))
        for suite in SRTPSuite.allCases {
            let key = try aliceCall.schedule.outboundKeyingMaterial(suite: suite, ssrc: 0x0102_0304).copyBytes()
            secrets.append(("the \(suite.rawValue) master key", Array(key.prefix(16))))
        }
        for (what, bytes) in secrets {
            #expect(!contains(record, bytes), "the relay saw \(what)")
        }
        #expect(recording.receivedCount > 1000)
    }
}
