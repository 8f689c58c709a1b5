import ArgumentParser
import Foundation
import ParleyConference
import ParleyCore
import ParleyNetwork

/// `parley netem`: a UDP proxy that applies the user-space network emulator both ways, for
/// calls over real sockets (the kernel here has no netem). One thread: it polls its two
/// sockets until the next packet is due, then sends what is due.
struct NetemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netem",
        abstract: "Run a UDP proxy that delays, drops, reorders and rate-limits packets like a real network.",
        discussion: """
            Packets from the first client address seen on --listen go to --forward; replies \
            from --forward go back to that client. Each direction is its own emulated link \
            with the same profile (and its own random stream from --seed). Prints its listen \
            address on the first line of stdout, counters on stderr every --stats-interval, \
            and a summary when stopped with SIGINT or SIGTERM. Times in the profile \
            (blackout=, at=) count from the proxy's start.

            PROFILE is a preset (\(NetworkPresets.names.joined(separator: ", "))), key=value pairs, \
            or trace:FILE. Keys: delay=40ms, jitter=10ms[:uniform|normal|pareto[:SHAPE]], \
            loss=2%, burst=RATE%:LENGTH, gilbert=P%:R%[:LOSSGOOD%:LOSSBAD%], \
            reorder=P%[:DELAY], dup=P%, rate=1mbit, queue=50ms|64KB, fifo=on|off, \
            blackout=START+DURATION, and at=TIME to start another segment after ';'.

            Examples:
              parley netem --listen 127.0.0.1:6000 --forward 127.0.0.1:5004 --network 4g --seed 7
              parley netem --listen 127.0.0.1:6000 --forward 127.0.0.1:5004 \\
                --network 'delay=40ms,jitter=10ms:normal,loss=2%,rate=1mbit,queue=50ms'
              parley netem --listen 127.0.0.1:6000 --forward 127.0.0.1:5004 --network 'wifi;at=10s,congested'
              parley netem --listen 127.0.0.1:6000 --forward 127.0.0.1:5004 --network trace:path.trace
            """
    )

    @Option(name: .long, help: ArgumentHelp("Address to listen on for the client (port 0 picks a free port).", valueName: "HOST:PORT"))
    var listen: String = "127.0.0.1:0"

    @Option(name: .long, help: ArgumentHelp("Where the client's packets go.", valueName: "HOST:PORT"))
    var forward: String

    @Option(name: .long, help: ArgumentHelp("A preset, key=value pairs or trace:FILE (see above).", valueName: "PROFILE"))
    var network: String = "clean"

    @Option(name: .long, help: ArgumentHelp("Seed of the emulator's random streams: the same seed gives the same losses and delays.", valueName: "N"))
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Print counters on stderr this often (0 for never).", valueName: "DURATION"))
    var statsInterval: String = "1s"

    @Flag(name: .long, help: "Print the final summary as JSON (profile and both directions' counters) on stdout.")
    var json = false

    func run() throws {
        guard let listenEndpoint = IPv4Endpoint(listen) else {
            throw CLIError.invalidValue(option: "--listen", value: listen, expected: "give IPv4 HOST:PORT, e.g. 127.0.0.1:6000")
        }
        guard let forwardEndpoint = IPv4Endpoint(forward), forwardEndpoint.port != 0 else {
            throw CLIError.invalidValue(option: "--forward", value: forward, expected: "give IPv4 HOST:PORT with a port, e.g. 127.0.0.1:5004")
        }
        guard let interval = Self.parseInterval(statsInterval) else {
            throw CLIError.invalidValue(option: "--stats-interval", value: statsInterval, expected: "give a duration such as 1s, 500ms or 0 (never)")
        }
        let profile = try NetworkProfile.fromCommandLine(network)

        let listenSocket = try UDPSocket(bind: listenEndpoint)
        // Replies from --forward come back to a socket of their own, bound like --listen.
        let upstream = try UDPSocket(bind: IPv4Endpoint(address: listenEndpoint.address, port: 0))
        let poller = UDPSocketPoller([listenSocket, upstream])
        FileHandle.standardOutput.write(Data("parley netem listening on \(listenSocket.localEndpoint), forwarding to \(forwardEndpoint), network \(profile.name)\n".utf8))

        let stop = NetemStopFlag()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.set() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }

        let outbound = NetworkEmulator<[UInt8]>(profile: profile, seed: seed)
        let inbound = NetworkEmulator<[UInt8]>(profile: profile, seed: seed ^ 0x6E65_7465_6D5F_696E)
        var client: IPv4Endpoint?
        var ignored = 0
        var sendErrors = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let origin = DispatchTime.now().uptimeNanoseconds
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds - origin) / 1e9 }
        var nextStats = interval > 0 ? interval : Double.infinity

        while !stop.isSet {
            let time = now()
            while let delivery = outbound.nextDelivery(until: time) {
                outbound.countDeliveredBytes(delivery.payload.count)
                do { try upstream.send(delivery.payload, to: forwardEndpoint) } catch { sendErrors += 1 }
            }
            while let delivery = inbound.nextDelivery(until: time) {
                inbound.countDeliveredBytes(delivery.payload.count)
                guard let client else { continue }
                do { try listenSocket.send(delivery.payload, to: client) } catch { sendErrors += 1 }
            }
            if time >= nextStats {
                FileHandle.standardError.write(Data(("parley netem \(String(format: "%.1f", time)) s: client->forward "
                    + "\(outbound.counters.summary); forward->client \(inbound.counters.summary)\n").utf8))
                nextStats += interval
                if nextStats <= time { nextStats = time + interval }
            }
            // Sleep until a packet is due, a datagram arrives, or 50 ms pass (to see signals).
            var wake = min(time + 0.05, nextStats)
            if let due = outbound.nextDeliveryTime { wake = min(wake, due) }
            if let due = inbound.nextDeliveryTime { wake = min(wake, due) }
            guard try poller.wait(timeout: max(0, wake - now())) else { continue }

            for _ in 0..<256 {
                guard let received = try listenSocket.receive(into: &buffer, timeout: 0) else { break }
                if client == nil { client = received.source }
                guard received.source == client, !received.truncated else { ignored += 1; continue }
                outbound.submit(Array(buffer[0..<received.count]), size: received.count, at: now())
            }
            for _ in 0..<256 {
                guard let received = try upstream.receive(into: &buffer, timeout: 0) else { break }
                guard received.source == forwardEndpoint, client != nil, !received.truncated else { ignored += 1; continue }
                inbound.submit(Array(buffer[0..<received.count]), size: received.count, at: now())
            }
        }

        let elapsed = now()
        if json {
            let text = "{\"elapsedS\":\(String(format: "%.3f", elapsed)),\"seed\":\(seed),\"network\":\(profile.json),"
                + "\"clientToForward\":\(outbound.counters.json),\"forwardToClient\":\(inbound.counters.json),"
                + "\"inFlightAtStop\":[\(outbound.pending),\(inbound.pending)],\"ignored\":\(ignored),\"sendErrors\":\(sendErrors)}\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            var text = "parley netem stopped after \(String(format: "%.1f", elapsed)) s\n"
            let inFlight = { (pending: Int) in pending > 0 ? ", \(pending) in flight at stop" : "" }
            text += "  client -> forward  \(outbound.counters.summary)\(inFlight(outbound.pending))\n"
            text += "  forward -> client  \(inbound.counters.summary)\(inFlight(inbound.pending))\n"
            if ignored > 0 || sendErrors > 0 { text += "  ignored \(ignored) datagrams from other addresses, \(sendErrors) send errors\n" }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// `1s`, `500ms`, `2.5`, `0`: seconds, or nil.
    static func parseInterval(_ text: String) -> Double? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        var scale = 1.0
        if digits.hasSuffix("ms") { scale = 0.001; digits = digits.dropLast(2) } else if digits.hasSuffix("s") { digits = digits.dropLast() }
        guard let value = Double(digits), value.isFinite, value >= 0, value * scale <= 86_400 else { return nil }
        return value * scale
    }
}

/// Set by the signal handlers, read by the proxy loop.
final class NetemStopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var isSet: Bool { lock.withLock { stopped } }
    func set() { lock.withLock { stopped = true } }
}
