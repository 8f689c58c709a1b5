import Foundation
import ParleyCore
import ParleyMedia
import ParleyTestSupport
import Testing

/// `parley loopback --participants N`: more than 2 people is the paid tier.
@Suite("parley loopback --participants (mesh) through the CLI")
struct MeshLoopbackCLITests {
    private func loopback(_ cli: PolicyCLI, _ n: Int, _ audio: String, _ out: String, _ env: [String: String]) throws -> ParleyExecutable.Result {
        try cli.parley(["loopback", "--participants", "\(n)", "--duration", "2", "--audio", audio, "--out", out], env)
    }

    @Test func meshLoopbackNeedsALicenseForMoreThanTwo() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let audio = try cli.talkWAV()
        let out = cli.root.appendingPathComponent("out").path

        // No profile at all.
        let bare = cli.home("Nobody")
        let noProfile = try loopback(cli, 3, audio, out, bare)
        #expect(noProfile.status != 0)
        #expect(noProfile.stderr.contains("license") && noProfile.stderr.contains("paid tier"), "\(noProfile.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out + "/report.json"))

        // Two people need nothing, not even a profile.
        let two = try loopback(cli, 2, audio, out, bare)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/p1/mix.wav"))

        // A profile but no license.
        let keyFile = cli.root.appendingPathComponent("issuer.key").path
        let issuer = try cli.parley(["license", "issuer-key", "--out", keyFile])
        #expect(issuer.status == 0, "\(issuer.stderr)")
        let key = String(try #require(cli.line(issuer.stdout, "Issuer public key: ")).dropFirst("Issuer public key: ".count))
        let host = try cli.profile("Host", ["--issuer-key", key])
        let out3 = cli.root.appendingPathComponent("out3").path
        let unlicensed = try loopback(cli, 3, audio, out3, host)
        #expect(unlicensed.status != 0)
        #expect(unlicensed.stderr.contains("needs a paid-tier license"), "\(unlicensed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out3))

        // A license for up to 4.
        let show = try cli.parley(["license", "show", "--json"], host)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let id = try #require(json["identifier"] as? String)
        let issue = try cli.parley(["license", "issue", "--issuer-key-file", keyFile, "--licensee", id, "--max-participants", "4", "--expires", "30d"])
        #expect(issue.status == 0, "\(issue.stderr)")
        let install = try cli.parley(["license", "install", issue.stdout.trimmingCharacters(in: .whitespacesAndNewlines)], host)
        #expect(install.status == 0, "\(install.stderr)")

        let licensed = try loopback(cli, 3, audio, out3, host)
        #expect(licensed.status == 0, "\(licensed.stderr)")
        for p in 0..<3 {
            let mix = out3 + "/p\(p)/mix.wav"
            #expect(FileManager.default.fileExists(atPath: mix))
            if let info = try? WAVReader(path: mix).info { #expect(info.duration >= 1.9, "p\(p) mix \(info.duration) s") }
        }
        #expect(!FileManager.default.fileExists(atPath: out3 + "/p3"))
        let reportData = try Data(contentsOf: URL(fileURLWithPath: out3 + "/report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: reportData) as? [String: Any])
        #expect(report["completed"] as? Bool == true)
        #expect(report["participants"] as? Int == 3)
        #expect((report["links"] as? [Any])?.count == 6)

        let out5 = cli.root.appendingPathComponent("out5").path
        let five = try loopback(cli, 5, audio, out5, host)
        #expect(five.status != 0)
        #expect(five.stderr.contains("allows at most 4 participants"), "\(five.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out5))

        // Out of range is refused before the license is looked at.
        let nine = try loopback(cli, 9, audio, out5, host)
        #expect(nine.status != 0 && nine.stderr.contains("2 to 8"), "\(nine.stderr)")
    }
}
