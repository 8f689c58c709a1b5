import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// Two established contacts (Alice invited Bob), each with its own profile directory for
/// sequence files; envelopes are handed over by hand instead of through a relay.
private struct Contacts {
    var alice = ContactBook()
    var bob = ContactBook()
    let aliceDirectory = StoreScratchDirectory()
    let bobDirectory = StoreScratchDirectory()

    init() throws {
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400")
        alice.add(invitation, secrets: secrets)
        let acceptance = try bob.accept(uri: invitation.uri, displayName: "Bob")
        let confirmation = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice")
        try bob.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox)
    }

    func remove() {
        aliceDirectory.remove()
        bobDirectory.remove()
    }

    var a: ContactBook.Contact { alice.contacts[0] }
    var b: ContactBook.Contact { bob.contacts[0] }

    /// Alice's envelopes for Bob: they go to Bob's mailbox.
    mutating func toBob(_ envelopes: [OutgoingEnvelope]) throws -> ContactReceipt {
        var all = ContactReceipt()
        for envelope in envelopes {
            #expect(envelope.mailbox == (try unhex(b.mailbox)))
            let receipt = try bob.receive(envelope.bytes, fromContact: 0, directory: bobDirectory.path)
            all.replies += receipt.replies
            all.events += receipt.events
            all.message = receipt.message ?? all.message
        }
        return all
    }

    mutating func toAlice(_ envelopes: [OutgoingEnvelope]) throws -> ContactReceipt {
        var all = ContactReceipt()
        for envelope in envelopes {
            #expect(envelope.mailbox == (try unhex(a.mailbox)))
            let receipt = try alice.receive(envelope.bytes, fromContact: 0, directory: aliceDirectory.path)
            all.replies += receipt.replies
            all.events += receipt.events
            all.message = receipt.message ?? all.message
        }
        return all
    }

    /// A control-session message sealed by one side with its stored keys.
    func seal(fromAlice: Bool, _ message: SignalingMessage) throws -> OutgoingEnvelope {
        let book = fromAlice ? alice : bob
        let channel = try book.signalingChannel(
            for: 0, directory: fromAlice ? aliceDirectory.path : bobDirectory.path)
        let contact = book.contacts[0]
        return OutgoingEnvelope(mailbox: try unhex(contact.peerMailbox), bytes: try channel.seal(message), relayHint: contact.relayHint)
    }

    /// Both sides' signaling keys agree (each side's send key is the other's receive key).
    func keysAgree() throws -> Bool {
        let aliceRoot = SecretBytes(copying: try unb64(a.root))
        let bobRoot = SecretBytes(copying: try unb64(b.root))
        let x = AEAD.Algorithm.xChaCha20Poly1305
        return try SignalingChannel.deriveKey(root: aliceRoot, direction: 1, algorithm: x) == SignalingChannel.deriveKey(root: bobRoot, direction: 1, algorithm: x)
            && SignalingChannel.deriveKey(root: aliceRoot, direction: 2, algorithm: x) == SignalingChannel.deriveKey(root: bobRoot, direction: 2, algorithm: x)
    }

    /// One message each way on the control session opens on the other side.
    mutating func roundTrip() throws {
        let hello = SignalingMessage(kind: .ack, body: Array("hello".utf8))
        #expect(try toBob([seal(fromAlice: true, hello)]).message == hello)
        #expect(try toAlice([seal(fromAlice: false, hello)]).message == hello)
    }
}

@Suite struct ContactRotationTests {
    @Test func contactsRotationGivesBothSidesTheSameNewRoot() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let oldRoot = pair.a.root
        #expect(pair.a.currentKeyIndex == 0 && pair.b.currentKeyIndex == 0)

        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        #expect(pair.a.rotation?.keyIndex == 1 && pair.a.currentKeyIndex == 0)
        #expect(request.mailbox == (try unhex(pair.a.peerMailbox)) && request.relayHint == pair.a.relayHint)
        #expect(try SignalingEnvelopeHeader(parsing: request.bytes).keyIndex == 0)

        let answered = try pair.toBob([request])
        #expect(answered.events == [.answered(keyIndex: 1)])
        #expect(pair.b.currentKeyIndex == 0 && pair.b.secondKey?.keyIndex == 1 && pair.b.root == oldRoot)
        #expect(try answered.replies.map { try SignalingEnvelopeHeader(parsing: $0.bytes).keyIndex } == [0])

        let switched = try pair.toAlice(answered.replies)
        #expect(switched.events == [.switched(keyIndex: 1)])
        #expect(pair.a.currentKeyIndex == 1 && pair.a.rotation == nil)
        #expect(pair.a.secondKey?.keyIndex == 0 && pair.a.secondKey?.root == oldRoot)
        // Both hold the same new root already: Alice as current, Bob in his next slot.
        #expect(pair.a.root == pair.b.secondKey?.root && pair.a.root != oldRoot)
        #expect(try switched.replies.map { try SignalingEnvelopeHeader(parsing: $0.bytes).keyIndex } == [1])

        let bobSwitched = try pair.toBob(switched.replies)
        #expect(bobSwitched.events == [.switched(keyIndex: 1)])
        #expect(pair.b.currentKeyIndex == 1 && pair.b.secondKey == nil && pair.b.root == pair.a.root)

        let done = try pair.toAlice(bobSwitched.replies)
        #expect(done.events == [.previousKeyWiped(keyIndex: 0)] && done.replies.isEmpty)
        #expect(pair.a.secondKey == nil)
        #expect(!"\(pair.alice.contacts)".contains(oldRoot) && !"\(pair.bob.contacts)".contains(oldRoot))

        #expect(try pair.keysAgree())
        try pair.roundTrip()

        // A second rotation goes on from there (key 2), started by the acceptor this time.
        let again = try pair.bob.startRotation(contact: 0, directory: pair.bobDirectory.path)
        let replies = try pair.toBob(pair.toAlice(pair.toBob(pair.toAlice([again]).replies).replies).replies).replies
        #expect(replies.isEmpty)
        #expect(pair.a.currentKeyIndex == 2 && pair.b.currentKeyIndex == 2 && pair.a.root == pair.b.root)
        #expect(pair.a.secondKey == nil && pair.b.secondKey == nil)
        try pair.roundTrip()
    }

    @Test func contactsRotationSequenceFilesPerKeyIndex() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let id = try unb64(pair.a.id)
        let old = ContactBook.sequencePath(directory: pair.aliceDirectory.path, contactID: id, keyIndex: 0, direction: 1)
        let new = ContactBook.sequencePath(directory: pair.aliceDirectory.path, contactID: id, keyIndex: 1, direction: 1)
        #expect(old == pair.aliceDirectory.path + "/signaling/\(hex(id))-0-1.seq")
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        #expect(DurableFile.exists(old) && storeFileMode(old) == 0o600)
        #expect(storeFileMode(pair.aliceDirectory.path + "/signaling") == 0o700)
        _ = try pair.toAlice(pair.toBob([request]).replies)
        // Alice switched: she never seals under key 0 again; key 1 starts its own sequence at 1.
        #expect(!DurableFile.exists(old) && DurableFile.exists(new))
        #expect(try SignalingSequenceStore(path: new).nextSequence > 1)
        let envelope = try pair.seal(fromAlice: true, SignalingMessage(kind: .ack))
        let header = try SignalingEnvelopeHeader(parsing: envelope.bytes)
        #expect(header.keyIndex == 1 && header.sequence > 1)

        // One channel per contact and key at a time: a second one is refused while the first lives.
        let channel = try pair.alice.signalingChannel(for: 0, directory: pair.aliceDirectory.path)
        #expect {
            _ = try pair.alice.signalingChannel(for: 0, directory: pair.aliceDirectory.path)
        } throws: { error in
            if case .storage = error as? ContactsError { return true }
            return false
        }
        _ = try channel.seal(SignalingMessage(kind: .ack))
    }

    @Test func contactsOldRootNoLongerOpensNewMessages() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let oldBob = pair.bob
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let done = try pair.toBob(pair.toAlice(pair.toBob([request]).replies).replies).replies
        _ = try pair.toAlice(done)
        #expect(pair.a.currentKeyIndex == 1 && pair.b.currentKeyIndex == 1)

        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let message = try pair.seal(fromAlice: true, SignalingMessage(kind: .offer, body: [1, 2, 3]))
        // Bob's old state (key 0 only) cannot open it ...
        #expect {
            _ = try oldBob.signalingChannel(for: 0, directory: scratch.path).open(message.bytes)
        } throws: { error in
            guard case .invalidSignalingMessage(let reason) = error as? ContactsError else { return false }
            return reason.contains("sealed under contact key 1 but this contact uses key 0")
        }
        // ... nor can the old root itself, even when told the new index.
        let oldRoot = SecretBytes(copying: try unb64(oldBob.contacts[0].root))
        let bobSigning = try signingKeyPair(pair.b.signingSecretKey)
        let stale = try SignalingChannel(
            root: oldRoot, role: .acceptor, signingKey: bobSigning.secretKey, peerSigningKey: try unb64(pair.b.peerSigningKey),
            sessionID: try ContactBook.controlSessionID(contactID: try unb64(pair.b.id)), algorithm: .xChaCha20Poly1305,
            sequences: SignalingSequenceStore(path: scratch.file("stale.seq")), keyIndex: 1)
        #expect(throws: ContactsError.invalidSignalingMessage("it does not decrypt (altered, or not for this contact)")) {
            try stale.open(message.bytes)
        }
        // And a message sealed under the old key now is refused by the new state.
        let old = try oldBob.signalingChannel(for: 0, directory: scratch.path).seal(SignalingMessage(kind: .ack))
        #expect(throws: ContactsError.self) { try pair.alice.receive(old, fromContact: 0, directory: pair.aliceDirectory.path) }
        // The new root opens it.
        #expect(try pair.toBob([message]).message == SignalingMessage(kind: .offer, body: [1, 2, 3]))
    }

    @Test func contactsMessagesUnderTheOldIndexStillOpenDuringTheTransition() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        // Alice sealed this after her request, still under key 0.
        let early = try pair.seal(fromAlice: true, SignalingMessage(kind: .candidate, body: [7]))
        let answer = try pair.toBob([request]).replies
        // Bob, who answered, still seals under key 0 until Alice is seen to switch.
        let fromBob = try pair.seal(fromAlice: false, SignalingMessage(kind: .candidate, body: [8]))
        #expect(try SignalingEnvelopeHeader(parsing: fromBob.bytes).keyIndex == 0)
        let done = try pair.toAlice(answer).replies
        #expect(pair.a.currentKeyIndex == 1)
        // Alice switched, but still opens Bob's key-0 message (her previous slot) ...
        let opened = try pair.toAlice([fromBob])
        #expect(opened.message == SignalingMessage(kind: .candidate, body: [8]) && opened.events.isEmpty)
        #expect(pair.a.secondKey?.keyIndex == 0)
        // ... and Bob, with his next slot, still opens Alice's key-0 message.
        let openedByBob = try pair.toBob([early])
        #expect(openedByBob.message == SignalingMessage(kind: .candidate, body: [7]))
        #expect(pair.b.currentKeyIndex == 0 && pair.b.secondKey?.keyIndex == 1)
        // Then the switch notices: Bob switches on Alice's, Alice wipes key 0 on Bob's.
        let bobDone = try pair.toBob(done).replies
        #expect(pair.b.currentKeyIndex == 1)
        _ = try pair.toAlice(bobDone)
        #expect(pair.a.secondKey == nil)
        try pair.roundTrip()
    }

    @Test func contactsAnyMessageUnderTheNewIndexSwitchesTheAnsweringSide() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        _ = try pair.toAlice(pair.toBob([request]).replies)  // Alice's switch notice is lost
        let offer = try pair.seal(fromAlice: true, SignalingMessage(kind: .offer, body: [42]))
        let receipt = try pair.toBob([offer])
        #expect(receipt.message == SignalingMessage(kind: .offer, body: [42]))
        #expect(receipt.events == [.switched(keyIndex: 1)] && receipt.replies.count == 1)
        #expect(pair.b.currentKeyIndex == 1 && pair.b.root == pair.a.root)
    }

    @Test func contactsForgedReplayedOrStaleRotationMessagesAreRefused() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)

        // Forged: sealed with the right root but signed by another key.
        let mallory = try Ed25519.generateKeyPair()
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let forger = try SignalingChannel(
            root: SecretBytes(copying: try unb64(pair.a.root)), role: .inviter, signingKey: mallory.secretKey,
            peerSigningKey: try unb64(pair.a.peerSigningKey),
            sessionID: try ContactBook.controlSessionID(contactID: try unb64(pair.a.id)), algorithm: .xChaCha20Poly1305,
            sequences: SignalingSequenceStore(path: scratch.file("forger.seq")))
        let body = ContactRotation.Request(
            keyIndex: 1, agreementKey: try X25519.generateKeyPair().publicKey, contribution: [UInt8](repeating: 1, count: 32))
        let forged = try forger.seal(SignalingMessage(kind: .rotate, body: body.encoded()))
        let before = pair.bob
        #expect(throws: ContactsError.invalidSignalingMessage("its signature is not the contact's (altered or forged)")) {
            try pair.bob.receive(forged, fromContact: 0, directory: pair.bobDirectory.path)
        }
        // Tampered: any byte.
        for index in stride(from: 0, to: request.bytes.count, by: 7) {
            var tampered = request.bytes
            tampered[index] ^= 0x04
            #expect(throws: ContactsError.self) { try pair.bob.receive(tampered, fromContact: 0, directory: pair.bobDirectory.path) }
        }
        #expect(pair.bob == before)

        // Replayed: the same request twice (the relay may re-deliver; a restarted Bob too).
        _ = try pair.toBob([request])
        let answered = pair.bob
        #expect(throws: ContactsError.signalingReplayed(sequence: 1)) {
            try pair.bob.receive(request.bytes, fromContact: 0, directory: pair.bobDirectory.path)
        }
        #expect(pair.bob == answered)

        // A request for the wrong key index, genuinely sealed and signed by Alice.
        let wrong = try pair.seal(fromAlice: true, SignalingMessage(kind: .rotate, body: ContactRotation.Request(
            keyIndex: 5, agreementKey: body.agreementKey, contribution: body.contribution).encoded()))
        #expect {
            try pair.bob.receive(wrong.bytes, fromContact: 0, directory: pair.bobDirectory.path)
        } throws: { error in
            guard case .rotationRefused(let reason) = error as? ContactsError else { return false }
            return reason.contains("the request is for key 5")
        }
        // A malformed body.
        let short = try pair.seal(fromAlice: true, SignalingMessage(kind: .rotate, body: [1, 0, 0]))
        #expect(throws: ContactsError.rotationRefused("the request has 3 bytes instead of 69")) {
            try pair.bob.receive(short.bytes, fromContact: 0, directory: pair.bobDirectory.path)
        }
        // An answer nobody asked for (Bob has no pending request).
        let unasked = try pair.seal(fromAlice: true, SignalingMessage(kind: .rotateAck, body: ContactRotation.Answer(
            keyIndex: 1, requestKey: body.agreementKey, agreementKey: body.agreementKey, contribution: body.contribution).encoded()))
        #expect {
            try pair.bob.receive(unasked.bytes, fromContact: 0, directory: pair.bobDirectory.path)
        } throws: { error in
            guard case .rotationRefused(let reason) = error as? ContactsError else { return false }
            return reason.contains("no rotation is pending")
        }
        // A switch notice for a key Bob does not hold.
        let notice = try pair.seal(fromAlice: true, SignalingMessage(kind: .rotateDone, body: ContactRotation.Done(keyIndex: 3).encoded()))
        #expect(throws: ContactsError.self) { try pair.bob.receive(notice.bytes, fromContact: 0, directory: pair.bobDirectory.path) }
        #expect(pair.b.currentKeyIndex == 0 && pair.b.secondKey?.keyIndex == 1)

    }

    @Test func contactsAnswerNeverReceivedLeavesTheInitiatorOnTheOldRoot() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let oldRoot = pair.a.root
        let first = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let lostAnswer = try pair.toBob([first]).replies
        #expect(lostAnswer.count == 1)
        // The answer is lost: Alice stays on key 0 with her request pending, and both still talk.
        #expect(pair.a.currentKeyIndex == 0 && pair.a.root == oldRoot && pair.a.rotation?.keyIndex == 1)
        try pair.roundTrip()
        #expect(pair.a.currentKeyIndex == 0 && pair.b.currentKeyIndex == 0)
        // Bob, who answered, cannot start one of his own until it finishes ...
        #expect {
            _ = try pair.bob.startRotation(contact: 0, directory: pair.bobDirectory.path)
        } throws: { error in
            guard case .rotationRefused(let reason) = error as? ContactsError else { return false }
            return reason.contains("still finishing")
        }
        // ... but Alice may ask again: her new request replaces the first, and completes.
        let second = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let answers = try pair.toBob([second]).replies
        #expect(pair.b.secondKey?.keyIndex == 1)
        _ = try pair.toAlice(pair.toBob(pair.toAlice(answers).replies).replies)
        #expect(pair.a.currentKeyIndex == 1 && pair.b.currentKeyIndex == 1 && pair.a.root == pair.b.root)
        #expect(pair.a.secondKey == nil && pair.b.secondKey == nil)
        // A replay of the used answer is refused.
        #expect(throws: ContactsError.self) {
            try pair.alice.receive(answers[0].bytes, fromContact: 0, directory: pair.aliceDirectory.path)
        }
        try pair.roundTrip()
    }

    @Test func contactsRepeatedRequestReplacesTheFirstAndItsAnswerIsIgnored() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let first = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let second = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let answers = try pair.toBob([first, second])
        #expect(answers.events == [.answered(keyIndex: 1), .answered(keyIndex: 1)] && answers.replies.count == 2)
        let late = try pair.toAlice([answers.replies[0]])
        #expect(late.events == [.staleAnswerIgnored(keyIndex: 1)] && pair.a.currentKeyIndex == 0 && pair.a.rotation != nil)
        _ = try pair.toAlice(pair.toBob(pair.toAlice([answers.replies[1]]).replies).replies)
        #expect(pair.a.currentKeyIndex == 1 && pair.b.currentKeyIndex == 1 && pair.a.root == pair.b.root)
        #expect(try pair.keysAgree())
        try pair.roundTrip()
    }

    @Test(arguments: [true, false])
    func contactsSimultaneousRotationsResolveToTheInvitersRequest(aliceFirst: Bool) throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let fromAlice = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let fromBob = try pair.bob.startRotation(contact: 0, directory: pair.bobDirectory.path)
        var toAlice: [OutgoingEnvelope] = []
        var toBob: [OutgoingEnvelope] = []
        if aliceFirst {
            let ignored = try pair.toAlice([fromBob])
            #expect(ignored.events == [.ignoredPeerRequest(keyIndex: 1)] && ignored.replies.isEmpty)
            let answered = try pair.toBob([fromAlice])
            #expect(answered.events == [.droppedOwnRequest(keyIndex: 1), .answered(keyIndex: 1)])
            toAlice = answered.replies
        } else {
            let answered = try pair.toBob([fromAlice])
            #expect(answered.events == [.droppedOwnRequest(keyIndex: 1), .answered(keyIndex: 1)])
            let ignored = try pair.toAlice([fromBob])
            #expect(ignored.events == [.ignoredPeerRequest(keyIndex: 1)])
            toAlice = answered.replies
        }
        #expect(pair.b.rotation == nil)
        toBob = try pair.toAlice(toAlice).replies
        _ = try pair.toAlice(pair.toBob(toBob).replies)
        #expect(pair.a.currentKeyIndex == 1 && pair.b.currentKeyIndex == 1 && pair.a.root == pair.b.root)
        #expect(pair.a.secondKey == nil && pair.b.secondKey == nil && pair.a.rotation == nil)
        #expect(try pair.keysAgree())
        try pair.roundTrip()
    }

    @Test func contactsReplayedAcceptanceInTheContactMailboxIsReportedAsAReplay() throws {
        var alice = ContactBook()
        var bob = ContactBook()
        let directory = StoreScratchDirectory()
        defer { directory.remove() }
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400")
        alice.add(invitation, secrets: secrets)
        let acceptance = try bob.accept(uri: invitation.uri, displayName: "Bob")
        _ = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice")
        #expect(try alice.contactMailboxes().map(\.mailbox) == [acceptance.mailbox])
        #expect(alice.isControlEnvelope(acceptance.bytes, fromContact: 0))
        let before = alice
        #expect(throws: ContactsError.invitationAlreadyAccepted) {
            try alice.receive(acceptance.bytes, fromContact: 0, directory: directory.path)
        }
        #expect(alice == before)
        // A call's envelope (another session) is not the control session's.
        let call = try alice.signalingChannel(for: 0, sessionID: [UInt8](repeating: 7, count: 16), directory: directory.path)
            .seal(SignalingMessage(kind: .offer))
        #expect(!alice.isControlEnvelope(call, fromContact: 0))
    }

    @Test func signalingVersion1HeaderIsReadAsKeyIndex0() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        // An envelope as a Parley before rotation sealed it: 26-byte header, no key index.
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let sender = try pair.alice.signalingChannel(for: 0, directory: scratch.path)
        let session = try ContactBook.controlSessionID(contactID: try unb64(pair.a.id))
        var header: [UInt8] = [1, 2] + session
        header.appendBigEndian(9)
        let message = SignalingMessage(kind: .hangup, body: [5])
        let sealed = try AEAD.seal(
            plaintext: message.encoded(), additionalData: header,
            nonce: SignalingChannel.nonce(sequence: 9, algorithm: .xChaCha20Poly1305), key: sender.sendKey,
            algorithm: .xChaCha20Poly1305)
        let signing = try signingKeyPair(pair.a.signingSecretKey)
        let signed = header + sealed
        let envelope = signed + (try Ed25519.sign(message: signed, secretKey: signing.secretKey))
        let parsed = try SignalingEnvelopeHeader(parsing: envelope)
        #expect(parsed.version == 1 && parsed.keyIndex == 0 && parsed.sequence == 9 && parsed.sessionID == session)
        #expect(parsed.encoded() == header)
        #expect(try pair.toBob([OutgoingEnvelope(mailbox: try unhex(pair.b.mailbox), bytes: envelope, relayHint: "")]).message == message)
        // Version 2 round-trips its key index.
        let v2 = SignalingEnvelopeHeader(algorithm: .xChaCha20Poly1305, sessionID: session, sequence: 3, keyIndex: 0x01020304)
        #expect(v2.encoded().count == SignalingEnvelopeHeader.length && Array(v2.encoded()[2..<6]) == [1, 2, 3, 4])
        #expect(try SignalingEnvelopeHeader(parsing: v2.encoded()) == v2)
        #expect(throws: ContactsError.self) { try SignalingEnvelopeHeader(parsing: [3] + Array(v2.encoded().dropFirst())) }
        #expect(throws: ContactsError.self) { try SignalingEnvelopeHeader(parsing: Array(v2.encoded().prefix(29))) }
    }
}

@Suite struct ContactRotationCallTests {
    @Test func aCallSetUpMidRotationKeysBothSidesFromTheOffersKeyIndex() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        _ = try pair.toAlice(pair.toBob([request]).replies)  // Alice has switched; Bob has not heard yet
        #expect(pair.a.currentKeyIndex == 1 && pair.b.currentKeyIndex == 0)
        #expect(try pair.b.rootSecret() != pair.b.rootSecret(keyIndex: 1), "Bob's current root is not the offer's")

        let caller = try CallCaller(description: "alice")
        let aliceChannel = try pair.a.signalingChannel(
            sessionID: caller.callID, sequences: SignalingSequenceStore(path: scratch.file("alice.seq")))
        let offer = try caller.sealOffer(on: aliceChannel)
        #expect(caller.offerKeyIndex == 1)
        let bobChannel = try pair.b.signalingChannel(
            sessionID: caller.callID, sequences: SignalingSequenceStore(path: scratch.file("bob.seq")))
        guard case .answered(let answer, let bobCall) = try CallCallee.answer(
            offer, on: bobChannel, contact: pair.b, description: "bob", admit: { _ in })
        else {
            Issue.record("declined")
            return
        }
        let aliceCall = try caller.receive(answer, on: aliceChannel, contact: pair.a)
        #expect(aliceCall.shortAuthenticationString == bobCall.shortAuthenticationString)
        #expect(try aliceCall.schedule.outboundKeyingMaterial(suite: .aeadAES128GCM, ssrc: 9)
                == bobCall.schedule.inboundKeyingMaterial(suite: .aeadAES128GCM, ssrc: 9))
    }

    @Test func contactsCallChannelsFollowTheKeyIndexDuringAndAfterARotation() throws {
        var pair = try Contacts()
        defer { pair.remove() }
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let callID = [UInt8](repeating: 0x5A, count: 16)
        let request = try pair.alice.startRotation(contact: 0, directory: pair.aliceDirectory.path)
        let notice = try pair.toAlice(pair.toBob([request]).replies).replies
        // Mid-rotation: Alice seals under key 1, Bob (next slot) opens it and knows which root keyed it.
        let aliceCall = try pair.a.signalingChannel(
            sessionID: callID, sequences: SignalingSequenceStore(path: scratch.file("alice-call-1.seq")))
        let offer = try aliceCall.seal(SignalingMessage(kind: .offer, body: [1]))
        #expect(try SignalingEnvelopeHeader(parsing: offer).keyIndex == 1)
        let bobCall = try pair.b.signalingChannel(
            sessionID: callID, sequences: SignalingSequenceStore(path: scratch.file("bob-call-0.seq")))
        #expect(try bobCall.open(offer) == SignalingMessage(kind: .offer, body: [1]))
        let index = try #require(bobCall.lastOpenedKeyIndex)
        #expect(index == 1 && pair.b.currentKeyIndex == 0)
        #expect(try pair.b.rootSecret(keyIndex: index) == pair.a.rootSecret(keyIndex: pair.a.currentKeyIndex))
        #expect(throws: ContactsError.self) { try pair.b.rootSecret(keyIndex: 2) }
        // Bob's answer, still under key 0, opens on Alice's side (previous slot).
        let answer = try bobCall.seal(SignalingMessage(kind: .answer, body: [2]))
        #expect(try aliceCall.open(answer) == SignalingMessage(kind: .answer, body: [2]) && aliceCall.lastOpenedKeyIndex == 0)

        // After the rotation, call channels seal and open under key 1 only.
        _ = try pair.toAlice(pair.toBob(notice).replies)
        let after = try pair.a.signalingChannel(
            sessionID: callID, sequences: SignalingSequenceStore(path: scratch.file("alice-call-2.seq")))
        let bobAfter = try pair.b.signalingChannel(
            sessionID: callID, sequences: SignalingSequenceStore(path: scratch.file("bob-call-1.seq")))
        #expect(bobAfter.keyIndex == 1 && bobAfter.secondKeyIndex == nil)
        #expect(try bobAfter.open(after.seal(SignalingMessage(kind: .hangup))) == SignalingMessage(kind: .hangup))
        #expect(throws: ContactsError.self) { try after.open(bobCall.seal(SignalingMessage(kind: .hangup))) }
    }
}
