import Foundation
import ParleyContacts
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyTestSupport
import Testing

/// `parley call` and `parley listen` as two processes, with a real `parley relay` between
/// them for the sealed signaling and ICE (libnice) on loopback for the media.
@Suite("parley call and parley listen", .serialized)
struct CallCommandTests {
    /// Runs `parley arguments…` alongside the test (suspending, not blocking, while it
    /// runs); `wait()` gives its result.
    struct Background {
        let task: Task<ParleyExecutable.Result, Error>
        init(_ arguments: [String], _ env: [String: String]) {
            task = Task { try await ParleyExecutable.runAsync(arguments, environment: env) }
        }
        func wait() async throws -> ParleyExecutable.Result { try await task.value }
    }

    /// A relay, Alice and Bob with profiles, and Bob as Alice's contact (his short id).
    static func contacts() throws -> (PolicyCLI, AcceptFlowTests.Relay, [String: String], [String: String], String) {
        let cli = try PolicyCLI()
        let relay = try AcceptFlowTests.Relay()
        let alice = try cli.profile("Alice"), bob = try cli.profile("Bob")
        return (cli, relay, alice, bob, try cli.establish(inviter: alice, acceptor: bob, relay))
    }

    /// The five SAS words a command printed.
    static func sas(_ output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("Compare these words with your contact: ") }
            .map { String($0.dropFirst("Compare these words with your contact: ".count)) }
    }

    /// A 1:1 call's `report.json`: the call's totals with its one link's facts (selected
    /// pair, candidates, stats) beside them.
    static func report(_ out: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("report.json")))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let peers = report["peers"] as? [[String: Any]] ?? []
        #expect(peers.count == 1, "a 1:1 call has one link: \(peers.count)")
        return report.merging(peers.first ?? [:]) { call, _ in call }
    }

    /// RMS of `path` between `from` and `to` seconds.
    static func rms(_ path: String, from: Double, to: Double) throws -> Double {
        let reader = try WAVReader(path: path)
        var samples = [Float](repeating: 0, count: reader.info.frameCount)
        _ = try reader.read(into: &samples, frames: reader.info.frameCount)
        let rate = Double(reader.info.format.sampleRate)
        let end = min(samples.count, Int(to * rate))
        return AudioAlignment.rms(samples[min(end, Int(from * rate))..<end])  // a short file: the part there is
    }

    @Test("a call between two contacts: both see the same SAS, audio crosses both ways on a host pair, setup under a second")
    func callBetweenTwoProcesses() async throws {
        let (cli, relay, alice, bob, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }  // the relay runs to the end
        let talk = try cli.talkWAV()
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let aliceOut = cli.root.appendingPathComponent("alice-out").path
        let common = ["--audio", talk, "--video", Fixtures.path("motion-640x360.ivf"), "--duration", "3", "--local-address", "127.0.0.1"]
        let listener = Background(["listen", "--auto-answer", "--once", "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))  // the listener claims its mailbox (an offer left earlier would wait for it anyway)
        let call = try await cli.parleyAsync(["call", bobID, "--out", aliceOut] + common, alice)
        let listen = try await listener.wait()
        #expect(call.status == 0, "call: \(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "listen: \(listen.stdout)\(listen.stderr)")
        print("parley call:\n\(call.stdout)\nparley listen:\n\(listen.stdout)")

        // The same five words on both sides: the same call secret, with nobody in between.
        let words = try #require(Self.sas(call.stdout))
        #expect(words.split(separator: " ").count == 5)
        #expect(Self.sas(listen.stdout) == words)
        #expect(call.stdout.contains("Connected after") && call.stdout.contains("host 127.0.0.1:"))

        // What each side received: 3 s, the other's gated tone in the first 2 s, silence after.
        for (out, who) in [(aliceOut, "Alice"), (bobOut, "Bob")] {
            let wav = (out as NSString).appendingPathComponent("received.wav")
            let info = try WAVReader(path: wav).info
            let seconds = Double(info.frameCount) / Double(info.format.sampleRate)
            #expect(abs(seconds - 3) < 0.25, "\(who) received \(seconds) s")
            let tone = try Self.rms(wav, from: 0.3, to: 1.8)
            let after = try Self.rms(wav, from: 2.5, to: 2.9)
            #expect(tone > 0.1, "\(who): RMS \(tone) while the other talked")
            #expect(after < 0.02, "\(who): RMS \(after) after the other's file ended")
            let report: [String: Any]? = try Self.report(out)
            let received = report?["packetsReceived"] as? Int ?? 0
            #expect(received >= 140, "\(who) received \(received) packets")
            let pair = report?["selectedPair"] as? [String: Any]
            #expect((pair?["local"] as? [String: Any])?["type"] as? String == "host")
            #expect((pair?["remote"] as? [String: Any])?["type"] as? String == "host")
            // Call setup: from the media start to the first packet played, well under 1 s.
            let first = report?["firstAudioPlayedAfter"] as? Double ?? 99
            #expect(first < 1, "\(who): first audio played \(first) s after the media started")
            try Self.checkVideo(out, who: who, seconds: 3, senders: [out == aliceOut ? bobOut : aliceOut])
        }
    }

    /// The other sides' video arrived: VP8 frames decoded at 640x360 — at least 80 % of the
    /// frames the slowest of `senders` (the other sides' output directories) sent, so that a
    /// loaded machine encoding fewer than 30 fps does not count against the path — and
    /// `received.y4m` holds the grid (30 fps) of the call's length.
    static func checkVideo(_ out: String, who: String, seconds: Double, peers: Int = 1, senders: [String]) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("report.json")))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let links = report["peers"] as? [[String: Any]] ?? []
        #expect(links.count == peers, "\(who): \(links.count) links")
        var sent: [Int] = []
        for sender in senders {
            let data = try Data(contentsOf: URL(fileURLWithPath: (sender as NSString).appendingPathComponent("report.json")))
            sent.append((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["videoFramesSent"] as? Int ?? 0)
        }
        let fewest = sent.min() ?? 0
        #expect(fewest >= 10, "the others sent \(sent) video frames")
        for link in links {
            let video = link["video"] as? [String: Any]
            let decoded = video?["framesDecoded"] as? Int ?? 0
            #expect(Double(decoded) >= Double(fewest) * 0.8 && decoded >= 10,
                    "\(who) decoded \(decoded) frames from \(link["name"] ?? "?"); the others sent \(sent)")
            #expect(video?["frameWidth"] as? Int == 640 && video?["frameHeight"] as? Int == 360, "\(who): \(video ?? [:])")
        }
        let y4m = try Y4MReader(path: (out as NSString).appendingPathComponent("received.y4m"))
        var frame = VideoFrame(width: y4m.header.width, height: y4m.header.height)
        var frames = 0
        while try y4m.read(into: &frame) { frames += 1 }
        #expect(abs(Double(frames) - seconds * 30) < 15, "\(who): received.y4m has \(frames) frames")
    }

    @Test("bad media options are clear errors before anyone is called")
    func badMediaOptions() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let text = cli.root.appendingPathComponent("notes.txt").path
        try "not a video".write(toFile: text, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--audio", "alsa:"], "is not an ALSA device"),
            (["--play", "speaker"], "is not an ALSA device"),
            (["--audio", "alsa:nosuchdevice"], "no ALSA device 'nosuchdevice'"),
            (["--alsa-clock", "fast"], "device or system"),
            (["--audio-processing", "maybe"], "auto, on or off"),
            (["--alsa-config", "/nonexistent/asoundrc"], "does not exist"),
            (["--audio", "/nonexistent/a.wav"], "does not exist"),
            (["--video", "/nonexistent/v.y4m"], "does not exist"),
            (["--video", text], "a Y4M or IVF"),
            (["--duration", "0"], "positive number of seconds"),
            (["--stats-interval", "soon"], "1s or 500ms"),
        ]
        for (arguments, message) in cases {
            for command in [["call", "Bob"], ["listen"]] {
                let result = try cli.parley(command + arguments)
                #expect(result.status != 0 && result.stderr.contains(message), "\(command + arguments): \(result.stderr)")
            }
        }
    }

    @Test("a peer that vanishes mid-call (killed) ends the call after --silent-timeout, with what was received kept")
    func vanishedPeerEndsTheCall() async throws {
        let (cli, relay, alice, bob, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }  // the relay runs to the end
        let talk = try cli.talkWAV()
        let listener = Process()
        listener.executableURL = try ParleyExecutable.url()
        listener.arguments = ["listen", "--auto-answer", "--once", "--audio", talk, "--duration", "20", "--local-address", "127.0.0.1",
                              "--out", cli.root.appendingPathComponent("bob-out").path]
        listener.environment = ProcessInfo.processInfo.environment.merging(bob) { $1 }
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        try await Task.sleep(for: .milliseconds(500))
        // Bob's process dies 3 s into the call: no BYE, no hangup, nothing more arrives.
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { kill(listener.processIdentifier, SIGKILL) }
        let aliceOut = cli.root.appendingPathComponent("alice-out").path
        let started = Date()
        let call = try await cli.parleyAsync(["call", bobID, "--audio", talk, "--duration", "20", "--silent-timeout", "2",
                                   "--local-address", "127.0.0.1", "--out", aliceOut], alice)
        let elapsed = Date().timeIntervalSince(started)
        #expect(call.status == 0, "\(call.stderr)")
        #expect(call.stdout.contains("Bob for 2 s (it vanished)"), "\(call.stdout)")
        #expect(elapsed < 10, "the call went on for \(elapsed) s")
        // What arrived before is written and playable: about 2.5 s of Bob's tone.
        let wav = (aliceOut as NSString).appendingPathComponent("received.wav")
        #expect(try Self.rms(wav, from: 0.3, to: 1.8) > 0.1)
    }

    @Test("the relay going down mid-call does not stop the media: it flows peer to peer")
    func relayDownMidCall() async throws {
        let (cli, relay, alice, bob, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }  // the relay runs to the end
        let talk = try cli.talkWAV()
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let aliceOut = cli.root.appendingPathComponent("alice-out").path
        let common = ["--audio", talk, "--duration", "4", "--local-address", "127.0.0.1"]
        // --idle-timeout: should the call never come (the relay stopped before the offer
        // got through), listen ends instead of waiting for ever.
        let listener = Background(["listen", "--auto-answer", "--once", "--idle-timeout", "30", "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))
        let caller = Background(["call", bobID, "--out", aliceOut] + common, alice)
        // Once both sides' media runs (each has opened its received.wav), the relay stops
        // for good. On a loaded machine that can take a few seconds.
        let deadline = Date().addingTimeInterval(30)
        let started = { [aliceOut, bobOut].allSatisfy { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("received.wav")) } }
        while !started() && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(started(), "the call's media did not start within 30 s")
        try await Task.sleep(for: .milliseconds(500))
        relay.process.terminate()
        relay.process.waitUntilExit()
        let call = try await caller.wait(), listen = try await listener.wait()
        #expect(call.status == 0, "\(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "\(listen.stdout)\(listen.stderr)")
        for out in [aliceOut, bobOut] {
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("report.json")))) as? [String: Any]
            #expect((report?["packetsReceived"] as? Int ?? 0) >= 190, "\(out): \(report?["packetsReceived"] ?? "-") packets")
        }
    }

    @Test("listen survives a call that fails (the caller gave up before the answer) and takes the next one")
    func listenSurvivesAFailedCall() async throws {
        let (cli, relay, alice, bob, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }
        // Alice calls while nobody listens and gives up: her offer stays in Bob's mailbox.
        let gaveUp = try await cli.parleyAsync(["call", bobID, "--connect-timeout", "1", "--local-address", "127.0.0.1",
                                     "--out", cli.root.appendingPathComponent("first").path], alice)
        #expect(gaveUp.status != 0)
        // Bob answers the stale offer (no path: its caller is gone), then Alice's real call.
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let listener = Background(["listen", "--auto-answer", "--connect-timeout", "2", "--idle-timeout", "4", "--duration", "2",
                                   "--local-address", "127.0.0.1", "--out", bobOut], bob)
        try await Task.sleep(for: .milliseconds(3500))
        let call = try await cli.parleyAsync(["call", bobID, "--duration", "2", "--local-address", "127.0.0.1",
                                   "--out", cli.root.appendingPathComponent("second").path], alice)
        let listen = try await listener.wait()
        #expect(call.status == 0, "\(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "\(listen.stdout)\(listen.stderr)")
        #expect(listen.stderr.contains("the call failed: no network path"), "\(listen.stderr)")
        #expect(listen.stdout.components(separatedBy: "Answered a call from").count == 3, "\(listen.stdout)")
        #expect(listen.stdout.contains("Call ended") && listen.stdout.contains("stopped listening"))
    }

    @Test("a blocked contact's call is refused before any media, and the caller is told")
    func blockedCallerIsRefused() async throws {
        let (cli, relay, alice, bob, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }  // the relay runs to the end
        let aliceID = try #require(try cli.book(bob).contacts.last).shortID
        #expect(try await cli.parleyAsync(["contacts", "block", aliceID], bob).status == 0)
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let listener = Background(["listen", "--auto-answer", "--once", "--out", bobOut, "--local-address", "127.0.0.1"], bob)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await cli.parleyAsync(["call", bobID, "--duration", "2", "--local-address", "127.0.0.1", "--connect-timeout", "10",
                                   "--out", cli.root.appendingPathComponent("alice-out").path], alice)
        let listen = try await listener.wait()
        #expect(call.status != 0)
        #expect(call.stderr.contains("refused the call"), "\(call.stderr)")
        #expect(listen.stdout.contains("Refused a call from") && listen.stdout.contains("blocked"), "\(listen.stdout)")
        #expect(!FileManager.default.fileExists(atPath: (bobOut as NSString).appendingPathComponent("received.wav")))
    }

    @Test("nobody listening: the caller gives up after --connect-timeout with what to check")
    func unansweredCallTimesOut() async throws {
        let (cli, relay, alice, _, bobID) = try Self.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }  // the relay runs to the end
        let started = Date()
        let call = try await cli.parleyAsync(["call", bobID, "--connect-timeout", "2", "--local-address", "127.0.0.1",
                                   "--out", cli.root.appendingPathComponent("alice-out").path], alice)
        #expect(call.status != 0)
        #expect(call.stderr.contains("did not answer within 2 s") && call.stderr.contains("parley listen"), "\(call.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        let unknown = try await cli.parleyAsync(["call", "nobody"], alice)
        #expect(unknown.status != 0 && unknown.stderr.contains("nobody"), "\(unknown.stderr)")
    }
}
