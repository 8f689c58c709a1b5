import Foundation
import ParleyCore
import ParleyNetwork
import ParleyTestSupport
import Testing

/// `parley netem` between two UDP sockets on 127.0.0.1.
@Suite struct NetemCommandTests {
    /// A running proxy: its listen address from the first stdout line.
    final class Proxy {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()
        var endpoint = IPv4Endpoint(address: 0, port: 0)
        var firstLine = ""

        init(_ arguments: [String]) throws {
            process.executableURL = try ParleyExecutable.url()
            process.arguments = ["netem"] + arguments
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            var line = Data()
            let handle = output.fileHandleForReading
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            firstLine = String(decoding: line, as: UTF8.self)
            // "parley netem listening on 127.0.0.1:PORT, forwarding to …"
            let address = firstLine.split(separator: " ").dropFirst(4).first.map { String($0.dropLast()) } ?? ""
            endpoint = try #require(IPv4Endpoint(address))
        }

        deinit { if process.isRunning { process.terminate() } }

        /// SIGTERM, then what it printed after the first line.
        func stop() -> (status: Int32, stdout: String, stderr: String) {
            process.terminate()
            process.waitUntilExit()
            let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationStatus, rest, err)
        }
    }

    @Test func netemForwardsBothWaysWithoutLossAndStopsWithASummary() throws {
        let server = try UDPSocket(bind: IPv4Endpoint("127.0.0.1:0")!)
        let client = try UDPSocket(bind: IPv4Endpoint("127.0.0.1:0")!)
        let proxy = try Proxy(["--listen", "127.0.0.1:0", "--forward", server.localEndpoint.description,
                               "--network", "loss=0,delay=5ms", "--seed", "3", "--stats-interval", "100ms"])
        #expect(proxy.firstLine.hasPrefix("parley netem listening on 127.0.0.1:"))
        #expect(proxy.firstLine.contains("forwarding to \(server.localEndpoint)"))

        var buffer = [UInt8](repeating: 0, count: 2048)
        var forwarded: [[UInt8]] = []
        var replies: [[UInt8]] = []
        for index in 0..<40 {
            let packet = [UInt8](repeating: UInt8(index), count: 100 + index)
            try client.send(packet, to: proxy.endpoint)
            guard let got = try server.receive(into: &buffer, timeout: 5) else { break }
            forwarded.append(Array(buffer[0..<got.count]))
            // Reply to whoever sent it: the proxy's upstream socket.
            try server.send(Array(buffer[0..<got.count].reversed()), to: got.source)
            guard let back = try client.receive(into: &buffer, timeout: 5) else { break }
            #expect(back.source == proxy.endpoint)
            replies.append(Array(buffer[0..<back.count]))
        }
        #expect(forwarded == (0..<40).map { [UInt8](repeating: UInt8($0), count: 100 + $0) })
        #expect(replies == forwarded.map { $0.reversed() })

        let result = proxy.stop()
        #expect(result.status == 0)
        #expect(result.stdout.contains("parley netem stopped after"))
        #expect(result.stdout.contains("client -> forward  submitted 40, delivered 40, lost 0"))
        #expect(result.stdout.contains("forward -> client  submitted 40, delivered 40, lost 0"))
        #expect(result.stderr.contains("parley netem ") && result.stderr.contains("client->forward submitted"))
    }

    @Test func netemWithFullLossDeliversNothingAndCountsIt() throws {
        let server = try UDPSocket(bind: IPv4Endpoint("127.0.0.1:0")!)
        let client = try UDPSocket(bind: IPv4Endpoint("127.0.0.1:0")!)
        let proxy = try Proxy(["--forward", server.localEndpoint.description, "--network", "loss=100%", "--json"])
        var buffer = [UInt8](repeating: 0, count: 2048)
        for index in 0..<20 { try client.send([UInt8](repeating: 7, count: 60 + index), to: proxy.endpoint) }
        #expect(try server.receive(into: &buffer, timeout: 1) == nil)

        let result = proxy.stop()
        #expect(result.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let outbound = try #require(summary?["clientToForward"] as? [String: Any])
        #expect(outbound["packetsSubmitted"] as? Int == 20)
        #expect(outbound["packetsDelivered"] as? Int == 0)
        #expect((outbound["lostByCause"] as? [String: Any])?["random"] as? Int == 20)
        let network = try #require(summary?["network"] as? [String: Any])
        #expect(network["profile"] as? String == "loss=100%")
    }

    @Test func netemRejectsBadProfilesAndAddresses() throws {
        let cases: [([String], String)] = [
            (["--forward", "127.0.0.1:9", "--network", "delay=-1ms"], "parley: error: network profile: delay=-1ms is not valid: give 0ms to 60s"),
            (["--forward", "127.0.0.1:9", "--network", "moon"], "parley: error: network profile: 'moon' is neither a preset nor key=value"),
            (["--forward", "127.0.0.1:9", "--network", "trace:/nonexistent/x.trace"], "parley: error: trace /nonexistent/x.trace cannot be read"),
            (["--forward", "nowhere"], "parley: error: --forward 'nowhere' is not valid"),
            (["--forward", "127.0.0.1:9", "--listen", "1.2.3:4"], "parley: error: --listen '1.2.3:4' is not valid"),
            (["--forward", "127.0.0.1:9", "--stats-interval", "soon"], "parley: error: --stats-interval 'soon' is not valid"),
        ]
        for (arguments, message) in cases {
            let result = try ParleyExecutable.run(["netem"] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test func netemReadsATraceFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-netem-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.trace")
        try "# t d l\n0 10 0\n0.5 10 maybe\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try ParleyExecutable.run(["netem", "--forward", "127.0.0.1:9", "--network", "trace:\(bad.path)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("trace \(bad.path) line 3: lost: 'maybe' is neither 0 nor 1"))
    }
}
