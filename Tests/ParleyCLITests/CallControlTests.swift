import Foundation
import ParleyCore
import ParleyMedia
import ParleyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--control unix:PATH`: a script drives a whole call through JSON lines.
@Suite("parley call --control: a call driven headless", .serialized)
struct CallControlTests {
    /// A line-oriented client of a Unix socket.
    final class Client {
        let fd: Int32
        private var pending: [UInt8] = []

        init(path: String, timeout: Double) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in
                    for (i, b) in path.utf8.enumerated() { raw[i] = b }
                }
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
                }
                if connected == 0 { self.fd = fd; return }
                close(fd)
                guard Date() < deadline else { throw CLIFailure("no control socket at \(path)") }
                usleep(50_000)
            }
        }

        deinit { close(fd) }

        func send(_ line: String) {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }

        /// The next event (a JSON object), or nil after `timeout`.
        func next(timeout: Double) -> [String: Any]? {
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                if let newline = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    return (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
                }
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { return nil }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, Int32(left * 1000)) > 0 else { return nil }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { return nil }
                pending += buffer[0..<n]
            }
        }

        /// Events until one named `name` (returned), or nil after `timeout`.
        func await(_ name: String, timeout: Double, seen: inout [[String: Any]]) -> [String: Any]? {
            let deadline = Date().addingTimeInterval(timeout)
            while let event = next(timeout: deadline.timeIntervalSinceNow) {
                seen.append(event)
                if event["event"] as? String == name { return event }
            }
            return nil
        }
    }

    struct CLIFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// 12 s of a steady 300 Hz tone.
    static func toneWAV(_ cli: PolicyCLI) throws -> String {
        let path = cli.root.appendingPathComponent("tone.wav").path
        let samples = (0..<(48_000 * 12)).map { n in Float(0.3 * sin(2 * .pi * 300 * Double(n) / 48_000)) }
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 48_000, channels: 1))
        try writer.write(samples)
        try writer.close()
        return path
    }

    @Test("mute, unmute, stats, a bad command and hangup over the control socket; the peer hears the mute")
    func driveACall() async throws {
        let (cli, relay, alice, bob, bobID) = try CallCommandTests.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }
        let tone = try Self.toneWAV(cli)
        let socketPath = cli.root.appendingPathComponent("control.sock").path
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let aliceOut = cli.root.appendingPathComponent("alice-out").path
        let common = ["--duration", "30", "--local-address", "127.0.0.1"]
        let listener = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--idle-timeout", "40", "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))
        let caller = CallCommandTests.Background(["call", bobID, "--audio", tone, "--out", aliceOut, "--control", "unix:\(socketPath)"] + common, alice)
        let client = try Client(path: socketPath, timeout: 60)  // a loaded CI machine starts processes slowly
        var seen: [[String: Any]] = []
        let joined = client.await("joined", timeout: 60, seen: &seen)
        #expect(joined?["peer"] as? String == "\(bobID) Bob" || (joined?["peer"] as? String ?? "").hasSuffix("Bob"), "\(seen)")
        #expect((joined?["pair"] as? String ?? "").contains("host 127.0.0.1:"), "\(joined ?? [:])")
        try await Task.sleep(for: .seconds(1.5))
        client.send(#"{"command": "mute", "id": "m1"}"#)
        let muted = client.await("muted", timeout: 5, seen: &seen)
        #expect(muted?["id"] as? String == "m1")
        try await Task.sleep(for: .seconds(2))
        client.send(#"{"command": "unmute"}"#)
        let unmuted = client.await("unmuted", timeout: 5, seen: &seen)
        try await Task.sleep(for: .seconds(1.5))
        client.send(#"{"command": "stats", "id": 7}"#)
        let stats = client.await("stats", timeout: 5, seen: &seen)
        #expect(stats?["id"] as? String == "7")
        let peers = stats?["peers"] as? [[String: Any]] ?? []
        #expect(peers.count == 1 && (peers.first?["packetsReceived"] as? Int ?? 0) > 100, "\(stats ?? [:])")
        client.send(#"{"command": "dance"}"#)
        let error = client.await("error", timeout: 5, seen: &seen)
        #expect((error?["message"] as? String ?? "").contains("unknown command 'dance'"), "\(error ?? [:])")
        client.send("this is not JSON")
        let error2 = client.await("error", timeout: 5, seen: &seen)
        #expect((error2?["message"] as? String ?? "").contains("not a JSON object"), "\(error2 ?? [:])")
        client.send(#"{"command": "hangup"}"#)
        let ended = client.await("ended", timeout: 10, seen: &seen)
        #expect(ended?["reason"] as? String == "hung up (control)", "\(seen)")
        let call = try await caller.wait(), listen = try await listener.wait()
        #expect(call.status == 0, "\(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "\(listen.stdout)\(listen.stderr)")
        // The hangup ended the 30 s call early (media time: process start-up on a loaded
        // machine does not count).
        #expect((ended?["time"] as? Double ?? 99) < 25, "\(ended ?? [:])")
        #expect(call.stdout.contains("Call ended: hung up (control)"), "\(call.stdout)")
        #expect(listen.stdout.contains("hung up (RTCP BYE)"), "\(listen.stdout)")
        // Bob heard the tone, then (from the mute on) silence, then the tone again.
        let muteAt = try #require(muted?["time"] as? Double), unmuteAt = try #require(unmuted?["time"] as? Double)
        let wav = (bobOut as NSString).appendingPathComponent("received.wav")
        let before = try CallCommandTests.rms(wav, from: 0.5, to: muteAt - 0.2)
        let during = try CallCommandTests.rms(wav, from: muteAt + 0.4, to: unmuteAt - 0.1)
        let after = try CallCommandTests.rms(wav, from: unmuteAt + 0.4, to: unmuteAt + 1.2)
        print("control events: \(seen.map { $0["event"] as? String ?? "?" })\nRMS before/during/after the mute: \(before) \(during) \(after)")
        #expect(before > 0.1 && after > 0.1, "tone RMS \(before), \(after)")
        #expect(during < 0.02, "RMS while muted: \(during)")
    }

    @Test("--control stdio: commands on standard input, only JSON events on standard output, the human lines on standard error")
    func stdioControl() async throws {
        let (cli, relay, alice, bob, bobID) = try CallCommandTests.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let common = ["--duration", "30", "--local-address", "127.0.0.1"]
        let listener = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--idle-timeout", "40", "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))
        let process = Process()
        process.executableURL = try ParleyExecutable.url()
        process.arguments = ["call", bobID, "--out", cli.root.appendingPathComponent("alice-out").path, "--control", "stdio"] + common
        process.environment = ProcessInfo.processInfo.environment.merging(alice) { $1 }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first event: joined. Then hang up.
        var collected = Data()
        let deadline = Date().addingTimeInterval(60)
        while !String(decoding: collected, as: UTF8.self).contains("\"joined\""), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            collected += chunk
        }
        input.fileHandleForWriting.write(Data(#"{"command": "hangup", "id": "bye"}"#.utf8 + [0x0A]))
        while process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        collected += output.fileHandleForReading.readDataToEndOfFile()
        let human = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = try await listener.wait()
        let lines = String(decoding: collected, as: UTF8.self).split(separator: "\n")
        let events = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(process.terminationStatus == 0, "\(human)")
        #expect(events.count == lines.count, "standard output holds only JSON events: \(lines)")
        #expect(events.map { $0["event"] as? String ?? "" } .contains("joined"))
        #expect(events.contains { $0["event"] as? String == "hanging-up" && $0["id"] as? String == "bye" }, "\(events)")
        #expect(events.last?["event"] as? String == "ended", "\(events)")
        #expect(human.contains("Compare these words with your contact"), "the human lines go to standard error: \(human)")
    }
}
