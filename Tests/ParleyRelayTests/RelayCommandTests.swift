import Foundation
import ParleySecurity
import ParleyTestSupport
import Testing

@testable import ParleyRelay

@Suite struct RelayCommandTests {
    /// `parley relay --listen 127.0.0.1:0` prints its address, serves, and stops on SIGTERM.
    @Test func relayCommandListensServesAndStops() async throws {
        let process = Process()
        process.executableURL = try ParleyExecutable.url()
        process.arguments = ["relay", "--listen", "127.0.0.1:0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // Read the first line: "parley relay listening on 127.0.0.1:PORT".
        var line = Data()
        let handle = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.hasPrefix("parley relay listening on 127.0.0.1:"))
        let port = try #require(Int(text.split(separator: ":").last!.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(port > 0)

        let client = try await RelayClient.connect(host: "127.0.0.1", port: port)
        let mailbox = try MailboxID.random()
        try await client.deposit(mailbox: mailbox, envelope: [1, 2, 3], ttl: 60)
        try await client.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair())
        #expect(try await client.fetch(mailbox: mailbox).map(\.bytes) == [[1, 2, 3]])
        await client.close()

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rest = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        #expect(rest.contains("parley relay stopped"))
    }

    @Test func relayCommandRejectsBadListenAddress() throws {
        let result = try ParleyExecutable.run(["relay", "--listen", "nonsense"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--listen 'nonsense' is not valid"))
    }

    @Test func relayCommandRejectsBadLimits() throws {
        let cases: [([String], String)] = [
            (["--max-total-bytes", "lots"], "--max-total-bytes 'lots' is not valid: give a positive size such as 65536, 64K, 4M or 1G"),
            (["--max-total-bytes", "1K"], "--max-total-bytes '1K' is not valid: give at least --max-envelope-bytes plus 64"),
            (["--max-envelope-bytes", "100K"], "--max-envelope-bytes '100K' is not valid: give 1 to 61440"),
            (["--max-mailbox-bytes", "1K"], "--max-mailbox-bytes '1K' is not valid: give at least --max-envelope-bytes (61440)"),
            (["--max-connections", "0"], "--max-connections '0' is not valid: give a positive number"),
            (["--rate", "0"], "--rate '0.0' is not valid: give deposits per second, more than 0"),
            (["--max-ttl", "forever"], "--max-ttl 'forever' is not valid: give a duration such as 3600, 90m, 24h or 7d"),
            (["--idle-timeout", "soon"], "--idle-timeout 'soon' is not valid: give a duration such as 120s or 5m"),
        ]
        for (arguments, message) in cases {
            let result = try ParleyExecutable.run(["relay", "--listen", "127.0.0.1:0"] + arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.hasPrefix("parley: error: \(message)"), "\(arguments): \(result.stderr)")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("parley-relay-file-\(UUID().uuidString.prefix(8))")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try ParleyExecutable.run(["relay", "--listen", "127.0.0.1:0", "--store", file.path])
        #expect(result.status != 0)
        #expect(result.stderr == "parley: error: relay store \(file.path): exists and is not a directory\n")
    }

    /// `parley relay --store DIR --log-level info`: refusals are logged one line each, and a
    /// restarted relay on the same store serves what the first one stored.
    @Test func relayCommandStoreSurvivesRestartAndLogsRefusals() async throws {
        let directory = try TemporaryDirectory("relay-cli")
        defer { directory.remove() }
        let arguments = ["relay", "--listen", "127.0.0.1:0", "--store", directory.path, "--max-envelope-bytes", "100", "--log-level", "info"]
        let mailbox = try MailboxID.random()
        let key = try Ed25519.generateKeyPair()

        let first = try RelayProcess(arguments)
        #expect(first.lines[1] == "parley relay store \(directory.path): loaded 0 envelopes in 0 mailboxes")
        let client = try await RelayClient.connect(host: "127.0.0.1", port: first.port)
        try await client.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 5, count: 100))
        #expect(await refusal { try await client.deposit(mailbox: mailbox, envelope: [UInt8](repeating: 5, count: 101)) } == "envelope too large")
        try await client.claim(mailbox: mailbox, keyPair: key)
        await client.close()
        let firstRun = first.stop()
        #expect(firstRun.status == 0)
        #expect(firstRun.stdout.hasSuffix("parley relay stopped\n"))
        let refusals = firstRun.stderr.split(separator: "\n").filter { $0.contains("refused") }
        #expect(refusals.count == 1, "\(firstRun.stderr)")
        #expect(refusals.first?.contains("info parley.relay") == true && refusals.first?.contains("envelope too large") == true,
                "\(firstRun.stderr)")

        let second = try RelayProcess(arguments)
        #expect(second.lines[1] == "parley relay store \(directory.path): loaded 1 envelope in 1 mailbox")
        let thief = try await RelayClient.connect(host: "127.0.0.1", port: second.port)
        #expect(await refusal { try await thief.claim(mailbox: mailbox, keyPair: try Ed25519.generateKeyPair()) } == "mailbox claimed by another key")
        await thief.close()
        let owner = try await RelayClient.connect(host: "127.0.0.1", port: second.port)
        try await owner.claim(mailbox: mailbox, keyPair: key)
        #expect(try await owner.fetch(mailbox: mailbox).map(\.bytes) == [[UInt8](repeating: 5, count: 100)])
        await owner.close()
        #expect(second.stop().status == 0)
    }
}

/// `parley relay …` in the background: its first two stdout lines (address, store), its
/// port; stopped with SIGTERM.
final class RelayProcess {
    let process = Process()
    let lines: [String]
    let port: Int
    private let output = Pipe()
    private let errorURL: URL
    private var buffered = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = try ParleyExecutable.url()
        process.arguments = arguments
        process.standardOutput = output
        errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("parley-relay-stderr-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        while buffered.filter({ $0 == UInt8(ascii: "\n") }).count < 2 {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffered.append(chunk)
        }
        let text = String(decoding: buffered, as: UTF8.self)
        lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first, first.hasPrefix("parley relay listening on 127.0.0.1:"),
              let port = Int(first.split(separator: ":").last ?? "")
        else {
            process.terminate()
            throw RelayError.malformed("relay output: \(text)")
        }
        self.port = port
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: errorURL)
    }

    /// SIGTERM, then everything it printed.
    func stop() -> ParleyExecutable.Result {
        process.terminate()
        process.waitUntilExit()
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        let stdout = String(decoding: buffered + rest, as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errorURL)) ?? Data(), as: UTF8.self)
        return ParleyExecutable.Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
