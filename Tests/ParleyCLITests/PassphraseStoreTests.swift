import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

@Suite("A contact store locked with a passphrase (Argon2id) instead of a key file")
struct PassphraseStoreTests {
    @Test func initWithAPassphraseLocksTheStoreAndEveryCommandNeedsIt() throws {
        let home = try Fixtures.scratchDirectory("parley-passphrase").appendingPathComponent("alice").path
        let passphrase = "correct horse battery staple"
        let env = ["PARLEY_HOME": home, "PARLEY_PASSPHRASE": passphrase]
        let created = try ParleyExecutable.run(["init", "--name", "Alice", "--passphrase"], environment: env)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("locked with your passphrase"))
        #expect(!FileManager.default.fileExists(atPath: home + "/store.key"), "no key file next to the store")
        #expect(ContactBook.isPassphraseLocked(in: home))

        let invite = try ParleyExecutable.run(["invite", "--relay", "127.0.0.1:7400", "--uri-only"], environment: env)
        #expect(invite.status == 0, "\(invite.stderr)")
        let book: ContactBook = try ContactBook.store(in: home, environment: env).load()
        #expect(book.pendingInvitations.count == 1, "the invitation was saved under the passphrase")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: home + "/contacts.store"))
        #expect(bytes.range(of: Data(invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines).utf8)) == nil,
                "the store is encrypted: the invitation URI is not in it")

        // Without the passphrase (and no terminal to ask on): a clear error, nothing changed.
        let without = try ParleyExecutable.run(["contacts", "list"], environment: ["PARLEY_HOME": home])
        #expect(without.status != 0)
        #expect(without.stderr.contains("PARLEY_PASSPHRASE"), "\(without.stderr)")
        // A wrong passphrase does not open it.
        let wrong = try ParleyExecutable.run(["contacts", "list"], environment: ["PARLEY_HOME": home, "PARLEY_PASSPHRASE": "not the passphrase"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("contacts.store"), "\(wrong.stderr)")
        let list = try ParleyExecutable.run(["contacts", "list"], environment: env)
        #expect(list.status == 0, "\(list.stderr)")
    }

    @Test func aShortOrMissingPassphraseIsRefusedBeforeAnythingIsCreated() throws {
        let home = try Fixtures.scratchDirectory("parley-passphrase").appendingPathComponent("bob").path
        let short = try ParleyExecutable.run(["init", "--name", "Bob", "--passphrase"],
                                             environment: ["PARLEY_HOME": home, "PARLEY_PASSPHRASE": "short"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("at least 8"), "\(short.stderr)")
        let missing = try ParleyExecutable.run(["init", "--name", "Bob", "--passphrase"], environment: ["PARLEY_HOME": home])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("PARLEY_PASSPHRASE"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home + "/profile.json"), "nothing created without a passphrase")
    }
}
