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
        private var relay: Process?

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
            relay = try lab.spawn("srv", [parley, "relay", "--listen", "0.0.0.0:7000"], log: log("relay"))
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

        /// `callee` listens (with an idle timeout: it never waits for ever), `caller` calls;
        /// returns once both sides' media runs (each has opened its received.wav): the
        /// caller's run, the listener, and both output directories.
        func startCall(_ caller: String, _ callee: String, calleeID: String, media: [String]) async throws
            -> (Task<ParleyExecutable.Result, Error>, Process, String, String) {
            let callerOut = root.appendingPathComponent("\(caller)-out").path
            let calleeOut = root.appendingPathComponent("\(callee)-out").path
            let listener = try lab.spawn(callee, ["env", "PARLEY_HOME=\(home(callee)["PARLEY_HOME"]!)", parley, "listen",
                                                  "--auto-answer", "--once", "--idle-timeout", "40", "--out", calleeOut] + media,
                                         log: log("\(callee)-listen"))
            try await Task.sleep(for: .milliseconds(500))
            let callerHome = home(caller), callerNS = lab.ns(caller)
            let run = Task {
                try await ParleyExecutable.runAsync(["call", calleeID, "--out", callerOut] + media, environment: callerHome,
                                                    launch: URL(fileURLWithPath: "/usr/bin/env"), prefix: ["ip", "netns", "exec", callerNS])
            }
            let deadline = Date().addingTimeInterval(30)
            let started = { [callerOut, calleeOut].allSatisfy { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("received.wav")) } }
            while !started() && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(started(), "the media did not start within 30 s")
            return (run, listener, callerOut, calleeOut)
        }

        /// Kills the relay (SIGKILL: no goodbye to anyone) and returns once it is gone.
        func killRelay() {
            guard let relay, relay.isRunning else { return }
            kill(relay.processIdentifier, SIGKILL)
            relay.waitUntilExit()
        }

        /// Starts the relay again, on the same address and port.
        func startRelay() throws {
            relay = try lab.spawn("srv", [parley, "relay", "--listen", "0.0.0.0:7000"], log: log("relay-again"))
        }
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
            for who in [caller, callee] where !initialized.contains(who) {
                try run(who, ["init", "--name", who.capitalized])
                initialized.insert(who)
            }
            let uri = try run(caller, ["invite", "--relay", "10.77.0.1:7000", "--uri-only"]).trimmingCharacters(in: .whitespacesAndNewlines)
            try run(callee, ["accept", uri])
            try run(caller, ["contacts", "sync"])
            try run(callee, ["contacts", "sync"])
            let list = try run(caller, ["contacts", "list"])
            return String(try #require(list.split(separator: "\n").dropFirst().last { $0.contains(callee.capitalized) }?.split(separator: " ").first))
        }

        private var initialized: Set<String> = []

        /// `who`'s profile, made with an issuer key and holding that issuer's license for
        /// up to 4 people (the paid tier a group call needs).
        func licensed(_ who: String) throws {
            let file = root.appendingPathComponent("issuer.key").path
            let issuer = try run(who, ["license", "issuer-key", "--out", file])
            let key = try #require(issuer.split(separator: "\n").first { $0.hasPrefix("Issuer public key: ") })
                .dropFirst("Issuer public key: ".count)
            try run(who, ["init", "--name", who.capitalized, "--issuer-key", String(key)])
            initialized.insert(who)
            let show = try run(who, ["license", "show", "--json"])
            let identifier = try #require((try JSONSerialization.jsonObject(with: Data(show.utf8)) as? [String: Any])?["identifier"] as? String)
            let token = try run(who, ["license", "issue", "--issuer-key-file", file, "--licensee", identifier, "--max-participants", "4",
                                      "--expires", "1d"]).trimmingCharacters(in: .whitespacesAndNewlines)
            try run(who, ["license", "install", token])
        }

        /// `callee` listens, `caller` calls, 3 s of each other's tone; both outputs.
        /// (Suspends while the processes run, leaving Swift concurrency's threads to other tests.)
        func call(_ caller: String, _ callee: String, calleeID: String, callerICE: [String], calleeICE: [String],
                  wav: String) async throws -> (call: String, listen: String, callerOut: String, calleeOut: String) {
            let callerOut = root.appendingPathComponent("\(caller)-out").path
            let calleeOut = root.appendingPathComponent("\(callee)-out").path
            let env = home(callee)
            let listener = try lab.spawn(callee, ["env", "PARLEY_HOME=\(env["PARLEY_HOME"]!)", parley, "listen", "--auto-answer", "--once",
                                                  "--audio", wav, "--video", Fixtures.path("motion-640x360.ivf"), "--duration", "3",
                                                  "--out", calleeOut] + calleeICE,
                                         log: log("\(callee)-listen"))
            try await Task.sleep(for: .milliseconds(500))
            let result = try await ParleyExecutable.runAsync(
                ["call", calleeID, "--audio", wav, "--video", Fixtures.path("motion-640x360.ivf"), "--duration", "3",
                 "--out", callerOut] + callerICE,
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

    /// Audio arrived on both sides: at least 90 % of the packets the other side sent (and
    /// `minimumPackets`, 2 s of them, however late a loaded machine started the other side's
    /// media), and the tone's energy while the other talked.
    static func checkAudio(_ world: World, _ outs: [String], minimumPackets: Int = 100) throws {
        for out in outs {
            let report = try world.report(out)
            let received = report["packetsReceived"] as? Int ?? 0
            let sent = try outs.filter { $0 != out }.map { try world.report($0)["packetsSent"] as? Int ?? 0 }.min() ?? 0
            #expect(received >= minimumPackets && Double(received) >= 0.9 * Double(sent),
                    "\(out): received \(received) packets; the other side sent \(sent)")
            let rms = try CallCommandTests.rms((out as NSString).appendingPathComponent("received.wav"), from: 0.3, to: 1.8)
            #expect(rms > 0.1, "\(out): RMS \(rms)")
            let first = report["firstAudioPlayedAfter"] as? Double ?? 99
            #expect(first < 1, "\(out): first audio \(first) s")
            try CallCommandTests.checkVideo(out, who: out, seconds: 3, senders: outs.filter { $0 != out })
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

    @Test("a three-party group call across them: Alice on the LAN hosts Bob behind the NAT and Carol who reaches only the TURN server")
    func threePartyGroupAcrossHosts() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        try world.licensed("alice")
        let bobID = try world.contacts("alice", "bob")
        let carolID = try world.contacts("alice", "carol")
        try world.run("carol", ["config", "set", "turn", "10.77.0.1:3478"])
        try world.run("carol", ["config", "set", "turn-secret", Self.turnSecret])
        // Bob behind his NAT has the TURN server too: his srflx address alone does not
        // reach Carol's relay candidate through this NAT (see the issue note).
        let bobTURN = ["--turn", "10.77.0.1:3478", "--turn-secret", Self.turnSecret]
        let stun = ["--stun", "10.77.0.1:3478"]
        let media = ["--audio", wav, "--video", Fixtures.path("motion-640x360.ivf"), "--duration", "4"]
        var listeners: [(String, Process, String)] = []
        for who in ["bob", "carol"] {
            let out = world.root.appendingPathComponent("\(who)-out").path
            let process = try world.lab.spawn(who, ["env", "PARLEY_HOME=\(world.home(who)["PARLEY_HOME"]!)", world.parley, "listen",
                                                    "--auto-answer", "--once", "--out", out] + media + (who == "bob" ? stun + bobTURN : []),
                                              log: world.log("\(who)-listen"))
            listeners.append((who, process, out))
        }
        defer { for (_, process, _) in listeners where process.isRunning { process.terminate() } }
        try await Task.sleep(for: .milliseconds(500))
        let aliceOut = world.root.appendingPathComponent("alice-out").path
        let started = Date()
        let result = try await ParleyExecutable.runAsync(
            ["call", bobID, "--with", carolID, "--out", aliceOut] + media + stun, environment: world.home("alice"),
            launch: URL(fileURLWithPath: "/usr/bin/env"), prefix: ["ip", "netns", "exec", world.lab.ns("alice")])
        for (_, process, _) in listeners { while process.isRunning { try await Task.sleep(for: .milliseconds(50)) } }
        let logs = listeners.map { (try? String(contentsOfFile: world.log("\($0.0)-listen"), encoding: .utf8)) ?? "" }
        print("group across hosts (\(String(format: "%.1f", Date().timeIntervalSince(started))) s):\n\(result.stdout)\n\(logs.joined(separator: "\n"))")
        #expect(result.status == 0, "call: \(result.stdout)\(result.stderr)")
        for (i, (who, process, _)) in listeners.enumerated() {
            #expect(process.terminationStatus == 0, "\(who): \(logs[i])")
        }
        // Everyone received both others: audio with energy, video decoded, 4 s of it.
        for out in [aliceOut] + listeners.map(\.2) {
            let peers = try GroupCallCommandTests.report(out)["peers"] as? [[String: Any]] ?? []
            #expect(peers.count == 2, "\(out): \(peers.count) links")
            for peer in peers {
                #expect((peer["packetsReceived"] as? Int ?? 0) >= 180, "\(out) ← \(peer["name"] ?? "?"): \(peer["packetsReceived"] ?? "-")")
                #expect((peer["firstAudioPlayedAfter"] as? Double ?? 99) < 1, "\(out) ← \(peer["name"] ?? "?")")
            }
            let rms = try CallCommandTests.rms((out as NSString).appendingPathComponent("received.wav"), from: 0.3, to: 1.8)
            #expect(rms > 0.1, "\(out): RMS \(rms)")
            try CallCommandTests.checkVideo(out, who: out, seconds: 4, peers: 2,
                                            senders: ([aliceOut] + listeners.map(\.2)).filter { $0 != out })
        }
        // The paths: Carol's link to Alice goes through her TURN relay; Bob's link to Alice
        // through his NAT's address (his STUN candidate, or his relay's).
        func pair(_ out: String, _ name: String) throws -> (local: String?, remote: String?, remoteAddress: String?) {
            let peers = try GroupCallCommandTests.report(out)["peers"] as? [[String: Any]] ?? []
            let link = peers.first { ($0["name"] as? String ?? "").contains(name) }
            let pair = link?["selectedPair"] as? [String: Any]
            let local = pair?["local"] as? [String: Any], remote = pair?["remote"] as? [String: Any]
            return (local?["type"] as? String, remote?["type"] as? String, remote?["address"] as? String)
        }
        let carolOut = listeners[1].2, bobOut = listeners[0].2
        let carolToAlice = try pair(carolOut, "Alice"), carolToBob = try pair(carolOut, "Bob")
        #expect(carolToAlice.local == "relay", "Carol–Alice: \(carolToAlice)")
        // Between Bob and Carol, no direct path exists: a TURN relay (either one's) carries it.
        #expect(carolToBob.local == "relay" || carolToBob.remote == "relay", "Carol–Bob: \(carolToBob)")
        let aliceToBob = try pair(aliceOut, "Bob")
        #expect(aliceToBob.remoteAddress == "10.77.0.4" || aliceToBob.remote == "relay", "Alice–Bob: \(aliceToBob)")
        let bobCandidates = (try GroupCallCommandTests.report(bobOut)["peers"] as? [[String: Any]] ?? []).flatMap { $0["localCandidates"] as? [[String: Any]] ?? [] }
        #expect(bobCandidates.contains { $0["type"] as? String == "srflx" && $0["address"] as? String == "10.77.0.4" }, "\(bobCandidates)")
    }

    @Test("a path that dies mid-call (its ports blocked, as when a NAT drops a binding): ICE restarts on new ports and the call goes on")
    func iceRestartWhenThePathDies() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let beaID = try world.contacts("alice", "bea")
        let (caller, listener, aliceOut, beaOut) = try await world.startCall("alice", "bea", calleeID: beaID,
                                                                           media: ["--audio", wav, "--duration", "8"])
        defer { if listener.isRunning { listener.terminate() } }
        // 2 s into the media, every UDP port Bea has open is cut off, both ways: the path
        // ICE chose is dead; the relay (TCP) still works.
        try await Task.sleep(for: .seconds(2))
        let ports = try Self.cutUDP(world, "bea")
        let result = try await caller.value
        while listener.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let listened = (try? String(contentsOfFile: world.log("bea-listen"), encoding: .utf8)) ?? ""
        print("ICE restart (blocked ports \(ports.sorted())):\n\(result.stdout)\n\(listened)")
        #expect(result.status == 0, "call: \(result.stdout)\(result.stderr)")
        #expect(listener.terminationStatus == 0, "listen: \(listened)")
        #expect(result.stdout.contains("restart"), "\(result.stdout)")
        #expect(result.stdout.contains("Reconnected to") || listened.contains("Reconnected to"), "\(result.stdout)\n\(listened)")
        for out in [aliceOut, beaOut] {
            let report = try world.report(out)
            // 8 s = 400 packets; the cut and the restart cost well under 3 s of them.
            #expect((report["packetsReceived"] as? Int ?? 0) >= 250, "\(out): \(report["packetsReceived"] ?? "-") packets")
            #expect((report["iceRestarts"] as? Int ?? 0) >= 1, "\(out): \(report["iceRestarts"] ?? "-") restarts")
            #expect(report["endReason"] == nil || (report["endedAfter"] as? Double ?? 0) > 7.5, "\(out): \(report["endReason"] ?? "")")
        }
        // The new path uses a port that was not cut off.
        let bea = try world.report(beaOut)
        let local = (bea["selectedPair"] as? [String: Any])?["local"] as? [String: Any]
        #expect(!ports.contains("\(local?["port"] as? Int ?? -1)"), "Bea's pair after the restart: \(local ?? [:])")
    }

    /// Drops every UDP datagram to or from the ports `who` has open now (its ICE sockets):
    /// the path ICE chose dies, as when a NAT drops its binding; TCP (the relay) still
    /// works. The ports cut.
    static func cutUDP(_ world: World, _ who: String) throws -> Set<String> {
        let sockets = try world.lab.exec(who, ["ss", "-uanH"])
        let ports = Set(sockets.split(separator: "\n").compactMap { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first?.split(separator: ":").last.map(String.init)
        })
        #expect(!ports.isEmpty, "\(sockets)")
        try world.lab.exec(who, ["nft", "add", "table", "inet", "cut"])
        for hook in ["input", "output"] {
            try world.lab.exec(who, ["nft", "add", "chain", "inet", "cut", hook, "{", "type", "filter", "hook", hook, "priority", "0", ";", "}"])
            for port in ports {
                try world.lab.exec(who, ["nft", "add", "rule", "inet", "cut", hook, "udp", hook == "input" ? "dport" : "sport", port, "drop"])
            }
        }
        return ports
    }

    @Test("the relay dies mid-call and comes back: the media goes on meanwhile, the signaling reconnects, and a later ICE restart goes through the new relay")
    func relayRestartThenICERestart() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let beaID = try world.contacts("alice", "bea")
        let (caller, listener, aliceOut, beaOut) = try await world.startCall("alice", "bea", calleeID: beaID,
                                                                           media: ["--audio", wav, "--duration", "12"])
        defer { if listener.isRunning { listener.terminate() } }
        // 1 s in: the relay dies; 2 s later it is back (with nothing of what it held).
        try await Task.sleep(for: .seconds(1))
        world.killRelay()
        try await Task.sleep(for: .seconds(2))
        try world.startRelay()
        // 3 s later Bea's path dies: the ICE restart needs the signaling, through the new relay.
        try await Task.sleep(for: .seconds(3))
        let ports = try Self.cutUDP(world, "bea")
        let result = try await caller.value
        while listener.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        let listened = (try? String(contentsOfFile: world.log("bea-listen"), encoding: .utf8)) ?? ""
        print("relay restart, then ICE restart (cut \(ports.sorted())):\n\(result.stdout)\n\(listened)")
        #expect(result.status == 0, "call: \(result.stdout)\(result.stderr)")
        #expect(listener.terminationStatus == 0, "listen: \(listened)")
        for out in [aliceOut, beaOut] {
            let report = try world.report(out)
            // 12 s = 600 packets; the cut and the restart cost a few seconds at most.
            #expect((report["packetsReceived"] as? Int ?? 0) >= 400, "\(out): \(report["packetsReceived"] ?? "-") packets")
            #expect((report["iceRestarts"] as? Int ?? 0) >= 1, "\(out): \(report["iceRestarts"] ?? "-") restarts")
        }
        #expect(result.stdout.contains("Reconnected to") || listened.contains("Reconnected to"), "\(result.stdout)\n\(listened)")
    }

    @Test("parley netem in the path: Carol reaches her TURN server through it (loss, delay, jitter), and the call copes")
    func netemInTheTURNPath() async throws {
        guard let world = try Self.world() else { return }
        let wav = try PolicyCLI().talkWAV()
        let carolID = try world.contacts("alice", "carol")
        // On the server, between Carol's network and coturn: every packet of Carol's relayed
        // path (her TURN control and data both ways) crosses it.
        let netem = try world.lab.spawn("srv", [world.parley, "netem", "--listen", "10.78.0.1:3479", "--forward", "10.77.0.1:3478",
                                                "--network", "delay=30ms,jitter=8ms,loss=4%", "--seed", "11", "--stats-interval", "0"],
                                        log: world.log("netem"))
        defer { if netem.isRunning { netem.terminate() } }
        try world.run("carol", ["config", "set", "turn", "10.78.0.1:3479"])
        try world.run("carol", ["config", "set", "turn-secret", Self.turnSecret])
        let result = try await world.call("alice", "carol", calleeID: carolID, callerICE: [], calleeICE: [], wav: wav)
        netem.terminate()
        netem.waitUntilExit()
        let summary = (try? String(contentsOfFile: world.log("netem"), encoding: .utf8)) ?? ""
        print("netem in the TURN path:\n\(result.call)\n\(result.listen)\n\(summary)")
        try Self.checkAudio(world, [result.callerOut, result.calleeOut], minimumPackets: 90)
        let carol = try world.report(result.calleeOut)
        #expect(Self.pairTypes(carol).local == "relay", "Carol's pair: \(Self.pairTypes(carol))")
        // The emulated network did its work, and the receivers saw it: losses counted by
        // netem, and lost packets and jitter in Carol's stats.
        func lost(_ direction: String) -> Int? {
            summary.split(separator: "\n").first { $0.contains(direction) && $0.contains("submitted") }
                .flatMap { $0.components(separatedBy: "lost ").last.flatMap { Int($0.prefix { $0.isNumber }) } }
        }
        #expect((lost("client -> forward") ?? 0) + (lost("forward -> client") ?? 0) > 0, "\(summary)")
        let audio = carol["audio"] as? [String: Any]
        #expect((audio?["packetsLost"] as? Int ?? 0) > 0, "\(audio ?? [:])")
        #expect((audio?["jitter"] as? Double ?? 0) > 0.001, "\(audio ?? [:])")
    }
}
