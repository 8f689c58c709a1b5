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
}
