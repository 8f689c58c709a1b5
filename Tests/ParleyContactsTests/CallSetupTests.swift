import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// Alice invited Bob (in process); each has a sequence directory.
private struct ContactPair {
    let directory = StoreScratchDirectory()
    var alice = ContactBook()
    var bob = ContactBook()
    let aliceIndex: Int
    let bobIndex: Int

    init() throws {
        (aliceIndex, bobIndex) = try LocalContactExchange.establish(inviter: &alice, acceptor: &bob)
    }

    var aliceContact: ContactBook.Contact { alice.contacts[aliceIndex] }
    var bobContact: ContactBook.Contact { bob.contacts[bobIndex] }

    func aliceChannel(_ sessionID: [UInt8]) throws -> SignalingChannel {
        try aliceContact.signalingChannel(
            sessionID: sessionID, sequences: SignalingSequenceStore(path: directory.file("alice.seq")))
    }

    func bobChannel(_ sessionID: [UInt8]) throws -> SignalingChannel {
        try bobContact.signalingChannel(
            sessionID: sessionID, sequences: SignalingSequenceStore(path: directory.file("bob.seq")))
    }
}

private let aliceSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Parley\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/SAVP 111\r\n"
private let bobSDP = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=Parley\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/SAVP 111\r\n"

@Suite("Call setup: offer and answer over a contact's signaling channel")
struct CallSetupTests {
    /// Runs one setup, Alice calling Bob, with Bob's policy `admit`.
    private func setUp(
        _ pair: ContactPair, participants: Int = 2, admit: (CallOffer) throws(ContactsError) -> Void = { _ in }
    ) throws -> (caller: CallCaller, offer: [UInt8], reply: CallCallee.Reply) {
        let caller = try CallCaller(participants: participants, description: aliceSDP)
        let offer = try caller.sealOffer(on: try pair.aliceChannel(caller.callID))
        let callID = try CallSetup.callID(ofEnvelope: offer)
        let reply = try CallCallee.answer(
            offer, on: try pair.bobChannel(callID), contactRoot: try pair.bobContact.rootSecret(),
            description: bobSDP, admit: admit)
        return (caller, offer, reply)
    }

    @Test func bothSidesDeriveTheSameKeysAndSASFromTheContactRoot() throws {
        let pair = try ContactPair()
        defer { pair.directory.remove() }
        let caller = try CallCaller(description: aliceSDP)
        let channel = try pair.aliceChannel(caller.callID)
        let offer = try caller.sealOffer(on: channel)
        let reply = try CallCallee.answer(
            offer, on: try pair.bobChannel(try CallSetup.callID(ofEnvelope: offer)),
            contactRoot: try pair.bobContact.rootSecret(), description: bobSDP, admit: { _ in })
        guard case .answered(let answerEnvelope, let bobCall) = reply else {
            Issue.record("Bob declined")
            return
        }
        let aliceCall = try caller.receive(answerEnvelope, on: channel, contactRoot: try pair.aliceContact.rootSecret())

        #expect(aliceCall.shortAuthenticationString == bobCall.shortAuthenticationString)
        #expect(aliceCall.shortAuthenticationString.words.count == 5)
        #expect(aliceCall.schedule.transcriptHash == bobCall.schedule.transcriptHash)
        #expect(aliceCall.remoteDescription == bobSDP)
        #expect(bobCall.remoteDescription == aliceSDP)
        for suite in SRTPSuite.allCases {
            let ssrc: UInt32 = 0x1234_5678
            let aliceOut = try aliceCall.schedule.outboundKeyingMaterial(suite: suite, ssrc: ssrc)
            let bobIn = try bobCall.schedule.inboundKeyingMaterial(suite: suite, ssrc: ssrc)
            #expect(aliceOut == bobIn)
            let bobOut = try bobCall.schedule.outboundKeyingMaterial(suite: suite, ssrc: ssrc)
            #expect(bobOut != aliceOut, "each direction has its own key")
            // The keys really protect and unprotect: Alice's SRTP packet opens at Bob's.
            let sender = try SRTPSession(suite: suite, masterKey: aliceOut.copyBytes(), direction: .outbound, ssrc: .specific(ssrc))
            let receiver = try SRTPSession(suite: suite, masterKey: bobIn.copyBytes(), direction: .inbound, ssrc: .specific(ssrc))
            var packet: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78] + Array(repeating: 0x55, count: 40)
            let plain = packet
            packet += Array(repeating: 0, count: SRTPSession.maximumTrailerLength)
            let protectedLength = try sender.protectRTP(&packet, length: plain.count)
            let length = try receiver.unprotectRTP(&packet, length: protectedLength)
            #expect(Array(packet[..<length]) == plain)
        }
    }

    @Test func theKeysAreFreshForEveryCallAndBoundToTheContact() throws {
        let pair = try ContactPair()
        defer { pair.directory.remove() }
        var sases: Set<String> = []
        var keys: Set<[UInt8]> = []
        for _ in 0..<3 {
            let (caller, _, reply) = try setUp(pair)
            guard case .answered(let envelope, _) = reply else { Issue.record("declined"); return }
            let call = try caller.receive(envelope, on: try pair.aliceChannel(caller.callID), contactRoot: try pair.aliceContact.rootSecret())
            sases.insert(call.shortAuthenticationString.words.joined(separator: " "))
            keys.insert(try call.schedule.outboundKeyingMaterial(suite: .aeadAES128GCM, ssrc: 1).copyBytes())
        }
        #expect(keys.count == 3, "a new ephemeral key and call id make new SRTP keys each call")
        #expect(sases.count == 3)

        // Another contact (another root) cannot answer Alice's offer: the channel refuses it.
        let other = try ContactPair()
        defer { other.directory.remove() }
        let caller = try CallCaller(description: aliceSDP)
        let offer = try caller.sealOffer(on: try pair.aliceChannel(caller.callID))
        #expect(throws: ContactsError.self) {
            _ = try CallCallee.answer(
                offer, on: try other.bobChannel(caller.callID), contactRoot: try other.bobContact.rootSecret(),
                description: bobSDP, admit: { _ in })
        }
    }

    @Test func aRefusalHappensBeforeAnyKeyAndTellsTheCallerOnlyThatItWasDeclined() throws {
        let pair = try ContactPair()
        defer { pair.directory.remove() }
        var seen: CallOffer?
        let (caller, _, reply) = try setUp(pair, participants: 3) { offer throws(ContactsError) in
            seen = offer
            throw ContactsError.callRefused(.unlicensed(participants: offer.participants, .missing))
        }
        #expect(seen?.participants == 3)
        guard case .declined(let envelope, let reason) = reply else { Issue.record("answered"); return }
        #expect(reason == .callRefused(.unlicensed(participants: 3, .missing)))
        let decline = try pair.aliceChannel(caller.callID)
        // Alice's channel is a new object with the same session: it opens Bob's refusal.
        #expect(throws: ContactsError.callDeclined(.declined)) {
            _ = try caller.receive(envelope, on: decline, contactRoot: try pair.aliceContact.rootSecret())
        }
        // The refusal says nothing about why: its plaintext is version, call id, reason code.
        let opened = try pair.aliceChannel(caller.callID)
        let bobFresh = try pair.bobChannel(caller.callID)
        let again = try bobFresh.seal(SignalingMessage(kind: .hangup, body: [1] + caller.callID + [1]))
        #expect(try opened.open(again).body.count == 18)
    }

    @Test func tamperedReplayedAndMisdirectedAnswersAreRefused() throws {
        let pair = try ContactPair()
        defer { pair.directory.remove() }
        let caller = try CallCaller(description: aliceSDP)
        let channel = try pair.aliceChannel(caller.callID)
        let offer = try caller.sealOffer(on: channel)
        let bob = try pair.bobChannel(caller.callID)
        guard case .answered(let answer, _) = try CallCallee.answer(
            offer, on: bob, contactRoot: try pair.bobContact.rootSecret(), description: bobSDP, admit: { _ in })
        else { Issue.record("declined"); return }

        // A replay of the offer to Bob's channel is refused (replay window).
        #expect(throws: ContactsError.self) {
            _ = try CallCallee.answer(offer, on: bob, contactRoot: try pair.bobContact.rootSecret(), description: bobSDP, admit: { _ in })
        }
        // One flipped bit in the answer: refused, and the caller can still take the real one.
        var tampered = answer
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: ContactsError.self) {
            _ = try caller.receive(tampered, on: channel, contactRoot: try pair.aliceContact.rootSecret())
        }
        // An answer on another call's channel is refused by its session id.
        let otherCall = try pair.aliceChannel((0..<16).map { UInt8($0) })
        #expect(throws: ContactsError.self) {
            _ = try caller.receive(answer, on: otherCall, contactRoot: try pair.aliceContact.rootSecret())
        }
        let call = try caller.receive(answer, on: channel, contactRoot: try pair.aliceContact.rootSecret())
        #expect(call.offer.callID == caller.callID)
        // After the call is set up, the same answer again is refused.
        #expect(throws: ContactsError.self) {
            _ = try caller.receive(answer, on: channel, contactRoot: try pair.aliceContact.rootSecret())
        }
    }

    @Test func bothSidesLearnTheOthersAEADCapabilityInTheSealedExchange() throws {
        let pair = try ContactPair()
        defer { pair.directory.remove() }
        #expect(pair.aliceContact.peerCapabilities == SignalingCapabilities.local)
        #expect(pair.bobContact.peerCapabilities == SignalingCapabilities.local)
        let expected: AEAD.Algorithm = AEAD.Algorithm.aes256GCM.isAvailable ? .aes256GCM : .xChaCha20Poly1305
        #expect(pair.aliceContact.signalingAlgorithm == expected)
        let caller = try CallCaller(description: aliceSDP)
        let offer = try caller.sealOffer(on: try pair.aliceChannel(caller.callID))
        #expect(try SignalingEnvelopeHeader(parsing: offer).algorithm == expected)
        // A contact whose device cannot run AES-256-GCM gets XChaCha20-Poly1305.
        var old = pair.aliceContact
        old.peerCapabilities = 0
        #expect(old.signalingAlgorithm == .xChaCha20Poly1305)
        old.peerCapabilities = nil
        #expect(old.signalingAlgorithm == .xChaCha20Poly1305)
    }

    @Test func malformedOfferBodiesAreClearErrors() throws {
        let good = CallOffer(callID: Array(repeating: 7, count: 16), participants: 2,
                             ephemeralPublicKey: Array(repeating: 9, count: 32), description: aliceSDP)
        let bytes = good.encoded()
        #expect(try CallOffer(decoding: bytes) == good)
        for cut in [0, 1, 17, 18, 50, bytes.count - 1] {
            #expect(throws: ContactsError.self) { _ = try CallOffer(decoding: Array(bytes[..<cut])) }
        }
        #expect(throws: ContactsError.self) { _ = try CallOffer(decoding: bytes + [0]) }
        var lying = bytes
        lying[50] = 0xFF  // description length far beyond the message
        #expect(throws: ContactsError.self) { _ = try CallOffer(decoding: lying) }
        var one = bytes
        one[17] = 1  // a one-person call
        #expect(throws: ContactsError.self) { _ = try CallOffer(decoding: one) }
        let answer = CallAnswer(callID: good.callID, ephemeralPublicKey: good.ephemeralPublicKey, description: bobSDP)
        #expect(try CallAnswer(decoding: answer.encoded()) == answer)
    }
}
