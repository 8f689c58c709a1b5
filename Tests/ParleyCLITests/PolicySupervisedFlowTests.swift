import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

@Suite("supervised profiles, guardian approvals and blocked contacts through the CLI")
struct PolicySupervisedFlowTests {
    @Test func policyGuardianKeyIsMadeOnceAndPrivate() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let env = cli.home("Guardian")
        let first = try cli.parley(["guardian", "key"], env)
        #expect(first.status == 0 && first.stdout.contains("Created the guardian key"), "\(first.stderr)")
        let path = env["PARLEY_HOME"]! + "/guardian.key"
        let mode = ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let second = try cli.parley(["guardian", "key"], env)
        #expect(second.status == 0 && !second.stdout.contains("Created"))
        let key = try #require(cli.line(first.stdout, "Guardian public key: "))
        #expect(cli.line(second.stdout, "Guardian public key: ") == key)
        #expect(Data(base64Encoded: String(key.dropFirst("Guardian public key: ".count)))?.count == 32)
    }

    @Test func policyInitValidatesKeysAndPrintsTheIdentifier() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        for (option, bad) in [("--supervised-by", "not-a-key!"), ("--supervised-by", "aGVsbG8="), ("--issuer-key", "")] {
            let env = cli.home("Bad")
            let result = try cli.parley(["init", "--name", "Kid", option, bad], env)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("parley: error: ") && result.stderr.contains(option), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: env["PARLEY_HOME"]! + "/profile.json"))
        }
        let (_, key) = try cli.guardian("Guardian")
        let urlSafe = key.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let env = cli.home("Kid")
        let result = try cli.parley(["init", "--name", "Kid", "--supervised-by", urlSafe], env)
        #expect(result.status == 0, "\(result.stderr)")
        let profile = try ProfileStore(directory: env["PARLEY_HOME"]!).load()
        #expect(profile.supervisedBy == key)
        let identifier = try #require(profile.identifier)
        #expect(result.stdout.contains("Profile identifier: \(identifier)"))
        #expect(result.stdout.contains("Supervised by"))
        // The identifier is never put in an invitation.
        let invite = try cli.parley(["invite", "--uri-only"], env)
        let invitation = try Invitation.parse(uri: invite.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let bytes = try #require(Profile.identifierBytes(identifier))
        #expect(!invitation.encoded.windowsContain(bytes.prefix(8)))
    }

    @Test func policySupervisedAcceptIsRefusedWithoutApprovalThenAcceptedWithIt() throws {
        let relay = try AcceptFlowTests.Relay()
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let (guardian, key) = try cli.guardian("Guardian")
        let kid = try cli.profile("Kid", ["--supervised-by", key])
        let friend = try cli.profile("Friend")
        let uri = try cli.invite(friend, relay)

        let refused = try cli.parley(["accept", uri], kid)
        #expect(refused.status != 0)
        #expect(refused.stderr.hasPrefix("parley: error: ") && refused.stderr.contains("approval"), "\(refused.stderr)")
        let request = try #require(cli.line(refused.stdout, "parley-approval-request:"), "\(refused.stdout)")
        #expect(refused.stdout.contains("--approval"))
        // Nothing stored, nothing sent: the inviter finds no acceptance at the relay.
        #expect(try cli.book(kid).pendingAcceptances.isEmpty)
        let quiet = try cli.parley(["contacts", "sync"], friend)
        #expect(quiet.status == 0 && quiet.stdout.contains("Nothing new"), "\(quiet.stdout)\(quiet.stderr)")

        let approve = try cli.parley(["contacts", "approve", request, "--expires", "30d"], guardian)
        #expect(approve.status == 0, "\(approve.stderr)")
        let approval = try #require(cli.line(approve.stdout, "parley-approval:"), "\(approve.stdout)")
        let parsed = try ContactApproval.parse(text: approval)
        #expect(abs(Double(parsed.expiry) - Date().timeIntervalSince1970 - 30 * 86_400) < 120)

        let accepted = try cli.parley(["accept", uri, "--approval", approval], kid)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try cli.book(kid).pendingAcceptances.first?.approval == approval)
        #expect(try cli.parley(["contacts", "sync"], friend).stdout.contains("Contact established"))
        #expect(try cli.parley(["contacts", "sync"], kid).stdout.contains("Contact established"))
        let contact = try #require(try cli.book(kid).contacts.first)
        #expect(contact.approval == approval)
        let check = try cli.parley(["contacts", "check", contact.shortID], kid)
        #expect(check.status == 0 && check.stdout.hasPrefix("allowed"), "\(check.stdout)\(check.stderr)")
        let list = try cli.parley(["contacts", "list"], kid)
        #expect(list.stdout.contains("approved by your guardian until"), "\(list.stdout)")
    }

    @Test func policySupervisedAcceptRefusesApprovalsFromAnotherGuardianContactSubjectOrExpired() throws {
        let relay = try AcceptFlowTests.Relay()
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let (guardian, key) = try cli.guardian("Guardian")
        let (otherGuardian, otherKey) = try cli.guardian("OtherGuardian")
        let kid = try cli.profile("Kid", ["--supervised-by", key])
        let sibling = try cli.profile("Sibling", ["--supervised-by", key])
        let neighbour = try cli.profile("Neighbour", ["--supervised-by", otherKey])
        let friend = try cli.profile("Friend")
        let uri = try cli.invite(friend, relay)
        let otherURI = try cli.invite(friend, relay)

        func request(_ env: [String: String], _ uri: String) throws -> String {
            let result = try cli.parley(["contacts", "request", uri], env)
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func approve(_ guardian: [String: String], _ request: String, _ extra: [String] = []) throws -> String {
            let result = try cli.parley(["contacts", "approve", request] + extra, guardian)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(cli.line(result.stdout, "parley-approval:"), "\(result.stdout)")
        }
        // A guardian cannot answer a request addressed to another guardian.
        let misdirected = try cli.parley(["contacts", "approve", try request(kid, uri)], otherGuardian)
        #expect(misdirected.status != 0 && misdirected.stderr.contains("another guardian key"), "\(misdirected.stderr)")

        let expiring = try approve(guardian, try request(kid, uri), ["--expires", "1s"])
        let cases: [(String, String)] = [
            (try approve(otherGuardian, try request(neighbour, uri)), "signed by another guardian"),
            (try approve(guardian, try request(kid, otherURI)), "for another contact"),
            (try approve(guardian, try request(sibling, uri)), "for another supervised profile"),
            (String(expiring.dropLast(3)) + "AAA", "damaged or was altered"),
        ]
        for (approval, reason) in cases {
            let result = try cli.parley(["accept", uri, "--approval", approval], kid)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("parley: error: approval refused: ") && result.stderr.contains(reason), "\(result.stderr)")
            #expect(try cli.book(kid).pendingAcceptances.isEmpty)
        }
        Thread.sleep(forTimeInterval: 2.1)
        let expired = try cli.parley(["accept", uri, "--approval", expiring], kid)
        #expect(expired.status != 0 && expired.stderr.contains("expired"), "\(expired.stderr)")
        #expect(try cli.book(kid).pendingAcceptances.isEmpty)
        // Nothing reached the relay.
        let quiet = try cli.parley(["contacts", "sync"], friend)
        #expect(quiet.status == 0 && quiet.stdout.contains("Nothing new"), "\(quiet.stdout)\(quiet.stderr)")
        // An unsupervised profile is told it needs no approval.
        let unneeded = try cli.parley(["accept", uri, "--approval", expiring], try cli.profile("Stranger"))
        #expect(unneeded.status != 0 && unneeded.stderr.contains("not supervised"), "\(unneeded.stderr)")
    }

    @Test func policyInviterSideContactAwaitsApprovalThenIsAllowed() throws {
        let relay = try AcceptFlowTests.Relay()
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let (guardian, key) = try cli.guardian("Guardian")
        let (otherGuardian, _) = try cli.guardian("OtherGuardian")
        let kid = try cli.profile("Kid", ["--supervised-by", key])
        let friend = try cli.profile("Friend")
        // The kid invited: the contact is established, but awaits the guardian's approval.
        let id = try cli.establish(inviter: kid, acceptor: friend, relay)
        #expect(try cli.book(kid).contacts.first?.approval == nil)
        let list = try cli.parley(["contacts", "list"], kid)
        #expect(list.stdout.contains("awaiting your guardian's approval"), "\(list.stdout)")
        let request = try #require(cli.line(list.stdout, "parley-approval-request:"), "\(list.stdout)")

        let refused = try cli.parley(["contacts", "check", id], kid)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("parley: error: call refused: ") && refused.stderr.contains("no valid guardian approval"),
                "\(refused.stderr)")

        // An approval from another guardian is not installed.
        let foreign = try cli.parley(["contacts", "approve", request], otherGuardian)
        #expect(foreign.status != 0)
        let approve = try cli.parley(["contacts", "approve", request, "--expires", "7d"], guardian)
        #expect(approve.status == 0, "\(approve.stderr)")
        let approval = try #require(cli.line(approve.stdout, "parley-approval:"))
        let install = try cli.parley(["contacts", "approve", approval], kid)
        #expect(install.status == 0 && install.stdout.contains("Installed"), "\(install.stdout)\(install.stderr)")
        #expect(try cli.book(kid).contacts.first?.approval == approval)

        let allowed = try cli.parley(["contacts", "check", id], kid)
        #expect(allowed.status == 0 && allowed.stdout.hasPrefix("allowed"), "\(allowed.stdout)\(allowed.stderr)")
        #expect(!(try cli.parley(["contacts", "list"], kid)).stdout.contains("awaiting"))
        // Installing on a profile that is not supervised, or garbage, is refused clearly.
        let notSupervised = try cli.parley(["contacts", "approve", approval], friend)
        #expect(notSupervised.status != 0 && notSupervised.stderr.contains("not supervised"), "\(notSupervised.stderr)")
        let garbage = try cli.parley(["contacts", "approve", "hello"], kid)
        #expect(garbage.status != 0 && garbage.stderr.contains("parley-approval-request:"), "\(garbage.stderr)")
    }

    @Test func policyBlockedContactIsRefusedAndUnblockedAllowed() throws {
        let relay = try AcceptFlowTests.Relay()
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let alice = try cli.profile("Alice")
        let bob = try cli.profile("Bob")
        let id = try cli.establish(inviter: alice, acceptor: bob, relay)
        #expect(try cli.parley(["contacts", "check", id], alice).status == 0)

        let block = try cli.parley(["contacts", "block", id], alice)
        #expect(block.status == 0 && block.stdout.contains("Blocked"), "\(block.stderr)")
        #expect(try cli.book(alice).contacts.first?.isBlocked == true)
        let refused = try cli.parley(["contacts", "check", id], alice)
        #expect(refused.status == 1 && refused.stderr.contains("blocked"), "\(refused.stderr)")
        #expect(try cli.parley(["contacts", "list"], alice).stdout.contains("blocked: their calls are refused"))

        let unblock = try cli.parley(["contacts", "unblock", id], alice)
        #expect(unblock.status == 0, "\(unblock.stderr)")
        let allowed = try cli.parley(["contacts", "check", id], alice)
        #expect(allowed.status == 0 && allowed.stdout.hasPrefix("allowed"), "\(allowed.stderr)")
        #expect(!(try cli.parley(["contacts", "list"], alice)).stdout.contains("blocked"))

        let unknown = try cli.parley(["contacts", "block", "nobody"], alice)
        #expect(unknown.status != 0 && unknown.stderr.contains("no contact matches"), "\(unknown.stderr)")
    }
}

extension Array where Element == UInt8 {
    /// True if `needle` occurs in these bytes.
    func windowsContain(_ needle: ArraySlice<UInt8>) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
