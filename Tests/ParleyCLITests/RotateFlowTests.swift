import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

/// `parley contacts rotate`, names in `parley contacts list`, and pruning by `sync`/`list`,
/// with a real `parley relay` and two profile directories.
@Suite("parley contacts rotate, names and pruning through the relay")
struct ContactsRotateFlowTests {
    private func profile(_ name: String) throws -> [String: String] {
        let dir = try Fixtures.scratchDirectory("parley-rotate").appendingPathComponent(name.lowercased())
        let env = ["PARLEY_HOME": dir.path]
        let result = try ParleyExecutable.run(["init", "--name", name], environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        return env
    }

    private func parley(_ arguments: [String], _ env: [String: String]) throws -> ParleyExecutable.Result {
        let result = try ParleyExecutable.run(arguments, environment: env)
        #expect(result.status == 0, "parley \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    private func book(_ env: [String: String]) throws -> ContactBook {
        try ContactBook.store(in: env["PARLEY_HOME"]!).load()
    }

    /// Alice invites Bob; both sync: an established contact on each side.
    private func connect(_ relay: AcceptFlowTests.Relay) throws -> (alice: [String: String], bob: [String: String]) {
        let alice = try profile("Alice")
        let bob = try profile("Bob Builder")
        let invite = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only"], alice)
        let uri = invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!uri.contains("Alice"))
        _ = try parley(["accept", uri], bob)
        #expect(try parley(["contacts", "sync"], alice).stdout.contains("Contact established"))
        #expect(try parley(["contacts", "sync"], bob).stdout.contains("Contact established"))
        return (alice, bob)
    }

    @Test func contactsRotateThroughTheRelaySwitchesBothSidesToKey1() throws {
        let relay = try AcceptFlowTests.Relay()
        let (alice, bob) = try connect(relay)
        let shortID = try #require(try book(alice).contacts.first?.shortID)

        // Each side knows the other's name.
        let aliceList = try parley(["contacts", "list"], alice).stdout
        let bobList = try parley(["contacts", "list"], bob).stdout
        #expect(aliceList.contains("\(shortID)  Bob Builder  key 0,"), "\(aliceList)")
        #expect(bobList.contains("\(shortID)  Alice  key 0,"), "\(bobList)")

        let rotate = try parley(["contacts", "rotate", "Bob Builder"], alice)
        #expect(rotate.stdout.contains("Asked \(shortID) Bob Builder to rotate to key 1"), "\(rotate.stdout)")
        #expect(try parley(["contacts", "list"], alice).stdout.contains("key 0 (rotation to key 1 requested)"))

        let bobAnswers = try parley(["contacts", "sync"], bob)
        #expect(bobAnswers.stdout.contains("answered \(shortID) Alice's request"), "\(bobAnswers.stdout)")
        let aliceSwitches = try parley(["contacts", "sync"], alice)
        #expect(aliceSwitches.stdout.contains("now using key 1 with \(shortID) Bob Builder"), "\(aliceSwitches.stdout)")
        let bobSwitches = try parley(["contacts", "sync"], bob)
        #expect(bobSwitches.stdout.contains("now using key 1 with \(shortID) Alice"), "\(bobSwitches.stdout)")
        let aliceWipes = try parley(["contacts", "sync"], alice)
        #expect(aliceWipes.stdout.contains("old key 0 wiped"), "\(aliceWipes.stdout)")

        for env in [alice, bob] {
            let list = try parley(["contacts", "list"], env).stdout
            #expect(list.contains("  key 1, "), "\(list)")
            #expect(!list.contains("waiting") && !list.contains("kept") && !list.contains("requested"), "\(list)")
        }
        let a = try #require(try book(alice).contacts.first)
        let b = try #require(try book(bob).contacts.first)
        #expect(a.root == b.root && a.keyIndex == 1 && b.keyIndex == 1 && a.secondKey == nil && b.secondKey == nil)

        // Nothing left: quiet syncs. Then Bob rotates by short id, to key 2.
        #expect(try parley(["contacts", "sync"], bob).stdout.contains("Nothing new"))
        _ = try parley(["contacts", "rotate", shortID.uppercased()], bob)
        for env in [alice, bob, alice, bob] { _ = try parley(["contacts", "sync"], env) }
        #expect(try parley(["contacts", "list"], alice).stdout.contains("  key 2, "))
        #expect(try parley(["contacts", "list"], bob).stdout.contains("  key 2, "))
        #expect(try book(alice).contacts.first?.root == book(bob).contacts.first?.root)

        // Unknown contacts are refused clearly, and nothing changes.
        let unknown = try ParleyExecutable.run(["contacts", "rotate", "Carol"], environment: alice)
        #expect(unknown.status != 0 && unknown.stderr.hasPrefix("parley: error: ") && unknown.stderr.contains("no contact"),
                "\(unknown.stderr)")
        #expect(try book(alice).contacts.first?.rotation == nil)
    }

    @Test func contactsSyncAndListDropExpiredInvitations() throws {
        let relay = try AcceptFlowTests.Relay()
        let alice = try profile("Alice")
        _ = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only", "--expires", "1s"], alice)
        _ = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only"], alice)
        #expect(try book(alice).pendingInvitations.count == 2)
        Thread.sleep(forTimeInterval: 2.1)
        let sync = try parley(["contacts", "sync"], alice)
        #expect(sync.stdout.contains("Dropped 1 expired invitation(s) and 0 expired acceptance(s)"), "\(sync.stdout)")
        #expect(sync.stdout.contains("1 invitation(s) and 0 acceptance(s) pending"), "\(sync.stdout)")
        #expect(try book(alice).pendingInvitations.count == 1)
        #expect(!(try parley(["contacts", "sync"], alice).stdout.contains("Dropped")))

        _ = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only", "--expires", "1s"], alice)
        Thread.sleep(forTimeInterval: 2.1)
        let list = try parley(["contacts", "list"], alice)
        #expect(list.stdout.hasPrefix("Dropped 1 expired invitation(s)"), "\(list.stdout)")
        #expect(try book(alice).pendingInvitations.count == 1)
    }
}
