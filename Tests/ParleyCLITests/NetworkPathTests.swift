import Foundation
import ParleyTestSupport
import Testing

/// Real calls between emulated hosts: network namespaces on a bridged LAN, one host behind
/// a NAT, one that reaches only the server. The server namespace runs `parley relay` and
/// coturn (STUN and TURN), both started and stopped here. Each case runs `parley listen`
/// and `parley call` inside their hosts and checks what arrived and which candidates ICE
/// used. Without root (no namespaces) the cases say so and do nothing.
///
///     LAN 10.77.0.0/24 (bridge):  srv .1 (relay :7000, coturn :3478)  alice .2  bea .3  nat .4
///     behind nat (masquerade):    bob 192.168.77.2, default route via nat
///     off to the side:            carol 10.78.0.2 — srv's second interface 10.78.0.1, and a
///                                 route to srv's 10.77.0.1 only (srv does not forward)
@Suite("calls across emulated hosts (network namespaces, NAT, TURN)", .serialized)
struct NetworkPathTests {
    static let turnSecret = "parley-netns-secret"

    final class World {
        let lab = NetnsLab()
        let root: URL
        let parley: String

        init() throws {
            root = try Fixtures.scratchDirectory("parley-netns")
            parley = try ParleyExecutable.url().path
            for name in ["lan", "srv", "alice", "bea", "nat", "bob", "carol"] { try lab.addNamespace(name) }
            try lab.link("srv", "eth0", "10.77.0.1/24", "lan", "psrv", nil)
            try lab.link("alice", "eth0", "10.77.0.2/24", "lan", "palice", nil)
            try lab.link("bea", "eth0", "10.77.0.3/24", "lan", "pbea", nil)
            try lab.link("nat", "eth0", "10.77.0.4/24", "lan", "pnat", nil)
            try lab.bridge(in: "lan", name: "br0", ports: ["psrv", "palice", "pbea", "pnat"])
            try lab.link("bob", "eth0", "192.168.77.2/24", "nat", "eth1", "192.168.77.1/24")
            try lab.exec("bob", ["ip", "route", "add", "default", "via", "192.168.77.1"])
            try lab.masquerade(in: "nat", outside: "eth0")
            try lab.link("carol", "eth0", "10.78.0.2/24", "srv", "eth1", "10.78.0.1/24")
            try lab.exec("carol", ["ip", "route", "add", "10.77.0.1/32", "via", "10.78.0.1"])
            _ = try lab.spawn("srv", [parley, "relay", "--listen", "0.0.0.0:7000"], log: log("relay"))
            _ = try lab.spawn("srv", [
                "turnserver", "-n", "--listening-ip=10.77.0.1", "--relay-ip=10.77.0.1", "--listening-port=3478",
                "--min-port=49200", "--max-port=49400", "--use-auth-secret", "--static-auth-secret=\(NetworkPathTests.turnSecret)",
                "--realm=parley.test", "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout", "--simple-log",
                "--pidfile=\(root.appendingPathComponent("turn.pid").path)",
            ], log: log("coturn"))
            usleep(800_000)
        }

        deinit {
            lab.tearDown()
            try? FileManager.default.removeItem(at: root)
        }

        func log(_ name: String) -> String { root.appendingPathComponent("\(name).log").path }
        func home(_ name: String) -> [String: String] { ["PARLEY_HOME": root.appendingPathComponent(name).path] }

        /// `parley …` as `who` inside its namespace, to completion.
        @discardableResult
        func run(_ who: String, _ arguments: [String]) throws -> String {
            let env = home(who).map { "\($0.key)=\($0.value)" }
            return try lab.exec(who, ["env"] + env + [parley] + arguments)
        }

        /// Profiles for both and a contact between them (invitation, acceptance and
        /// confirmation through the relay, each from its own host). The callee's short id.
        func contacts(_ caller: String, _ callee: String) throws -> String {
            try run(caller, ["init", "--name", caller.capitalized])
            try run(callee, ["init", "--name", callee.capitalized])
            let uri = try run(caller, ["invite", "--relay", "10.77.0.1:7000", "--uri-only"]).trimmingCharacters(in: .whitespacesAndNewlines)
            try run(callee, ["accept", uri])
            try run(caller, ["contacts", "sync"])
            try run(callee, ["contacts", "sync"])
            let list = try run(caller, ["contacts", "list"])
            return String(try #require(list.split(separator: "\n").dropFirst().first?.split(separator: " ").first))
        }

        /// `callee` listens, `caller` calls, 3 s of each other's tone; both outputs.
        /// (Suspends while the processes run, leaving Swift concurrency's threads to other tests.)
        func call(_ caller: String, _ callee: String, calleeID: String, callerICE: [String], calleeICE: [String],
                  wav: String) async throws -> (call: String, listen: String, callerOut: String, calleeOut: String) {
            let callerOut = root.appendingPathComponent("\(caller)-out").path
            let calleeOut = root.appendingPathComponent("\(callee)-out").path
            let env = home(callee)
            let listener = try lab.spawn(callee, ["env", "PARLEY_HOME=\(env["PARLEY_HOME"]!)", parley, "listen", "--auto-answer", "--once",
                                                  "--audio", wav, "--duration", "3", "--out", calleeOut] + calleeICE,
                                         log: log("\(callee)-listen"))
            try await Task.sleep(for: .milliseconds(500))
            let result = try await ParleyExecutable.runAsync(
                ["call", calleeID, "--audio", wav, "--duration", "3", "--out", callerOut] + callerICE,
                environment: home(caller), launch: URL(fileURLWithPath: "/usr/bin/env"), prefix: ["ip", "netns", "exec", lab.ns(caller)])
            guard result.status == 0 else {
                listener.terminate()
                throw NetnsLab.CommandError(command: ["parley", "call"], status: result.status, output: result.stdout + result.stderr)
            }
            let output = result.stdout
            while listener.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            let listened = (try? String(contentsOfFile: log("\(callee)-listen"), encoding: .utf8)) ?? ""
            #expect(listener.terminationStatus == 0, "listen: \(listened)")
            return (output, listened, callerOut, calleeOut)
        }

        func report(_ out: String) throws -> [String: Any] { try CallCommandTests.report(out) }
    }

    static func pairTypes(_ report: [String: Any]) -> (local: String?, remote: String?) {
        let pair = report["selectedPair"] as? [String: Any]
        return ((pair?["local"] as? [String: Any])?["type"] as? String, (pair?["remote"] as? [String: Any])?["type"] as? String)
    }

    static func candidateTypes(_ report: [String: Any]) -> Set<String> {
        Set((report["localCandidates"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String })
    }

    /// Audio arrived on both sides: packets, and the tone's energy while the other talked.
    static func checkAudio(_ world: World, _ outs: [String]) throws {
        for out in outs {
            let report = try world.report(out)
            #expect((report["packetsReceived"] as? Int ?? 0) >= 140, "\(out): \(report["packetsReceived"] ?? "-") packets")
            let rms = try CallCommandTests.rms((out as NSString).appendingPathComponent("received.wav"), from: 0.3, to: 1.8)
            #expect(rms > 0.1, "\(out): RMS \(rms)")
            let first = report["firstAudioPlayedAfter"] as? Double ?? 99
            #expect(first < 1, "\(out): first audio \(first) s")
        }
    }

    static func world() throws -> World? {
        if let reason = NetnsLab.unavailableReason {
            print("NetworkPathTests: skipped, \(reason)")
            return nil
        }
        return try World()
    }

    @Test("two hosts on one subnet call each other over host candidates")
    func sameSubnetHostCandidates() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let beaID = try world.contacts("alice", "bea")
        let result = try await world.call("alice", "bea", calleeID: beaID, callerICE: [], calleeICE: [], wav: wav)
        print("same subnet:\n\(result.call)")
        try Self.checkAudio(world, [result.callerOut, result.calleeOut])
        let report = try world.report(result.callerOut)
        #expect(Self.pairTypes(report) == ("host", "host"))
        #expect(result.call.contains("host 10.77.0.2:") && result.call.contains("host 10.77.0.3:"), "\(result.call)")
    }

    @Test("a host behind a NAT is reached through its server-reflexive address (STUN on coturn)")
    func natServerReflexive() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let bobID = try world.contacts("alice", "bob")
        let stun = ["--stun", "10.77.0.1:3478"]
        let result = try await world.call("alice", "bob", calleeID: bobID, callerICE: stun, calleeICE: stun, wav: wav)
        print("behind NAT:\n\(result.call)\n\(result.listen)")
        try Self.checkAudio(world, [result.callerOut, result.calleeOut])
        let bob = try world.report(result.calleeOut)
        // Bob learned his public address (the NAT's) from STUN; Alice sees him from there.
        let bobCandidates = (bob["localCandidates"] as? [[String: Any]] ?? [])
        #expect(bobCandidates.contains { $0["type"] as? String == "srflx" && $0["address"] as? String == "10.77.0.4" }, "\(bobCandidates)")
        let alice = try world.report(result.callerOut)
        let remote = Self.pairTypes(alice).remote
        #expect(remote == "srflx" || remote == "prflx", "Alice's pair: \(Self.pairTypes(alice))")
        #expect(((alice["selectedPair"] as? [String: Any])?["remote"] as? [String: Any])?["address"] as? String == "10.77.0.4")
    }

    @Test("a host that reaches only the server calls through a TURN relay (its TURN server set with parley config)")
    func turnOnlyRelay() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let carolID = try world.contacts("alice", "carol")
        // Carol's profile names the TURN server and its secret; no option on the command line.
        try world.run("carol", ["config", "set", "turn", "10.77.0.1:3478"])
        try world.run("carol", ["config", "set", "turn-secret", Self.turnSecret])
        let result = try await world.call("alice", "carol", calleeID: carolID, callerICE: [], calleeICE: [], wav: wav)
        print("TURN only:\n\(result.call)\n\(result.listen)")
        try Self.checkAudio(world, [result.callerOut, result.calleeOut])
        let carol = try world.report(result.calleeOut)
        #expect(Self.candidateTypes(carol).contains("relay"))
        #expect(Self.pairTypes(carol).local == "relay", "Carol's pair: \(Self.pairTypes(carol))")
    }
}
