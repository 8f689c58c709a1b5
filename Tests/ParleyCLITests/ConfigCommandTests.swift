import Foundation
import ParleyTestSupport
import Testing

@Suite("parley config")
struct ConfigCommandTests {
    @Test("set, show, unset; secrets never printed; the file is private; bad keys and values are clear errors; invite uses the relay")
    func setShowUnset() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let env = try cli.profile("Dana")
        #expect(try cli.parley(["config", "set", "stun", "192.0.2.10:3478"], env).status == 0)
        #expect(try cli.parley(["config", "set", "turn", "192.0.2.10"], env).status == 0)
        #expect(try cli.parley(["config", "set", "turn-secret", "very secret"], env).status == 0)
        #expect(try cli.parley(["config", "set", "relay", "127.0.0.1:7999"], env).status == 0)
        let show = try cli.parley(["config", "show"], env)
        #expect(show.status == 0)
        #expect(show.stdout.contains("stun           192.0.2.10:3478") && show.stdout.contains("turn           192.0.2.10"))
        #expect(show.stdout.contains("turn-secret    (set)") && !show.stdout.contains("very secret"))
        let path = env["PARLEY_HOME"]! + "/config.json"
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "config.json is mode \(String(mode, radix: 8))")
        // New invitations name the configured relay.
        let invite = try cli.parley(["invite"], env)
        #expect(invite.stdout.contains("answer through 127.0.0.1:7999"), "\(invite.stdout)")
        #expect(try cli.parley(["config", "unset", "stun"], env).status == 0)
        #expect(try cli.parley(["config", "show"], env).stdout.contains("stun           (not set)"))

        let badServer = try cli.parley(["config", "set", "stun", "stun.example.org"], env)
        #expect(badServer.status != 0 && badServer.stderr.contains("is not a STUN/TURN server address"), "\(badServer.stderr)")
        let badKey = try cli.parley(["config", "set", "colour", "blue"], env)
        #expect(badKey.status != 0 && badKey.stderr.contains("one of stun, turn, turn-secret"), "\(badKey.stderr)")
        let badRelay = try cli.parley(["config", "set", "relay", "no-port"], env)
        #expect(badRelay.status != 0 && badRelay.stderr.contains("HOST:PORT"), "\(badRelay.stderr)")
        // A damaged file is named, with what to do.
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: path))
        let damaged = try cli.parley(["config", "show"], env)
        #expect(damaged.status != 0 && damaged.stderr.contains("config.json is damaged"), "\(damaged.stderr)")
        // No profile: the usual message.
        let none = try cli.parley(["config", "show"], cli.home("Nobody"))
        #expect(none.status != 0)
    }
}
