import Foundation
import ParleyContacts
import ParleyMedia
import ParleyTestSupport
import Testing

/// Group calls across processes: `parley call A --with B` hosts a mesh, each member's
/// `parley listen` joins it; every pair finds its own ICE path (link messages through the
/// host) and keys; a real `parley relay` carries the sealed signaling.
@Suite("parley call --with: mesh group calls between processes", .serialized)
struct GroupCallCommandTests {
    /// A relay; Alice with a group license (issuer key in her profile, a license for 4
    /// people installed); Bob and Carol as her contacts (not each other's).
    struct Group {
        let cli: PolicyCLI
        let relay: AcceptFlowTests.Relay
        let alice: [String: String], bob: [String: String], carol: [String: String]
        let bobID: String, carolID: String

        init() throws {
            cli = try PolicyCLI()
            relay = try AcceptFlowTests.Relay()
            let file = cli.root.appendingPathComponent("issuer.key").path
            let issuer = try cli.parley(["license", "issuer-key", "--out", file])
            #expect(issuer.status == 0, "\(issuer.stderr)")
            let key = try #require(cli.line(issuer.stdout, "Issuer public key: ")).dropFirst("Issuer public key: ".count)
            alice = try cli.profile("Alice", ["--issuer-key", String(key)])
            let show = try cli.parley(["license", "show", "--json"], alice)
            let identifier = try #require((try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])?["identifier"] as? String)
            let token = try cli.parley(["license", "issue", "--issuer-key-file", file, "--licensee", identifier, "--max-participants", "4",
                                        "--expires", "30d"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let install = try cli.parley(["license", "install", token], alice)
            #expect(install.status == 0, "\(install.stderr)")
            bob = try cli.profile("Bob")
            carol = try cli.profile("Carol")
            bobID = try cli.establish(inviter: alice, acceptor: bob, relay)
            carolID = try cli.establish(inviter: alice, acceptor: carol, relay)
        }

        func out(_ name: String) -> String { cli.root.appendingPathComponent("\(name)-out").path }
    }

    static func report(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("report.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("three people in a mesh across three processes: each hears and sees the two others, on host pairs, with its own keys per pair")
    func threePartyMesh() async throws {
        let group = try Group()
        defer { withExtendedLifetime(group.relay) { group.cli.remove() } }  // the relay runs to the end
        let talk = try group.cli.talkWAV()
        let common = ["--audio", talk, "--video", Fixtures.path("motion-640x360.ivf"), "--duration", "4", "--local-address", "127.0.0.1"]
        let bob = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--out", group.out("bob")] + common, group.bob)
        let carol = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--out", group.out("carol")] + common, group.carol)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await group.cli.parleyAsync(["call", group.bobID, "--with", group.carolID, "--out", group.out("alice")] + common,
                                                   group.alice)
        let listenBob = try await bob.wait(), listenCarol = try await carol.wait()
        print("host:\n\(call.stdout)\nBob:\n\(listenBob.stdout)\nCarol:\n\(listenCarol.stdout)")
        #expect(call.status == 0, "call: \(call.stdout)\(call.stderr)")
        #expect(listenBob.status == 0, "Bob: \(listenBob.stdout)\(listenBob.stderr)")
        #expect(listenCarol.status == 0, "Carol: \(listenCarol.stdout)\(listenCarol.stderr)")
        #expect(call.stdout.contains("Bob joined") && call.stdout.contains("Carol joined"), "\(call.stdout)")
        for who in ["alice", "bob", "carol"] {
            let out = group.out(who)
            let report = try Self.report(out)
            let peers = report["peers"] as? [[String: Any]] ?? []
            #expect(peers.count == 2, "\(who): \(peers.count) links")
            for peer in peers {
                let name = peer["name"] as? String ?? "?"
                #expect((peer["packetsReceived"] as? Int ?? 0) >= 180, "\(who) ← \(name): \(peer["packetsReceived"] ?? "-") packets")
                let pair = peer["selectedPair"] as? [String: Any]
                #expect((pair?["local"] as? [String: Any])?["type"] as? String == "host", "\(who) ↔ \(name): \(pair ?? [:])")
                let receiver = peer["receiver"] as? [String: Any]
                #expect(receiver?["srtpAuthenticationFailures"] as? Int ?? 0 == 0, "\(who) ← \(name): \(receiver ?? [:])")
            }
            // The mix of the two others: their tones (the same file) while they talked.
            let rms = try CallCommandTests.rms((out as NSString).appendingPathComponent("received.wav"), from: 0.3, to: 1.8)
            #expect(rms > 0.1, "\(who): RMS \(rms)")
            try CallCommandTests.checkVideo(out, who: who, seconds: 4, peers: 2,
                                            senders: ["alice", "bob", "carol"].filter { $0 != who }.map { group.out($0) })
        }
        // Bob and Carol are not each other's contacts: they met through Alice's roster.
        #expect(listenBob.stdout.contains("Connected to") && listenBob.stdout.contains("Carol"), "\(listenBob.stdout)")
    }

    @Test("a member who vanishes mid-call: its links end after --silent-timeout and the others go on")
    func vanishedMemberGroupGoesOn() async throws {
        let group = try Group()
        defer { withExtendedLifetime(group.relay) { group.cli.remove() } }
        let talk = try group.cli.talkWAV()
        let common = ["--audio", talk, "--duration", "7", "--silent-timeout", "1.5", "--local-address", "127.0.0.1"]
        let bob = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--out", group.out("bob")] + common, group.bob)
        let carol = Process()
        carol.executableURL = try ParleyExecutable.url()
        carol.arguments = ["listen", "--auto-answer", "--once", "--out", group.out("carol")] + common
        carol.environment = ProcessInfo.processInfo.environment.merging(group.carol) { $1 }
        carol.standardOutput = FileHandle.nullDevice
        carol.standardError = FileHandle.nullDevice
        try carol.run()
        defer { if carol.isRunning { kill(carol.processIdentifier, SIGKILL) } }
        try await Task.sleep(for: .milliseconds(500))
        // Carol's process dies 3 s after the call starts: no BYE, nothing more from her.
        let pid = carol.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { kill(pid, SIGKILL) }
        let call = try await group.cli.parleyAsync(["call", group.bobID, "--with", group.carolID, "--out", group.out("alice")] + common,
                                                   group.alice)
        let listenBob = try await bob.wait()
        print("host:\n\(call.stdout)\nBob:\n\(listenBob.stdout)")
        #expect(call.status == 0, "call: \(call.stdout)\(call.stderr)")
        #expect(listenBob.status == 0, "Bob: \(listenBob.stdout)\(listenBob.stderr)")
        for (who, out) in [("Alice", group.out("alice")), ("Bob", group.out("bob"))] {
            let peers = try Self.report(out)["peers"] as? [[String: Any]] ?? []
            let toCarol = peers.first { ($0["name"] as? String ?? "").contains("Carol") }
            let other = peers.first { !($0["name"] as? String ?? "").contains("Carol") }
            #expect((toCarol?["endReason"] as? String ?? "").contains("vanished"), "\(who): \(toCarol ?? [:])")
            // The call went on to its end between the two who stayed: 7 s of packets.
            #expect((other?["packetsReceived"] as? Int ?? 0) >= 320, "\(who): \(other?["packetsReceived"] ?? "-") packets")
            // It ended with the call (Alice's BYE reaches Bob just before his own end), not earlier.
            #expect(other?["endedAfter"] == nil || (other?["endedAfter"] as? Double ?? 0) > 6.5, "\(who): \(other ?? [:])")
        }
    }
}
