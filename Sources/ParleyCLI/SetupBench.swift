import Foundation
import ParleyCore
import ParleyEngine
import ParleyMedia
import ParleyNetwork

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `parley bench --setup`: call-setup time of real calls between processes on loopback.
///
/// In a temporary directory it starts `parley relay` (this executable) on 127.0.0.1, makes
/// two profiles (Alice and Bob, each its own `PARLEY_HOME`) and a contact between them with
/// the real commands (`init`, `invite`, `accept`, `contacts sync`), then for each round
/// runs `parley listen --auto-answer --once` as Bob and, once it listens, `parley call Bob`
/// as Alice, and reads from Alice's output "Connected after N ms" and "First audio played
/// N ms after the start" (both counted from the start of `parley call`'s run). The TURN case
/// does the same with a coturn `turnserver` on 127.0.0.1 given to both sides; on loopback a
/// host pair still wins, and the report says which pair ICE chose. Every child process is
/// stopped and the directory removed on every way out (errors and SIGINT/SIGTERM/SIGHUP too).
struct SetupBench {
    /// Minimum, median and maximum of the rounds, and every round's value (ms).
    struct Statistics: Codable, Sendable {
        var min: Double
        var median: Double
        var max: Double
        var values: [Double]

        init(_ values: [Double]) {
            let sorted = values.sorted()
            min = sorted.first ?? 0
            max = sorted.last ?? 0
            let middle = sorted.count / 2
            median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            self.values = values
        }
    }

    /// One path: "direct" (host candidates only) or "turn" (a TURN server given to both sides).
    struct Case: Codable, Sendable {
        var name: String
        var description: String
        var rounds: Int
        /// `parley call` started → ICE path selected (Alice's "Connected after").
        var connectedMilliseconds: Statistics?
        /// `parley call` started → first audio played (Alice's "First audio played").
        var firstAudioMilliseconds: Statistics?
        /// ICE's selected pair on Alice's side ("local type -> remote type") and in how many rounds.
        var selectedPairs: [String: Int]?
        /// TURN case: rounds in which both sides gathered a relay candidate.
        var roundsWithRelayCandidates: Int?
        /// Every round's first audio under the goal; nil when skipped.
        var withinGoal: Bool?
        /// Why the case did not run.
        var skipped: String?
        var note: String?
    }

    struct Report: Codable, Sendable {
        var buildConfiguration: String
        var date: String
        var machine: BenchmarkReport.Machine
        /// Seconds of media in each call.
        var callSeconds: Double
        /// First audio under this (ms) in every round.
        var goalMilliseconds: Double
        var cases: [Case]
        /// Every case that ran is within the goal.
        var allWithinGoal: Bool
    }

    /// A benchmark step that went wrong, with what the processes said.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// SIGINT, SIGTERM or SIGHUP stopped the bench (its processes are stopped).
    struct Interrupted: Error, CustomStringConvertible {
        var signal: Int32
        var description: String { "interrupted by signal \(signal); its processes are stopped" }
    }

    static let goalMilliseconds = 1000.0
    static let callSeconds = 2.0
    static let turnserverCandidates = ["/usr/bin/turnserver", "/usr/local/bin/turnserver"]

    let rounds: Int
    let progress: (String) -> Void

    /// Runs both cases; throws `Failure` when a step fails and `Interrupted` on a signal
    /// (after stopping everything).
    func run() throws -> Report {
        let executable = try Self.executablePath()
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-setup-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let children = ChildProcesses(executable: executable, scratch: scratch)
        let guardSignals = children.stopOnSignals()
        defer {
            children.stopAll()
            guardSignals.forEach { $0.cancel() }
            try? FileManager.default.removeItem(at: scratch)
        }
        do {
            return try run(children: children, scratch: scratch)
        } catch {
            // A child that a signal stopped fails its step: the signal is the cause.
            if let signal = children.interruptedBy { throw Interrupted(signal: signal) }
            throw error
        }
    }

    private func run(children: ChildProcesses, scratch: URL) throws -> Report {
        progress("starting parley relay and making the profiles")
        let relay = try children.start(["relay", "--listen", "127.0.0.1:0"], name: "relay")
        let relayPort = try children.waitForRelayPort(relay)
        let alice = ["PARLEY_HOME": scratch.appendingPathComponent("alice").path]
        let bob = ["PARLEY_HOME": scratch.appendingPathComponent("bob").path]
        try children.runToEnd(["init", "--name", "Alice"], env: alice, name: "alice-init")
        try children.runToEnd(["init", "--name", "Bob"], env: bob, name: "bob-init")
        let uri = try children.runToEnd(["invite", "--relay", "127.0.0.1:\(relayPort)", "--uri-only"], env: alice, name: "alice-invite")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try children.runToEnd(["accept", uri], env: bob, name: "bob-accept")
        try children.runToEnd(["contacts", "sync"], env: alice, name: "alice-sync")
        try children.runToEnd(["contacts", "sync"], env: bob, name: "bob-sync")
        let wav = scratch.appendingPathComponent("tone.wav").path
        try Self.writeTone(wav, seconds: Self.callSeconds + 0.5)

        let context = RoundContext(children: children, scratch: scratch, alice: alice, bob: bob, wav: wav)
        var cases = [try runCase(name: "direct", description: "host candidates on 127.0.0.1, no STUN or TURN",
                                 ice: [], context: context)]

        if let turnserver = Self.turnserverCandidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            progress("starting turnserver")
            let secret = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            let port = try children.startTurnserver(turnserver, secret: secret)
            var turn = try runCase(name: "turn", description: "TURN server (coturn) on 127.0.0.1:\(port) given to both sides",
                                   ice: ["--turn", "127.0.0.1:\(port)", "--turn-secret", secret], context: context)
            let pairs = (turn.selectedPairs ?? [:]).sorted { $0.value > $1.value }.map { "\($0.key) (\($0.value)×)" }
            let relayUsed = (turn.selectedPairs ?? [:]).keys.contains { $0.contains("relay") }
            turn.note = "relay candidates gathered on both sides in \(turn.roundsWithRelayCandidates ?? 0)/\(rounds) rounds, "
                + "pair chosen: \(pairs.joined(separator: ", "))"
                + (relayUsed ? "" : "; on loopback a host pair wins ICE's priority order, so media did not go through the relay "
                    + "(a relay-only path needs hosts that cannot reach each other, as NetworkPathTests does with network namespaces)")
            cases.append(turn)
        } else {
            cases.append(Case(name: "turn", description: "TURN server (coturn) on 127.0.0.1 given to both sides", rounds: 0,
                              skipped: "turnserver (coturn) is not installed (looked at \(Self.turnserverCandidates.joined(separator: ", "))); "
                                + "install it with `apt-get install -y coturn`"))
        }
        let ran = cases.filter { $0.skipped == nil }
        return Report(buildConfiguration: BenchmarkReport.currentBuildConfiguration,
                      date: ISO8601DateFormatter().string(from: Date()), machine: .current(),
                      callSeconds: Self.callSeconds, goalMilliseconds: Self.goalMilliseconds, cases: cases,
                      allWithinGoal: ran.allSatisfy { $0.withinGoal == true })
    }

    private struct RoundContext {
        let children: ChildProcesses
        let scratch: URL
        let alice: [String: String]
        let bob: [String: String]
        let wav: String
    }

    private func runCase(name: String, description: String, ice: [String], context: RoundContext) throws -> Case {
        var connected: [Double] = []
        var firstAudio: [Double] = []
        var pairs: [String: Int] = [:]
        var withRelay = 0
        for round in 1...rounds {
            progress("\(name) call \(round)/\(rounds)")
            let r = try runRound(name: "\(name)-\(round)", ice: ice, context: context)
            connected.append(r.connected)
            firstAudio.append(r.firstAudio)
            pairs[r.pair, default: 0] += 1
            if r.relayCandidates { withRelay += 1 }
        }
        return Case(name: name, description: description, rounds: rounds,
                    connectedMilliseconds: Statistics(connected), firstAudioMilliseconds: Statistics(firstAudio),
                    selectedPairs: pairs, roundsWithRelayCandidates: ice.isEmpty ? nil : withRelay,
                    withinGoal: firstAudio.allSatisfy { $0 < Self.goalMilliseconds })
    }

    /// One call: Bob listens, Alice calls; Alice's two timings and pair, and whether both
    /// sides gathered relay candidates.
    private func runRound(name: String, ice: [String], context: RoundContext) throws
        -> (connected: Double, firstAudio: Double, pair: String, relayCandidates: Bool) {
        let children = context.children
        let bobOut = context.scratch.appendingPathComponent("\(name)-bob").path
        let aliceOut = context.scratch.appendingPathComponent("\(name)-alice").path
        let media = ["--duration", String(Self.callSeconds), "--local-address", "127.0.0.1", "--audio", context.wav]
        let listen = try children.start(["listen", "--auto-answer", "--once", "--out", bobOut] + media + ice,
                                        env: context.bob, name: "\(name)-listen")
        // Bob has claimed his mailbox when he says he listens: the call starts on a listening peer.
        try children.waitForOutput(listen, containing: "Listening for calls", timeout: 20)
        let call = try children.start(["call", "Bob", "--out", aliceOut, "--connect-timeout", "15"] + media + ice,
                                      env: context.alice, name: "\(name)-call")
        guard children.wait(call, timeout: 60) else {
            throw Failure(description: "`parley call` (\(name)) did not end within 60 s\n" + children.excerpt(call) + children.excerpt(listen))
        }
        guard call.process.terminationStatus == 0 else {
            throw Failure(description: "`parley call` (\(name)) failed with status \(call.process.terminationStatus)\n"
                + children.excerpt(call) + children.excerpt(listen))
        }
        guard children.wait(listen, timeout: 15) else {
            throw Failure(description: "`parley listen` (\(name)) did not end within 15 s after the call\n" + children.excerpt(listen))
        }
        guard listen.process.terminationStatus == 0 else {
            throw Failure(description: "`parley listen` (\(name)) failed with status \(listen.process.terminationStatus)\n"
                + children.excerpt(listen))
        }
        let output = children.stdout(call)
        guard let connected = Self.milliseconds(output, after: "Connected after "),
              let firstAudio = Self.milliseconds(output, after: "First audio played ") else {
            throw Failure(description: "`parley call` (\(name)) did not print \"Connected after N ms\" and \"First audio played N ms\"\n"
                + children.excerpt(call))
        }
        let aliceReport = Self.report(aliceOut), bobReport = Self.report(bobOut)
        let relayCandidates = Self.candidateTypes(aliceReport).contains("relay") && Self.candidateTypes(bobReport).contains("relay")
        return (connected, firstAudio, Self.pairTypes(aliceReport), relayCandidates)
    }

    // MARK: Reading the calls' output

    /// The number that follows `prefix` at the start of a line.
    static func milliseconds(_ output: String, after prefix: String) -> Double? {
        for line in output.split(separator: "\n") where line.hasPrefix(prefix) {
            return Double(line.dropFirst(prefix.count).prefix { $0.isNumber || $0 == "." || $0 == "-" })
        }
        return nil
    }

    static func report(_ out: String) -> [String: Any] {
        let path = (out as NSString).appendingPathComponent("report.json")
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    /// `key` at the report's top level, or in its first peer (`"peers": [{…}]`).
    static func field(_ report: [String: Any], _ key: String) -> Any? {
        if let value = report[key] { return value }
        if let peers = report["peers"] as? [Any], let first = peers.first as? [String: Any] { return first[key] }
        return nil
    }

    /// "local type -> remote type" of the selected pair, or "unknown".
    static func pairTypes(_ report: [String: Any]) -> String {
        guard let pair = field(report, "selectedPair") as? [String: Any],
              let local = (pair["local"] as? [String: Any])?["type"] as? String,
              let remote = (pair["remote"] as? [String: Any])?["type"] as? String else { return "unknown" }
        return "\(local) -> \(remote)"
    }

    static func candidateTypes(_ report: [String: Any]) -> Set<String> {
        Set((field(report, "localCandidates") as? [[String: Any]] ?? []).compactMap { $0["type"] as? String })
    }

    // MARK: Setup

    /// The running `parley` binary.
    static func executablePath() throws -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
           FileManager.default.isExecutableFile(atPath: resolved) {
            return resolved
        }
        if let path = Bundle.main.executablePath, FileManager.default.isExecutableFile(atPath: path) { return path }
        throw Failure(description: "cannot find the running parley executable (/proc/self/exe)")
    }

    /// A 440 Hz tone at -10 dBFS, 48 kHz mono.
    static func writeTone(_ path: String, seconds: Double) throws {
        let count = Int(seconds * 48_000)
        let samples = (0..<count).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 48_000)) }
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 48_000, channels: 1))
        try writer.write(samples)
        try writer.close()
    }

    // MARK: The human-readable report

    static func table(_ report: Report) -> String {
        func ms(_ s: Statistics?) -> String {
            guard let s else { return "—" }
            return String(format: "%5.0f / %5.0f / %5.0f", s.min, s.median, s.max)
        }
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return right ? padding + text : text + padding
        }
        var lines: [String] = []
        lines.append("parley bench --setup (\(report.buildConfiguration) build, \(report.date))")
        lines.append("machine: \(report.machine.cpuModel), \(report.machine.coreCount) cores, \(report.machine.operatingSystem)")
        lines.append("real `parley call` → `parley listen --auto-answer` between processes on 127.0.0.1, signaling through "
            + "`parley relay`, \(String(format: "%.0f", report.callSeconds)) s calls; ms from the start of `parley call`'s run "
            + "to ICE connected and to the first audio played (its own output), min / median / max")
        lines.append("")
        lines.append([pad("case", 7), pad("rounds", 6, right: true), pad("connected ms", 21, right: true),
                      pad("first audio ms", 21, right: true), "  goal (first audio)"].joined(separator: "  "))
        for c in report.cases {
            if let skipped = c.skipped {
                lines.append([pad(c.name, 7), pad("—", 6, right: true), pad("—", 21, right: true), pad("—", 21, right: true),
                              "  skipped: \(skipped)"].joined(separator: "  "))
                continue
            }
            let goal = c.withinGoal == true ? "  ✓ < \(String(format: "%.0f", report.goalMilliseconds)) ms"
                : "  ✗ not < \(String(format: "%.0f", report.goalMilliseconds)) ms in every round"
            lines.append([pad(c.name, 7), pad("\(c.rounds)", 6, right: true), pad(ms(c.connectedMilliseconds), 21, right: true),
                          pad(ms(c.firstAudioMilliseconds), 21, right: true), goal].joined(separator: "  "))
        }
        lines.append("")
        for c in report.cases where c.skipped == nil {
            let pairs = (c.selectedPairs ?? [:]).sorted { $0.value > $1.value }.map { "\($0.key) (\($0.value)×)" }.joined(separator: ", ")
            lines.append("\(c.name): \(c.description); " + (c.note ?? "pair chosen: \(pairs)"))
        }
        let ran = report.cases.filter { $0.skipped == nil }
        lines.append(report.allWithinGoal ? "every case within the goal (first audio < \(String(format: "%.0f", report.goalMilliseconds)) ms in every round)"
            : "ABOVE GOAL: \(ran.filter { $0.withinGoal != true }.map(\.name).joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
