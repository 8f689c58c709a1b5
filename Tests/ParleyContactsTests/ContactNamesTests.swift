import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// Display names in the sealed acceptance and confirmation, pruning of expired pending
/// entries, and `ContactBook.resolve`.
@Suite struct ContactNamesTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    private func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    @Test func namesArriveOnBothSidesAndNeverTravelInClear() throws {
        var alice = ContactBook()
        var bob = ContactBook()
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        alice.add(invitation, secrets: secrets)
        #expect(!invitation.uri.contains("Alice"))
        let acceptance = try bob.accept(uri: invitation.uri, displayName: "Bartholomew Bobson", now: now)
        let confirmation = try alice.receiveAcceptance(
            acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice Liddell-Smith", now: now)
        try bob.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox, now: now)

        #expect(alice.contacts.first?.displayName == "Bartholomew Bobson")
        #expect(bob.contacts.first?.displayName == "Alice Liddell-Smith")
        #expect(alice.contacts.first?.root == bob.contacts.first?.root)
        // What the relay gets: no name, not even a part of one, and no length that tells it.
        for name in ["Bartholomew Bobson", "Bartholomew", "Bobson", "Alice Liddell-Smith", "Liddell"] {
            #expect(!contains(acceptance.bytes, name))
            #expect(!contains(confirmation.bytes, name))
        }
        #expect(acceptance.bytes.count == Acceptance.encodedLength)
        #expect(confirmation.bytes.count == Confirmation.encodedLength)
        let (other, _) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        var carol = ContactBook()
        #expect(try carol.accept(uri: other.uri, displayName: "C", now: now).bytes.count == acceptance.bytes.count)
    }

    @Test func tamperedAcceptanceOrConfirmationIsRefusedAndNothingStored() throws {
        var alice = ContactBook()
        var bob = ContactBook()
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        alice.add(invitation, secrets: secrets)
        let acceptance = try bob.accept(uri: invitation.uri, displayName: "Bob", now: now)
        let before = alice
        // Any byte of the sealed part (contribution and name) changed: refused.
        let sealedStart = 1 + 16 + 32 + 32 + 32 + 24
        for index in sealedStart..<(acceptance.bytes.count - 64) {
            var tampered = acceptance.bytes
            tampered[index] ^= 0x01
            #expect(throws: ContactsError.self) {
                try alice.receiveAcceptance(tampered, inMailbox: acceptance.mailbox, displayName: "Alice", now: now)
            }
        }
        // Another acceptance's sealed name spliced in (a "changed name"): refused.
        var mallory = ContactBook()
        let forged = try mallory.accept(uri: invitation.uri, displayName: "Mallory", now: now)
        var spliced = acceptance.bytes
        spliced.replaceSubrange(sealedStart..<(spliced.count - 64), with: forged.bytes[sealedStart..<(forged.bytes.count - 64)])
        #expect(throws: ContactsError.invalidAcceptance("its signature does not match (altered, damaged or forged)")) {
            try alice.receiveAcceptance(spliced, inMailbox: acceptance.mailbox, displayName: "Alice", now: now)
        }
        #expect(alice == before)

        let confirmation = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice", now: now)
        let bobBefore = bob
        for index in (1 + 16 + 24)..<(confirmation.bytes.count - 64) {
            var tampered = confirmation.bytes
            tampered[index] ^= 0x80
            #expect(throws: ContactsError.self) { try bob.receiveConfirmation(tampered, inMailbox: confirmation.mailbox, now: now) }
        }
        #expect(bob == bobBefore)
        try bob.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox, now: now)
        #expect(bob.contacts.first?.displayName == "Alice")
    }

    @Test func overLongOrControlCharacterNamesAreRefused() throws {
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        // Our own name is checked before anything is made.
        var bob = ContactBook()
        for bad in [String(repeating: "x", count: 65), "Bob\u{07}", "Bob\nSmith", "   ", ""] {
            #expect(throws: ContactsError.self) { try bob.accept(uri: invitation.uri, displayName: bad, now: now) }
        }
        #expect(bob.pendingAcceptances.isEmpty)
        #expect(try bob.accept(uri: invitation.uri, displayName: String(repeating: "é", count: 32), now: now).bytes.count
            == Acceptance.encodedLength)

        // Names a modified peer seals and signs itself: the receiver refuses them.
        let fields: [(String, [UInt8])] = [
            ("contains control characters", SealedName.raw(Array("Bob\u{1B}[31m".utf8))),
            ("is 65 bytes long; at most 64 are allowed", SealedName.raw(Array(repeating: 0x41, count: 64), length: 65)),
            ("is empty", SealedName.raw([])),
            ("is not valid UTF-8", SealedName.raw([0x42, 0xFF, 0x42])),
            ("has bad padding", SealedName.raw(Array("Bob".utf8), length: 2)),
        ]
        for (reason, field) in fields {
            var alice = ContactBook()
            alice.add(invitation, secrets: secrets)
            let (acceptance, _) = try Acceptance.create(for: invitation, nameField: field, now: now)
            let mailbox = try ContactMailboxes.inviter(invitationID: invitation.invitationID)
            #expect(throws: ContactsError.invalidAcceptance("its display name \(reason)")) {
                try alice.receiveAcceptance(acceptance.encoded, inMailbox: mailbox, displayName: "Alice", now: now)
            }
            #expect(alice.contacts.isEmpty && alice.pendingInvitations.count == 1)
        }

        // The same in a confirmation.
        var alice = ContactBook()
        alice.add(invitation, secrets: secrets)
        var carol = ContactBook()
        let acceptance = try carol.accept(uri: invitation.uri, displayName: "Carol", now: now)
        _ = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice", now: now)
        let opened = try Acceptance.open(acceptance.bytes, invitationSecrets: secrets, invitation: invitation, now: now)
        let bad = try Confirmation.create(
            invitation: invitation, secrets: secrets, acceptance: opened, nameField: SealedName.raw(Array("A\u{0}".utf8)))
        let mailbox = try unhex(carol.pendingAcceptances[0].mailbox)
        #expect(throws: ContactsError.invalidAcceptance("the inviter's display name contains control characters")) {
            try carol.receiveConfirmation(bad, inMailbox: mailbox, now: now)
        }
        #expect(carol.contacts.isEmpty && carol.pendingAcceptances.count == 1)
    }

    @Test func version1ExchangeWithoutNamesStillWorks() throws {
        var alice = ContactBook()
        var bob = ContactBook()
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        alice.add(invitation, secrets: secrets)
        let acceptance = try bob.accept(uri: invitation.uri, now: now)  // an older Parley: no name
        #expect(acceptance.bytes[0] == 1 && acceptance.bytes.count == Acceptance.version1EncodedLength)
        let confirmation = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox, displayName: "Alice", now: now)
        // Answered in the version the acceptor reads, so no name.
        #expect(confirmation.bytes[0] == 1 && confirmation.bytes.count == Confirmation.version1EncodedLength)
        try bob.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox, now: now)
        #expect(alice.contacts[0].displayName == nil && bob.contacts[0].displayName == nil)
        #expect(alice.contacts[0].root == bob.contacts[0].root)

        // A version this Parley does not know is refused with a clear error.
        var future = ContactBook()
        let (other, otherSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        future.add(other, secrets: otherSecrets)
        var carol = ContactBook()
        var bytes = try carol.accept(uri: other.uri, displayName: "Carol", now: now).bytes
        bytes[0] = 3
        #expect(throws: ContactsError.invalidAcceptance("it is version 3 and this Parley reads versions 1 and 2; update Parley")) {
            try future.receiveAcceptance(bytes, inMailbox: try ContactMailboxes.inviter(invitationID: other.invitationID), now: now)
        }
    }

    @Test func expiredPendingEntriesArePrunedAndNoLongerPolled() throws {
        var alice = ContactBook()
        let (short, shortSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", expiresIn: .seconds(60), now: now)
        let (long, longSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", expiresIn: .seconds(3600), now: now)
        alice.add(short, secrets: shortSecrets)
        alice.add(long, secrets: longSecrets)
        var bob = ContactBook()
        _ = try bob.accept(uri: short.uri, displayName: "Bob", now: now)

        #expect(alice.pruneExpired(now: now.addingTimeInterval(59)) == (0, 0))
        #expect(try alice.inviterMailboxes().count == 2)
        #expect(alice.pruneExpired(now: now.addingTimeInterval(60)) == (1, 0))
        #expect(alice.pendingInvitations.map(\.invitationID) == [b64(long.invitationID)])
        #expect(try alice.inviterMailboxes().map(\.mailbox) == [try ContactMailboxes.inviter(invitationID: long.invitationID)])
        #expect(alice.dropExpired(now: now.addingTimeInterval(3600)) == 1)
        #expect(alice.pendingInvitations.isEmpty)

        // An acceptance is kept while a confirmation sent before the expiry may still wait at the relay.
        let expiry = now.addingTimeInterval(60)
        #expect(bob.pruneExpired(now: expiry.addingTimeInterval(TimeInterval(ContactBook.confirmationGrace - 1))) == (0, 0))
        #expect(try bob.acceptorMailboxes().count == 1)
        #expect(bob.pruneExpired(now: expiry.addingTimeInterval(TimeInterval(ContactBook.confirmationGrace))) == (0, 1))
        #expect(bob.pendingAcceptances.isEmpty)
        #expect(try bob.acceptorMailboxes().isEmpty)
    }

    @Test func resolveFindsContactsByShortIDOrName() throws {
        func contact(_ id: [UInt8], _ name: String?) -> ContactBook.Contact {
            ContactBook.Contact(
                id: b64(id + [UInt8](repeating: 9, count: 12)), displayName: name, role: .inviter, invitationURI: "",
                relayHint: "", signingSecretKey: "", agreementPrivateKey: "", peerSigningKey: "", peerAgreementKey: "",
                root: "", mailbox: "", peerMailbox: "", established: 0)
        }
        var book = ContactBook()
        book.contacts = [
            contact([0xDE, 0xAD, 0xBE, 0xEF], "Bob"), contact([0x01, 0x02, 0x03, 0x04], "Alice"),
            contact([0x0A, 0x0B, 0x0C, 0x0D], "alice"), contact([0x11, 0x22, 0x33, 0x44], nil),
            contact([0x55, 0x66, 0x77, 0x88], "Sam"), contact([0x99, 0xAA, 0xBB, 0xCC], "Sam"),
        ]
        #expect(book.contacts[0].shortID == "deadbeef")
        #expect(try book.resolve("deadbeef") == 0)
        #expect(try book.resolve(" DEADBEEF\n") == 0)
        #expect(try book.resolve("Bob") == 0)
        #expect(try book.resolve("bob") == 0)  // no exact match: case ignored
        #expect(try book.resolve("Alice") == 1)  // exact match wins
        #expect(try book.resolve("alice") == 2)
        #expect(try book.resolve("11223344") == 3)
        #expect(throws: ContactsError.contactAmbiguous("ALICE", matches: ["01020304", "0a0b0c0d"])) { try book.resolve("ALICE") }
        #expect(throws: ContactsError.contactAmbiguous("Sam", matches: ["55667788", "99aabbcc"])) { try book.resolve("Sam") }
        #expect(throws: ContactsError.contactNotFound("Carol")) { try book.resolve("Carol") }
        #expect(throws: ContactsError.contactNotFound("dead")) { try book.resolve("dead") }
        #expect(throws: ContactsError.self) { try book.resolve("  ") }
        #expect("\(ContactsError.contactAmbiguous("Sam", matches: ["55667788", "99aabbcc"]))".contains("55667788, 99aabbcc"))
    }

    @Test func contactsWrittenBeforeRotationStillDecode() throws {
        let json = #"""
            {"contacts":[{"id":"AAAAAAAAAAAAAAAAAAAAAA==","role":"inviter","invitationURI":"parley:x","relayHint":"h:1",
            "signingSecretKey":"","agreementPrivateKey":"","peerSigningKey":"","peerAgreementKey":"","root":"",
            "mailbox":"00","peerMailbox":"01","established":5}]}
            """#
        let book = try JSONDecoder().decode(ContactBook.self, from: Data(json.utf8))
        let contact = try #require(book.contacts.first)
        #expect(contact.currentKeyIndex == 0 && contact.secondKey == nil && contact.rotation == nil)
        #expect(contact.displayName == nil && contact.receivedThrough == nil)
        #expect(contact.shortID == "00000000")
    }
}
