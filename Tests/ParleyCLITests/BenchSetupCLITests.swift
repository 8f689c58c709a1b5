import Foundation
import ParleyTestSupport
import Testing

/// `parley bench --setup --quick --json` through the real binary: real calls between
/// processes on loopback (its own relay, profiles and, when coturn is installed, a TURN
/// server), direct and with TURN, with plausible call-setup times.
@Suite("parley bench --setup", .serialized)
struct BenchSetupCLITests {
    @Test("measures call setup on the direct path and with a TURN server, from real calls")
    func setupTimesDirectAndTURN() async throws {
        // Suspends while the bench runs (about 15 s): Swift concurrency's threads stay free.
        let result = try await ParleyExecutable.runAsync(["bench", "--setup", "--quick", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let report = try #require(object, "not JSON: \(result.stdout)\n\(result.stderr)")
        #expect(report["goalMilliseconds"] as? Double == 1000)
        let cases = try #require(report["cases"] as? [[String: Any]])
        let byName = Dictionary(cases.map { ($0["name"] as? String ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(byName.keys) == ["direct", "turn"])

        var names = ["direct"]
        if CoturnServer.isAvailable {
            names.append("turn")
        } else {
            let turn = try #require(byName["turn"])
            #expect((turn["skipped"] as? String)?.contains("turnserver") == true, "\(turn)")
            print("BenchSetupCLITests: turnserver absent; the TURN case is skipped")
        }
        for name in names {
            let c = try #require(byName[name])
            #expect(c["skipped"] == nil, "\(name): \(c)")
            #expect(c["rounds"] as? Int == 2)
            let connected = try #require(c["connectedMilliseconds"] as? [String: Any], "\(name): \(c)")
            let first = try #require(c["firstAudioMilliseconds"] as? [String: Any], "\(name): \(c)")
            let connectedValues = try #require(connected["values"] as? [Double])
            let firstValues = try #require(first["values"] as? [Double])
            #expect(connectedValues.count == 2 && firstValues.count == 2)
            for (ms, audio) in zip(connectedValues, firstValues) {
                #expect(ms > 0 && ms < 5000, "\(name): connected after \(ms) ms")
                #expect(audio >= ms && audio < 5000, "\(name): first audio \(audio) ms, connected \(ms) ms")
            }
            for key in ["min", "median", "max"] {
                #expect((connected[key] as? Double ?? 0) > 0, "\(name): connected \(key)")
                #expect((first[key] as? Double ?? 0) > 0, "\(name): first audio \(key)")
            }
            let pairs = try #require(c["selectedPairs"] as? [String: Int], "\(name): \(c)")
            #expect(pairs.values.reduce(0, +) == 2 && !pairs.keys.contains("unknown"), "\(name): \(pairs)")
        }
        if CoturnServer.isAvailable, let turn = byName["turn"] {
            // Relay candidates came from coturn on both sides (the pair may still be a host one).
            #expect(turn["roundsWithRelayCandidates"] as? Int == 2, "\(turn)")
            #expect((turn["note"] as? String)?.contains("pair chosen") == true)
        }
    }
}
