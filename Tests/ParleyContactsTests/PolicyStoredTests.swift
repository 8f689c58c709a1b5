import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// A profile directory with a profile, an empty contact store and keys for the policy.
private struct PolicyHome {
    let scratch = StoreScratchDirectory()
    let guardian: Ed25519.KeyPair
    let issuer: Ed25519.KeyPair
    var directory: String { scratch.path }
    var store: ProfileStore { ProfileStore(directory: directory) }

    init(supervised: Bool = false, issuer withIssuer: Bool = false) throws {
        guardian = try Ed25519.generateKeyPair()
        issuer = try Ed25519.generateKeyPair()
        try ProfileStore(directory: scratch.path).create(
            name: "Kid", supervisedBy: supervised ? Data(guardian.publicKey).base64EncodedString() : nil,
            issuerKey: withIssuer ? Data(issuer.publicKey).base64EncodedString() : nil)
        try ContactBook.create(in: scratch.path)
    }

    func book() throws -> ContactBook { try ContactBook.store(in: directory).load() }
    func save(_ book: ContactBook) throws { try ContactBook.store(in: directory).save(book) }
}

/// Two books that became contacts (without a network); `invitee` accepted `inviter`'s invitation.
private func establish(inviter: inout ContactBook, invitee: inout ContactBook,
                       supervision: Supervision? = nil, approval: ContactApproval? = nil) throws {
    let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400")
    inviter.add(invitation, secrets: secrets)
    let acceptance = try invitee.accept(uri: invitation.uri, supervision: supervision, approval: approval)
    let confirmation = try inviter.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox)
    try invitee.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox)
}

@Suite struct ProfileIdentifierTests {
    @Test func createMakesARandom32ByteIdentifier() throws {
        let a = StoreScratchDirectory(), b = StoreScratchDirectory()
        defer { a.remove(); b.remove() }
        let first = try ProfileStore(directory: a.path).create(name: "A")
        let second = try ProfileStore(directory: b.path).create(name: "B")
        let bytes = try #require(first.identifier.flatMap(Profile.identifierBytes))
        #expect(bytes.count == 32)
        #expect(first.identifier != second.identifier)
        #expect(!(first.identifier ?? "").contains("=") && !(first.identifier ?? "").contains("+"))
        #expect(try ProfileStore(directory: a.path).load() == first)
        #expect(try ProfileStore(directory: a.path).identifier() == bytes)
    }

    @Test func profileOldWithoutIdentifierLoadsAndGetsOneOnFirstNeed() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        let old = #"{"created":"2025-01-31T12:00:00Z","displayName":"Old","supervisedBy":"bWFkZSB1cCBndWFyZGlhbiBrZXk="}"#
        try DurableFile.write(Array(old.utf8), to: store.profilePath)
        let loaded = try store.load()
        #expect(loaded.identifier == nil && loaded.displayName == "Old")
        #expect(loaded.supervisedBy == "bWFkZSB1cCBndWFyZGlhbiBrZXk=")
        let identifier = try store.identifier()
        #expect(identifier.count == 32)
        #expect(try store.identifier() == identifier)  // kept, not drawn again
        let saved = try store.load()
        #expect(saved.identifier == Profile.identifierText(identifier))
        #expect(saved.displayName == "Old" && saved.supervisedBy == loaded.supervisedBy && saved.created == loaded.created)
        #expect(storeFileMode(store.profilePath) == 0o600)
    }

    @Test func profileWithADamagedIdentifierIsCorrupt() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        try DurableFile.write(Array(#"{"created":"2025-01-31T12:00:00Z","displayName":"X","identifier":"c2hvcnQ"}"#.utf8), to: store.profilePath)
        #expect(throws: ContactsError.self) { try store.load() }
        #expect(throws: ContactsError.self) { try store.identifier() }
    }

    @Test func profileCreateValidatesGuardianAndIssuerKeys() throws {
        let key = try Ed25519.generateKeyPair().publicKey
        for (bad, expected) in [("", "empty"), ("abc!", "not base64"), ("aGVsbG8=", "5 bytes long"),
                                (Data(count: 32).base64EncodedString(), "all zeros")] {
            let scratch = StoreScratchDirectory()
            defer { scratch.remove() }
            let store = ProfileStore(directory: scratch.path)
            #expect { try store.create(name: "Kid", supervisedBy: bad) } throws: { error in
                "\(error)".contains(expected) && "\(error)".contains("--supervised-by")
            }
            #expect { try store.create(name: "Kid", issuerKey: bad) } throws: { error in
                "\(error)".contains(expected) && "\(error)".contains("--issuer-key")
            }
            #expect(!store.exists)
        }
        // base64url is accepted and stored as standard base64.
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let profile = try ProfileStore(directory: scratch.path).create(
            name: "Kid", supervisedBy: ParleyURI.base64URLEncode(key), issuerKey: Data(key).base64EncodedString())
        #expect(profile.supervisedBy == Data(key).base64EncodedString())
        #expect(profile.issuerKey == Data(key).base64EncodedString())
    }
}

@Suite struct PolicyStoredStateTests {
    @Test func policyOldContactStoreWithoutApprovalOrBlockedStillLoads() throws {
        var alice = ContactBook(), bob = ContactBook()
        try establish(inviter: &alice, invitee: &bob)
        // Encode, then drop the new keys, as a store written before them would be.
        var json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(alice)) as? [String: Any])
        var contacts = try #require(json["contacts"] as? [[String: Any]])
        #expect(contacts[0]["approval"] == nil && contacts[0]["blocked"] == nil)  // nil fields are not written
        contacts[0]["approval"] = nil
        contacts[0]["blocked"] = nil
        json["contacts"] = contacts
        let old = try JSONDecoder().decode(ContactBook.self, from: try JSONSerialization.data(withJSONObject: json))
        #expect(old == alice)
        #expect(old.contacts[0].approval == nil && !old.contacts[0].isBlocked)

        // And through the encrypted store on disk: written, blocked, read back.
        let home = try PolicyHome()
        defer { home.scratch.remove() }
        try home.save(old)
        var book = try home.book()
        try book.setBlocked(true, contact: book.contacts[0].shortID)
        try home.save(book)
        #expect(try home.book().contacts[0].isBlocked)
    }

    @Test func policyContactsAreFoundByShortIDOrUniqueName() throws {
        var alice = ContactBook(), bob = ContactBook(), carol = ContactBook()
        try establish(inviter: &alice, invitee: &bob)
        try establish(inviter: &alice, invitee: &carol)
        alice.contacts[0].displayName = "Bob"
        alice.contacts[1].displayName = "Bob"
        let short = alice.contacts[1].shortID
        #expect(short.count == 8)
        #expect(try alice.contactIndex(matching: short) == 1)
        #expect(try alice.contactIndex(matching: short.uppercased()) == 1)
        #expect(try alice.contactIndex(matching: alice.contacts[0].id) == 0)
        #expect { try alice.contactIndex(matching: "Bob") } throws: { "\($0)".contains("more than one contact") }
        alice.contacts[1].displayName = "Carol"
        #expect(try alice.contactIndex(matching: "Carol") == 1)
        #expect { try alice.contactIndex(matching: "Dave") } throws: { "\($0)".contains("no contact matches") }
        #expect(throws: ContactsError.self) { try alice.contactIndex(matching: " ") }
    }

    @Test func policyApprovalRequestRoundTripsAndIsAnsweredByItsGuardianOnly() throws {
        let f = try PolicyFixture()
        let request = try ApprovalRequest(
            guardianKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey,
            contactName: "Grandma", note: "from the family dinner")
        #expect(request.text.hasPrefix("parley-approval-request:"))
        let parsed = try ApprovalRequest.parse(text: "  " + request.text + "\n")
        #expect(parsed == request && parsed.contactName == "Grandma" && parsed.note == "from the family dinner")
        let bare = try ApprovalRequest(guardianKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey)
        #expect(try ApprovalRequest.parse(text: bare.text).contactName == nil)

        let approval = try request.approve(with: f.guardian, expiresIn: .seconds(60), now: f.now)
        try approval.verify(guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey, now: f.now)
        #expect(approval.expiry == 1_750_000_060)
        #expect { try request.approve(with: f.otherGuardian, now: f.now) } throws: {
            "\($0)".contains("addressed to another guardian key")
        }
    }

    @Test func policyApprovalRequestParseErrorsAreClear() throws {
        let f = try PolicyFixture()
        let good = try ApprovalRequest(guardianKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey,
                                       contactName: "Bob").encoded
        func text(_ bytes: [UInt8]) -> String { ApprovalRequest.textPrefix + ParleyURI.base64URLEncode(bytes) }
        let cases: [(String, String)] = [
            ("parley-approval:" + ParleyURI.base64URLEncode(good), "does not start with"),
            ("parley-approval-request:@@@", "not valid base64url"),
            (text(Array(good.prefix(50))), "cut short"),
            (text(good + [0]), "trailing bytes"),
            (text([2] + good.dropFirst()), "version 2"),
            (text(Array(good.prefix(97)) + [3] + Array("a\u{1B}b".utf8) + [0]), "control characters"),
            (text(Array(good.prefix(97)) + [2, 0xFF, 0xFE, 0]), "not UTF-8"),
        ]
        for (input, expected) in cases {
            #expect { try ApprovalRequest.parse(text: input) } throws: { error in
                guard let error = error as? ContactsError, case .invalidApprovalRequest = error else { return false }
                return error.description.contains(expected)
            }
        }
        #expect(throws: ContactsError.self) {
            try ApprovalRequest(guardianKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey,
                                note: String(repeating: "n", count: 201))
        }
    }

    @Test func policySupervisedAcceptNeedsAValidApproval() throws {
        let f = try PolicyFixture()
        let supervision = Supervision(guardianKey: f.guardian.publicKey, subject: f.subject)
        var inviter = ContactBook()
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400")
        inviter.add(invitation, secrets: secrets)
        let key = invitation.signingKey
        let now = Date()
        func approval(_ guardian: Ed25519.KeyPair? = nil, subject: [UInt8]? = nil, contact: [UInt8]? = nil,
                      expiresIn: Duration = .seconds(3600), at time: Date? = nil) throws -> ContactApproval {
            try ContactApproval.create(guardianKey: guardian ?? f.guardian, subject: subject ?? f.subject,
                                       contactKey: contact ?? key, expiresIn: expiresIn, now: time ?? now)
        }
        var kid = ContactBook()
        let refusals: [(ContactApproval?, ContactsError)] = [
            (nil, .invalidApproval(.missing)),
            (try approval(f.otherGuardian), .invalidApproval(.wrongGuardian)),
            (try approval(subject: f.otherSubject), .invalidApproval(.anotherProfile)),
            (try approval(contact: f.otherContact.publicKey), .invalidApproval(.anotherContact)),
            (try approval(expiresIn: .seconds(10), at: now.addingTimeInterval(-20)),
             .invalidApproval(.expired(at: unixSeconds(now.addingTimeInterval(-10).timeIntervalSince1970)))),
        ]
        for (given, expected) in refusals {
            #expect(throws: expected) { _ = try kid.accept(uri: invitation.uri, supervision: supervision, approval: given) }
            #expect(kid == ContactBook())  // nothing kept
        }
        // Not supervised: an approval is a mistake, said so.
        #expect(throws: ContactsError.self) { _ = try kid.accept(uri: invitation.uri, supervision: nil, approval: try approval()) }

        let good = try approval()
        let acceptance = try kid.accept(uri: invitation.uri, supervision: supervision, approval: good)
        #expect(kid.pendingAcceptances.first?.approval == good.text)
        let confirmation = try inviter.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox)
        try kid.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox)
        #expect(kid.contacts.first?.approval == good.text)  // moved to the contact
        #expect(supervision.problem(of: kid.contacts[0], now: now) == nil)
        #expect(supervision.problem(of: kid.contacts[0], now: now.addingTimeInterval(7200)) == .expired(at: good.expiry))
    }

    @Test func policyInviterSideContactAwaitsApprovalUntilInstalled() throws {
        let home = try PolicyHome(supervised: true)
        defer { home.scratch.remove() }
        let supervision = try #require(try Supervision.of(home.store))
        #expect(supervision.subject == (try home.store.identifier()))
        var kid = try home.book(), friend = ContactBook()
        try establish(inviter: &kid, invitee: &friend)
        try home.save(kid)
        let contact = kid.contacts[0]
        #expect(contact.approval == nil && supervision.problem(of: contact) == .missing)
        #expect(throws: ContactsError.callRefused(.unapproved(.missing))) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [contact.id], participants: 2)
        }
        let request = try supervision.request(contactKey: try contact.peerSigningPublicKey())
        let other = try Ed25519.generateKeyPair()
        let wrong = try ContactApproval.create(guardianKey: other, subject: request.subject, contactKey: request.contactKey)
        #expect(throws: ContactsError.invalidApproval(.wrongGuardian)) { try kid.installApproval(wrong, supervision: supervision) }
        let stranger = try ContactApproval.create(guardianKey: home.guardian, subject: request.subject, contactKey: other.publicKey)
        #expect { try kid.installApproval(stranger, supervision: supervision) } throws: { "\($0)".contains("none of your contacts") }
        #expect(kid.contacts[0].approval == nil)

        let approval = try request.approve(with: home.guardian)
        try kid.installApproval(approval, supervision: supervision)
        try home.save(kid)
        #expect(try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [contact.id], participants: 2) == .allowed)
        // A damaged stored approval refuses, never allows.
        kid.contacts[0].approval = "parley-approval:AAAA"
        try home.save(kid)
        #expect { try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [contact.id], participants: 2) } throws: {
            guard case .callRefused(.unapproved(.damaged)) = $0 as? ContactsError else { return false }
            return true
        }
    }

    @Test func policyCheckBeforeCallRefusesStrangersAndBlockedContacts() throws {
        let home = try PolicyHome()
        defer { home.scratch.remove() }
        var book = try home.book(), friend = ContactBook()
        try establish(inviter: &book, invitee: &friend)
        try home.save(book)
        let id = book.contacts[0].id
        #expect(try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 2) == .allowed)
        #expect(throws: ContactsError.callRefused(.notAContact)) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: ["bm90IGEgY29udGFjdA=="], participants: 2)
        }
        try book.setBlocked(true, contact: book.contacts[0].shortID)
        try home.save(book)
        #expect(throws: ContactsError.callRefused(.blocked)) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 2)
        }
        try book.setBlocked(false, contact: id)
        try home.save(book)
        #expect(try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 2) == .allowed)
        #expect(throws: ContactsError.self) { try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [], participants: 2) }
        #expect(throws: ContactsError.self) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id, id], participants: 2)
        }
    }

    @Test func policyLicenseInstallChecksEverythingAndGroupCallsUseIt() throws {
        let home = try PolicyHome(issuer: true)
        defer { home.scratch.remove() }
        var book = try home.book(), friend = ContactBook()
        try establish(inviter: &book, invitee: &friend)
        try home.save(book)
        let id = book.contacts[0].id
        let identifier = try home.store.identifier()
        let profile = try home.store.load()
        let licenses = LicenseStore(directory: home.directory)
        let other = try Ed25519.generateKeyPair()
        let now = Date()
        func license(_ key: Ed25519.KeyPair? = nil, licensee: [UInt8]? = nil, maximum: Int = 4,
                     expiresIn: Duration = .seconds(3600), at time: Date? = nil) throws -> String {
            try Entitlement.create(issuerKey: key ?? home.issuer, licensee: licensee ?? identifier, maximumParticipants: maximum,
                                   expiresIn: expiresIn, now: time ?? now).text
        }
        #expect(throws: ContactsError.callRefused(.unlicensed(participants: 3, .missing))) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 3)
        }
        var tampered = Array(try license().utf8)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let refusals: [(String, LicenseProblem)] = [
            (try license(other), .wrongIssuer),
            (try license(licensee: [UInt8](repeating: 7, count: 32)), .anotherLicensee),
            (String(decoding: tampered, as: UTF8.self), .damaged("its signature does not match")),
            (try license(expiresIn: .seconds(10), at: now.addingTimeInterval(-20)),
             .expired(at: unixSeconds(now.addingTimeInterval(-10).timeIntervalSince1970))),
        ]
        for (text, problem) in refusals {
            #expect(throws: ContactsError.licenseInstallRefused(problem)) {
                try licenses.install(text: text, profile: profile, identifier: identifier, now: now)
            }
            #expect(!licenses.exists)
        }
        var unconfigured = profile
        unconfigured.issuerKey = nil
        #expect { try licenses.install(text: try license(), profile: unconfigured, identifier: identifier) } throws: {
            ($0 as? ContactsError) == .licenseInstallRefused(.noIssuerConfigured) && "\($0)".contains("--issuer-key")
        }
        #expect(try licenses.status(profile: profile, identifier: identifier) == .none)

        try licenses.install(text: try license(maximum: 4), profile: profile, identifier: identifier)
        #expect(storeFileMode(licenses.path) == 0o600)
        guard case .valid(let installed) = try licenses.status(profile: profile, identifier: identifier) else {
            Issue.record("the installed license is not valid")
            return
        }
        #expect(installed.maximumParticipants == 4)
        for participants in [2, 3, 4] {
            #expect(try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: participants) == .allowed)
        }
        #expect(throws: ContactsError.callRefused(.unlicensed(participants: 5, .tooSmall(maximum: 4)))) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 5)
        }
        // Later: expired, and the call check says so.
        let later = now.addingTimeInterval(7200)
        #expect(throws: ContactsError.callRefused(.unlicensed(participants: 3, .expired(at: installed.expiry)))) {
            try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 3, now: later)
        }
        #expect(try licenses.status(profile: profile, identifier: identifier, now: later) == .invalid(installed, .expired(at: installed.expiry)))
        // A damaged license file refuses group calls and leaves two-person calls alone.
        try DurableFile.write(Array("parley-license:garbage\n".utf8), to: licenses.path)
        #expect(throws: ContactsError.self) { try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 3) }
        #expect(try CallPolicy.checkBeforeCall(directory: home.directory, contactIDs: [id], participants: 2) == .allowed)
    }

    @Test func policySigningKeyFilesArePrivateAndNotInterchangeable() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("keys/guardian.key")
        let (made, created) = try SigningKeyFile.loadOrCreate(at: path, purpose: .guardian)
        #expect(created)
        #expect(storeFileMode(path) == 0o600)
        let (again, createdAgain) = try SigningKeyFile.loadOrCreate(at: path, purpose: .guardian)
        #expect(!createdAgain && again.publicKey == made.publicKey)
        #expect { _ = try SigningKeyFile.create(at: path, purpose: .guardian) } throws: { "\($0)".contains("never replaced") }
        #expect { _ = try SigningKeyFile.load(from: path, purpose: .issuer) } throws: { "\($0)".contains("holds a guardian key") }
        try DurableFile.write(Array("parley-issuer-secret-key:short\n".utf8), to: scratch.file("bad.key"))
        #expect(throws: ContactsError.self) { _ = try SigningKeyFile.load(from: scratch.file("bad.key"), purpose: .issuer) }
        #expect(throws: ContactsError.self) { _ = try SigningKeyFile.load(from: scratch.file("none.key"), purpose: .issuer) }
        // The key signs: an approval made with it verifies against its public key.
        let approval = try ContactApproval.create(guardianKey: again, subject: [UInt8](repeating: 1, count: 32),
                                                  contactKey: made.publicKey)
        try approval.verify(guardianPublicKey: made.publicKey, subject: [UInt8](repeating: 1, count: 32), contactKey: made.publicKey)
    }
}
