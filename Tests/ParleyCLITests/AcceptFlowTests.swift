import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

@Suite("parley accept and parley contacts sync through the relay")
struct AcceptFlowTests {
    /// A `parley relay --listen 127.0.0.1:0` and its port.
    final class Relay {
        let process = Process()
        let port: Int
        init() throws {
            process.executableURL = try ParleyExecutable.url()
            process.arguments = ["relay", "--listen", "127.0.0.1:0"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            let handle = output.fileHandleForReading
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let port = Int(text.split(separator: ":").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")
            else {
                process.terminate()
                throw ParleyExecutable.LookupError.notFound(searched: ["relay port in \(text)"])
            }
            self.port = port
        }
        deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    private func profile(_ name: String) throws -> [String: String] {
        let dir = try Fixtures.scratchDirectory("parley-accept").appendingPathComponent(name.lowercased())
        let env = ["PARLEY_HOME": dir.path]
        let result = try ParleyExecutable.run(["init", "--name", name], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        return env
    }

    private func parley(_ arguments: [String], _ env: [String: String]) throws -> ParleyExecutable.Result {
        try ParleyExecutable.run(arguments, environment: env)
    }

    private func book(_ env: [String: String]) throws -> ContactBook {
        try ContactBook.store(in: env["PARLEY_HOME"]!).load()
    }

    @Test func acceptThroughTheRelayEstablishesTheSameContactOnBothSides() throws {
        let relay = try Relay()
        let alice = try profile("Alice")
        let bob = try profile("Bob")
        let invite = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only"], alice)
        #expect(invite.status == 0, "\(invite.stderr)")
        let uri = invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let accept = try parley(["accept", uri], bob)
        #expect(accept.status == 0, "\(accept.stderr)")
        #expect(accept.stdout.contains("Accepted invitation"))
        #expect(try book(bob).pendingAcceptances.count == 1)

        let aliceSync = try parley(["contacts", "sync"], alice)
        #expect(aliceSync.status == 0, "\(aliceSync.stderr)")
        #expect(aliceSync.stdout.contains("Contact established"))
        let bobSync = try parley(["contacts", "sync"], bob)
        #expect(bobSync.status == 0, "\(bobSync.stderr)")
        #expect(bobSync.stdout.contains("Contact established"))

        let aliceBook = try book(alice)
        let bobBook = try book(bob)
        try #require(aliceBook.contacts.count == 1 && bobBook.contacts.count == 1)
        #expect(aliceBook.pendingInvitations.isEmpty && bobBook.pendingAcceptances.isEmpty)
        let a = aliceBook.contacts[0], b = bobBook.contacts[0]
        #expect(a.root == b.root)
        #expect(Data(base64Encoded: a.root)?.count == 32)
        #expect(a.id == b.id && a.role == .inviter && b.role == .acceptor)
        #expect(a.peerSigningKey != b.peerSigningKey)
        #expect(a.mailbox == b.peerMailbox && b.mailbox == a.peerMailbox)

        for env in [alice, bob] {
            let list = try parley(["contacts", "list"], env)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.hasPrefix("1 contact\n"), "\(list.stdout)")
            let contact = env == alice ? a : b
            for secret in [contact.root, contact.signingSecretKey, contact.agreementPrivateKey, contact.peerSigningKey] {
                #expect(!list.stdout.contains(secret))
            }
        }

        // Nothing more to do: a second sync is quiet and changes nothing.
        let again = try parley(["contacts", "sync"], bob)
        #expect(again.status == 0 && again.stdout.contains("Nothing new"), "\(again.stdout)\(again.stderr)")

        // Bob cannot accept twice; a second acceptance of the same URI (Carol's) is a replay.
        let twice = try parley(["accept", uri], bob)
        #expect(twice.status != 0 && twice.stderr.hasPrefix("parley: error: "), "\(twice.stderr)")
        let carol = try profile("Carol")
        let replay = try parley(["accept", uri], carol)
        #expect(replay.status == 0, "\(replay.stderr)")
        let refused = try parley(["contacts", "sync"], alice)
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("parley: error: ") && refused.stderr.contains("replay"), "\(refused.stderr)")
        #expect(try book(alice).contacts == aliceBook.contacts)
        // The replayed envelope was dropped; Carol never gets a contact.
        #expect(try parley(["contacts", "sync"], alice).status == 0)
        let carolSync = try parley(["contacts", "sync"], carol)
        #expect(carolSync.status == 0 && carolSync.stdout.contains("Nothing new"))
        #expect(try book(carol).contacts.isEmpty)
    }

    @Test func acceptRefusesExpiredAndTamperedInvitations() throws {
        let relay = try Relay()
        let alice = try profile("Alice")
        let bob = try profile("Bob")
        let invite = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only", "--expires", "1s"], alice)
        let uri = invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let fresh = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only"], alice)
        let good = fresh.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        Thread.sleep(forTimeInterval: 2.1)
        let expired = try parley(["accept", uri], bob)
        #expect(expired.status != 0)
        #expect(expired.stderr.hasPrefix("parley: error: ") && expired.stderr.contains("expired"), "\(expired.stderr)")

        var chars = Array(good)
        let index = chars.count / 2
        chars[index] = chars[index] == "A" ? "B" : "A"
        let tampered = try parley(["accept", String(chars)], bob)
        #expect(tampered.status != 0)
        #expect(tampered.stderr.hasPrefix("parley: error: "), "\(tampered.stderr)")
        #expect(try book(bob).pendingAcceptances.isEmpty)
    }

    @Test func acceptWithoutARelayFailsCleanly() throws {
        let alice = try profile("Alice")
        let bob = try profile("Bob")
        let invite = try parley(["invite", "--relay", "127.0.0.1:9", "--uri-only"], alice)
        let uri = invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let accept = try parley(["accept", uri], bob)
        #expect(accept.status != 0)
        #expect(accept.stderr.hasPrefix("parley: error: ") && accept.stderr.contains("relay"), "\(accept.stderr)")
        #expect(try book(bob).pendingAcceptances.isEmpty)
    }

    /// The library flow without a network: both roots agree; a tampered confirmation is refused.
    @Test func acceptLibraryFlowAgrees() throws {
        var alice = ContactBook()
        var bob = ContactBook()
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400")
        alice.add(invitation, secrets: secrets)
        let acceptance = try bob.accept(uri: invitation.uri)
        #expect(acceptance.mailbox == (try ContactMailboxes.inviter(invitationID: invitation.invitationID)))
        var confirmation = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox)
        var tampered = confirmation.bytes
        tampered[20] ^= 1
        var bobCopy = bob
        #expect(throws: ContactsError.self) { try bobCopy.receiveConfirmation(tampered, inMailbox: confirmation.mailbox) }
        try bob.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox)
        #expect(alice.contacts.first?.root == bob.contacts.first?.root)
        #expect(throws: ContactsError.invitationAlreadyAccepted) {
            confirmation = try alice.receiveAcceptance(acceptance.bytes, inMailbox: acceptance.mailbox)
        }
    }

    /// A store written before contacts existed (pending invitations only) still decodes.
    @Test func acceptOldContactBookStillDecodes() throws {
        let old = Data(#"{"pendingInvitations":[]}"#.utf8)
        let book = try JSONDecoder().decode(ContactBook.self, from: old)
        #expect(book.contacts.isEmpty && book.pendingAcceptances.isEmpty && book.pendingInvitations.isEmpty)
    }
}
