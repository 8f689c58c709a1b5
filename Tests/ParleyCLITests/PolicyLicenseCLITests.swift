import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

@Suite("parley license and group-call checks through the CLI")
struct PolicyLicenseCLITests {
    /// An issuer key file in `cli`'s root: its path and public key.
    private func issuer(_ cli: PolicyCLI, _ name: String) throws -> (file: String, key: String) {
        let file = cli.root.appendingPathComponent(name).path
        let result = try cli.parley(["license", "issuer-key", "--out", file])
        #expect(result.status == 0, "\(result.stderr)")
        let key = try #require(cli.line(result.stdout, "Issuer public key: ")).dropFirst("Issuer public key: ".count)
        return (file, String(key))
    }

    private func identifier(_ cli: PolicyCLI, _ env: [String: String]) throws -> String {
        let show = try cli.parley(["license", "show", "--json"], env)
        #expect(show.status == 0, "\(show.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        return try #require(json["identifier"] as? String)
    }

    private func issue(_ cli: PolicyCLI, _ file: String, _ licensee: String, max: Int, expires: String = "30d") throws -> String {
        let result = try cli.parley(["license", "issue", "--issuer-key-file", file, "--licensee", licensee,
                                     "--max-participants", "\(max)", "--expires", expires])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func policyLicenseInstallRefusesBadSignatureLicenseeIssuerAndExpiry() throws {
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let (file, key) = try issuer(cli, "issuer.key")
        let (otherFile, _) = try issuer(cli, "other-issuer.key")
        // The key file is private and never replaced.
        let mode = ((try FileManager.default.attributesOfItem(atPath: file))[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let again = try cli.parley(["license", "issuer-key", "--out", file])
        #expect(again.status != 0 && again.stderr.contains("never replaced"))

        let env = try cli.profile("Host", ["--issuer-key", key])
        let none = try cli.parley(["license", "show"], env)
        #expect(none.status == 0 && none.stdout.contains("No license installed") && none.stdout.contains("up to 2 people"),
                "\(none.stdout)")
        let id = try identifier(cli, env)
        #expect(try ProfileStore(directory: env["PARLEY_HOME"]!).load().identifier == id)
        let other = try identifier(cli, try cli.profile("Other", ["--issuer-key", key]))

        let good = try issue(cli, file, id, max: 4)
        let expiring = try issue(cli, file, id, max: 4, expires: "1s")
        var tampered = Array(good)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        let cases: [(String, String)] = [
            (String(tampered), "damaged or was altered"),
            (try issue(cli, otherFile, id, max: 4), "another issuer"),
            (try issue(cli, file, other, max: 4), "issued for another profile"),
            ("parley-license:" + String(repeating: "A", count: 10), "damaged"),
        ]
        Thread.sleep(forTimeInterval: 2.1)
        for (token, reason) in cases + [(expiring, "expired")] {
            let result = try cli.parley(["license", "install", token], env)
            #expect(result.status != 0)
            #expect(result.stderr.hasPrefix("parley: error: license refused: ") && result.stderr.contains(reason), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: env["PARLEY_HOME"]! + "/license.token"))
        }
        // No issuer key configured: says how to set one.
        let plain = try cli.profile("Plain")
        let unconfigured = try cli.parley(["license", "install", try issue(cli, file, try identifier(cli, plain), max: 4)], plain)
        #expect(unconfigured.status != 0 && unconfigured.stderr.contains("--issuer-key"), "\(unconfigured.stderr)")

        let install = try cli.parley(["license", "install", good], env)
        #expect(install.status == 0 && install.stdout.contains("up to 4 people"), "\(install.stderr)")
        let path = env["PARLEY_HOME"]! + "/license.token"
        let fileMode = ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue
        #expect(fileMode == 0o600)
        let show = try cli.parley(["license", "show", "--json"], env)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == true && json["maximumParticipants"] as? Int == 4 && json["licensee"] as? String == id)
        let text = try cli.parley(["license", "show"], env)
        #expect(text.stdout.contains("Status: valid") && text.stdout.contains(id), "\(text.stdout)")
    }

    @Test func policyGroupCallsNeedALicenseAllowingThatMany() throws {
        let relay = try AcceptFlowTests.Relay()
        let cli = try PolicyCLI()
        defer { cli.remove() }
        let (file, key) = try issuer(cli, "issuer.key")
        let host = try cli.profile("Host", ["--issuer-key", key])
        let guest = try cli.profile("Guest")
        let contact = try cli.establish(inviter: host, acceptor: guest, relay)
        let id = try identifier(cli, host)

        func check(_ participants: Int) throws -> ParleyExecutable.Result {
            try cli.parley(["contacts", "check", contact, "--participants", "\(participants)"], host)
        }
        #expect(try check(2).status == 0)
        let unlicensed = try check(3)
        #expect(unlicensed.status == 1)
        #expect(unlicensed.stderr.contains("a group call of 3 people needs a paid-tier license: none is installed"), "\(unlicensed.stderr)")

        #expect(try cli.parley(["license", "install", try issue(cli, file, id, max: 4)], host).status == 0)
        for participants in [3, 4] {
            let allowed = try check(participants)
            #expect(allowed.status == 0 && allowed.stdout.hasPrefix("allowed"), "\(participants): \(allowed.stderr)")
        }
        let tooMany = try check(5)
        #expect(tooMany.status == 1 && tooMany.stderr.contains("allows at most 4 participants"), "\(tooMany.stderr)")

        // The smallest license there is (3 people) does not cover a call of 4.
        #expect(try cli.parley(["license", "install", try issue(cli, file, id, max: 3)], host).status == 0)
        #expect(try check(3).status == 0)
        let small = try check(4)
        #expect(small.status == 1 && small.stderr.contains("allows at most 3 participants"), "\(small.stderr)")
        // A license for 2 cannot even be issued: calls of 2 need none.
        let two = try cli.parley(["license", "issue", "--issuer-key-file", file, "--licensee", id, "--max-participants", "2"])
        #expect(two.status != 0 && two.stderr.contains("3 to 8"), "\(two.stderr)")
    }
}
