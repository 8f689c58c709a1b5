import Foundation
import ParleyCore
import ParleyMedia
import ParleyContacts
import ParleyTestSupport
import Testing

/// Profiles in scratch directories, driven through the `parley` executable.
struct PolicyCLI {
    let root: URL

    init() throws { root = try Fixtures.scratchDirectory("parley-policy") }

    /// `PARLEY_HOME` for `name` (not created).
    func home(_ name: String) -> [String: String] {
        ["PARLEY_HOME": root.appendingPathComponent(name.lowercased()).path]
    }

    /// `parley init --name NAME extra…`, which must succeed.
    func profile(_ name: String, _ extra: [String] = []) throws -> [String: String] {
        let env = home(name)
        let result = try ParleyExecutable.run(["init", "--name", name] + extra, environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        return env
    }

    func parley(_ arguments: [String], _ env: [String: String] = [:]) throws -> ParleyExecutable.Result {
        try ParleyExecutable.run(arguments, environment: env)
    }

    /// `parley`, suspending (not blocking a thread) while it runs: for runs of seconds.
    func parleyAsync(_ arguments: [String], _ env: [String: String] = [:]) async throws -> ParleyExecutable.Result {
        try await ParleyExecutable.runAsync(arguments, environment: env)
    }

    func book(_ env: [String: String]) throws -> ContactBook {
        try ContactBook.store(in: env["PARLEY_HOME"]!).load()
    }

    /// The line of `text` that starts with `prefix`.
    func line(_ text: String, _ prefix: String) -> String? {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }
    }

    /// `parley guardian key` in a fresh home: that home and the public key.
    func guardian(_ name: String) throws -> (env: [String: String], key: String) {
        let env = home(name)
        let result = try parley(["guardian", "key"], env)
        #expect(result.status == 0, "\(result.stderr)")
        let key = try #require(line(result.stdout, "Guardian public key: ")).dropFirst("Guardian public key: ".count)
        return (env, String(key))
    }

    /// A fresh invitation URI from `inviter`, answered through `relay`.
    func invite(_ inviter: [String: String], _ relay: AcceptFlowTests.Relay) throws -> String {
        let result = try parley(["invite", "--relay", "127.0.0.1:\(relay.port)", "--uri-only"], inviter)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `inviter` invites `acceptor` (who needs no approval) and both sync: the contact's
    /// short id on the inviter's side.
    func establish(inviter: [String: String], acceptor: [String: String], _ relay: AcceptFlowTests.Relay) throws -> String {
        let uri = try invite(inviter, relay)
        let accept = try parley(["accept", uri], acceptor)
        #expect(accept.status == 0, "\(accept.stderr)")
        let sync = try parley(["contacts", "sync"], inviter)
        #expect(sync.status == 0 && sync.stdout.contains("Contact established"), "\(sync.stdout)\(sync.stderr)")
        let other = try parley(["contacts", "sync"], acceptor)
        #expect(other.status == 0, "\(other.stderr)")
        return try #require(try book(inviter).contacts.last).shortID
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

extension PolicyCLI {
    /// 2 s of a gated 300 Hz tone, 48 kHz mono, as `talk.wav` in the test's directory (an
    /// input for group loopbacks).
    func talkWAV() throws -> String {
        let path = root.appendingPathComponent("talk.wav").path
        let samples = (0..<96_000).map { n -> Float in
            let t = Double(n) / 48_000
            return Int(t / 0.15) % 3 == 2 ? 0 : Float(0.3 * sin(2 * .pi * 300 * t))
        }
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 48_000, channels: 1))
        try writer.write(samples)
        try writer.close()
        return path
    }
}
