import Foundation
import ParleyContacts
import ParleyTestSupport
import Testing

@Suite("parley init and parley invite")
struct ContactsCLITests {
    private func home() throws -> URL { try Fixtures.scratchDirectory("parley-home").appendingPathComponent("profile") }

    private func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func initCreatesAPrivateProfileOnce() throws {
        let dir = try home()
        let env = ["PARLEY_HOME": dir.path]
        let first = try ParleyExecutable.run(["init", "--name", "Alice"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        for name in ["profile.json", "store.key", "contacts.store"] {
            #expect(try mode(dir.appendingPathComponent(name).path) == 0o600, "\(name)")
        }
        #expect(try mode(dir.path) == 0o700)
        #expect(try ProfileStore(directory: dir.path).load().displayName == "Alice")
        let again = try ParleyExecutable.run(["init", "--name", "Mallory"], environment: env)
        #expect(again.status != 0)
        #expect(again.stderr.hasPrefix("parley: error: ") && again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(try ProfileStore(directory: dir.path).load().displayName == "Alice")
        let empty = try ParleyExecutable.run(["init", "--name", "  "], environment: ["PARLEY_HOME": try home().path])
        #expect(empty.status != 0 && empty.stderr.hasPrefix("parley: error: "))
    }

    @Test func invitationsAreFreshSignedAndKeptEncrypted() throws {
        let dir = try home()
        let env = ["PARLEY_HOME": dir.path]
        #expect(try ParleyExecutable.run(["init", "--name", "Alice"], environment: env).status == 0)
        let png = dir.deletingLastPathComponent().appendingPathComponent("invite.png").path
        let a = try ParleyExecutable.run(["invite", "--expires", "2h", "--png", png], environment: env)
        #expect(a.status == 0, "\(a.stderr)")
        let uriA = try #require(a.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("parley:") })
        // The terminal QR code is printed with half blocks.
        #expect(a.stdout.contains("█") || a.stdout.contains("▀"))
        let invitation = try Invitation.parse(uri: uriA, now: Date())
        #expect(invitation.relayHint == "127.0.0.1:7400")
        #expect(abs(Double(invitation.expiry) - Date().timeIntervalSince1970 - 7200) < 60)
        // The PNG decodes to the same URI.
        let zbar = "/usr/bin/zbarimg"
        try #require(FileManager.default.isExecutableFile(atPath: zbar), "zbarimg is missing: Tools/install-deps test installs zbar-tools")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zbar)
        process.arguments = ["--raw", "-q", png]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let decoded = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(decoded.trimmingCharacters(in: .whitespacesAndNewlines) == uriA)

        // A second invitation shares no key or identifier bytes with the first.
        let b = try ParleyExecutable.run(["invite", "--uri-only"], environment: env)
        let uriB = b.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = try Invitation.parse(uri: uriB, now: Date())
        for (x, y) in [(invitation.invitationID, other.invitationID), (invitation.signingKey, other.signingKey),
                       (invitation.agreementKey, other.agreementKey)] {
            #expect(x != y)
            #expect(Set(x.windows(ofCount: 8)).isDisjoint(with: Set(y.windows(ofCount: 8))))
        }
        // Both are pending in the store, which holds nothing of them in clear.
        let book: ContactBook = try ContactBook.store(in: dir.path).load()
        #expect(book.pendingInvitations.map(\.uri) == [uriA, uriB])
        let raw = try Data(contentsOf: dir.appendingPathComponent("contacts.store"))
        #expect(raw.range(of: Data(uriA.utf8.suffix(40))) == nil)
        #expect(raw.range(of: Data(invitation.invitationID)) == nil)
    }

    @Test func inviteNeedsAProfileAndAValidDuration() throws {
        let dir = try home()
        let none = try ParleyExecutable.run(["invite"], environment: ["PARLEY_HOME": dir.path])
        #expect(none.status != 0)
        #expect(none.stderr.contains("parley init --name"), "\(none.stderr)")
        #expect(try ParleyExecutable.run(["init", "--name", "A"], environment: ["PARLEY_HOME": dir.path]).status == 0)
        for bad in ["0h", "soon", "-5m", "400d"] {
            let r = try ParleyExecutable.run(["invite", "--expires", bad], environment: ["PARLEY_HOME": dir.path])
            #expect(r.status != 0 && r.stderr.contains("--expires"), "\(bad): \(r.stderr)")
        }
    }
}

private extension Array where Element == UInt8 {
    /// Every run of `n` consecutive bytes.
    func windows(ofCount n: Int) -> [[UInt8]] {
        count < n ? [] : (0...(count - n)).map { Array(self[$0..<$0 + n]) }
    }
}
