import Foundation
import ParleyNetwork
import ParleyTestSupport
import Testing

/// Two real libnice agents in one process, on loopback: what they gather, that they
/// connect through trickled candidates, and that datagrams cross both ways.
@Suite("ICE agent (libnice)", .serialized)
struct ICEAgentTests {
    /// One side of a test call: its agent and what its handlers saw.
    final class Side: @unchecked Sendable {
        let lock = NSLock()
        var candidates: [ICECandidate] = []
        var states: [ICEState] = []
        var received: [[UInt8]] = []
        var pairs: [ICESelectedPair] = []
        var gatheringDone = false
        var agent: ICEAgent!
        /// Where candidates go (the other side), set before gathering.
        var forward: (@Sendable (ICECandidate) -> Void)?

        func handlers() -> ICEAgent.Handlers {
            var h = ICEAgent.Handlers()
            h.onCandidate = { [unowned self] c in
                lock.withLock { candidates.append(c) }
                forward?(c)
            }
            h.onGatheringDone = { [unowned self] in lock.withLock { gatheringDone = true } }
            h.onStateChange = { [unowned self] s in lock.withLock { states.append(s) } }
            h.onSelectedPair = { [unowned self] p in lock.withLock { pairs.append(p) } }
            h.onReceive = { [unowned self] bytes in lock.withLock { received.append(Array(bytes)) } }
            return h
        }

        func snapshot<T>(_ body: (Side) -> T) -> T { lock.withLock { body(self) } }
    }

    /// Waits up to `seconds` for `condition`.
    static func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// Makes two agents on 127.0.0.1 and wires their signaling (credentials, trickled
    /// candidates through a serial queue, as a relay would deliver them).
    static func connectedPair() throws -> (Side, Side) {
        let a = Side(), b = Side()
        var configuration = ICEAgent.Configuration(role: .controlling)
        configuration.localAddresses = ["127.0.0.1"]
        a.agent = try ICEAgent(configuration: configuration, handlers: a.handlers())
        configuration.role = .controlled
        b.agent = try ICEAgent(configuration: configuration, handlers: b.handlers())
        let signaling = DispatchQueue(label: "test-signaling")
        a.forward = { [unowned b] c in signaling.async { try? b.agent.addRemoteCandidate(c.sdp) } }
        b.forward = { [unowned a] c in signaling.async { try? a.agent.addRemoteCandidate(c.sdp) } }
        let ca = a.agent.localCredentials, cb = b.agent.localCredentials
        try a.agent.setRemoteCredentials(ufrag: cb.ufrag, password: cb.password)
        try b.agent.setRemoteCredentials(ufrag: ca.ufrag, password: ca.password)
        try a.agent.gather()
        try b.agent.gather()
        return (a, b)
    }

    @Test("two agents on loopback connect through trickled host candidates and carry datagrams both ways")
    func loopbackAgentsConnectAndCarryDatagrams() throws {
        let (a, b) = try Self.connectedPair()
        defer { a.agent.close(); b.agent.close() }
        #expect(!a.agent.localCredentials.ufrag.isEmpty && a.agent.localCredentials.ufrag != b.agent.localCredentials.ufrag)
        let connected = Self.wait(5) { a.agent.state.isConnected && b.agent.state.isConnected }
        #expect(connected, "states: a \(a.snapshot { $0.states }), b \(b.snapshot { $0.states })")
        #expect(a.snapshot { $0.gatheringDone } && b.snapshot { $0.gatheringDone })
        // Only loopback host candidates were gathered, each with a real port.
        for side in [a, b] {
            let candidates = side.snapshot { $0.candidates }
            #expect(!candidates.isEmpty)
            #expect(candidates.allSatisfy { $0.type == .host && $0.address == "127.0.0.1" && $0.port > 0 })
            #expect(candidates.allSatisfy { $0.sdp.hasPrefix("a=candidate:") && $0.sdp.contains("typ host") })
        }
        // The selected pair: host to host, the peer's address on each side.
        let pairA = try #require(a.agent.selectedPair)
        let pairB = try #require(b.agent.selectedPair)
        #expect(pairA.local.type == .host && pairA.remote.type == .host)
        #expect(pairA.remote.port == pairB.local.port && pairB.remote.port == pairA.local.port)

        // 50 datagrams each way, each with its index: all arrive (loopback), intact.
        for i in 0..<50 {
            var packet = [UInt8](repeating: UInt8(i), count: 100 + i)
            packet[0] = 0x80  // looks like RTP: libnice passes anything that is not STUN
            #expect(packet.withUnsafeBytes { a.agent.send($0) })
            packet[1] = 0xA0
            #expect(packet.withUnsafeBytes { b.agent.send($0) })
        }
        let delivered = Self.wait(5) { a.snapshot { $0.received.count } == 50 && b.snapshot { $0.received.count } == 50 }
        #expect(delivered, "a got \(a.snapshot { $0.received.count }), b got \(b.snapshot { $0.received.count })")
        let atB = b.snapshot { $0.received }
        let atA = a.snapshot { $0.received }
        for i in 0..<min(50, atB.count) {
            #expect(atB[i].count == 100 + i && atB[i][0] == 0x80 && atB[i][1] == UInt8(i) && atB[i].last == UInt8(i))
        }
        #expect(atA.allSatisfy { $0.count >= 100 && $0[1] == 0xA0 })
    }

    @Test("after close, nothing is sent and no handler runs; closing twice is harmless")
    func closeStopsTheAgent() throws {
        let (a, b) = try Self.connectedPair()
        #expect(Self.wait(5) { a.agent.state.isConnected && b.agent.state.isConnected })
        b.agent.close()
        b.agent.close()
        let before = b.snapshot { $0.received.count }
        let sentAfterClose = [UInt8](repeating: 0x80, count: 20).withUnsafeBytes { b.agent.send($0) }
        #expect(!sentAfterClose)
        _ = [UInt8](repeating: 0x80, count: 20).withUnsafeBytes { a.agent.send($0) }
        usleep(200_000)
        #expect(b.snapshot { $0.received.count } == before)
        #expect(throws: ICEError.closed) { try b.agent.gather() }
        a.agent.close()
    }

    /// coturn accepts the TURN REST credentials (an Allocate with a long-term credential
    /// made from the shared secret), and two agents that only exchange relay candidates
    /// connect through it; a wrong secret gets no relay candidate.
    @Test("TURN: REST credentials allocate relay candidates on a real coturn, and two agents talk through them")
    func turnRelayCandidates() throws {
        let coturn = try CoturnServer()
        defer { coturn.stop() }
        let server = ICEServer(address: "127.0.0.1", port: UInt16(coturn.port))
        func side(_ role: ICEAgent.Role, credentials: TURNCredentials) throws -> Side {
            let side = Side()
            var configuration = ICEAgent.Configuration(role: role, turnServer: server, turnCredentials: credentials)
            configuration.localAddresses = ["127.0.0.1"]
            side.agent = try ICEAgent(configuration: configuration, handlers: side.handlers())
            return side
        }
        let a = try side(.controlling, credentials: coturn.credentials())
        let b = try side(.controlled, credentials: coturn.credentials(user: "bob"))
        defer { a.agent.close(); b.agent.close() }
        // Only relay candidates cross: host ones are not signaled, so the path must be TURN.
        let signaling = DispatchQueue(label: "turn-signaling")
        a.forward = { [unowned b] c in if c.type == .relay { signaling.async { try? b.agent.addRemoteCandidate(c.sdp) } } }
        b.forward = { [unowned a] c in if c.type == .relay { signaling.async { try? a.agent.addRemoteCandidate(c.sdp) } } }
        let ca = a.agent.localCredentials, cb = b.agent.localCredentials
        try a.agent.setRemoteCredentials(ufrag: cb.ufrag, password: cb.password)
        try b.agent.setRemoteCredentials(ufrag: ca.ufrag, password: ca.password)
        try a.agent.gather()
        try b.agent.gather()
        #expect(Self.wait(10) { a.snapshot { $0.gatheringDone } && b.snapshot { $0.gatheringDone } })
        let relays = a.snapshot { $0.candidates.filter { $0.type == .relay } }
        #expect(relays.count == 1 && coturn.relayPorts.contains(relays.first?.port ?? 0), "\(a.snapshot { $0.candidates })")
        #expect(Self.wait(10) { a.agent.state.isConnected && b.agent.state.isConnected },
                "states: a \(a.snapshot { $0.states }), b \(b.snapshot { $0.states })")
        #expect(a.agent.selectedPair?.local.type == .relay || a.agent.selectedPair?.remote.type == .relay)
        let sent = [UInt8](repeating: 0x80, count: 200).withUnsafeBytes { a.agent.send($0) }
        #expect(sent && Self.wait(5) { b.snapshot { $0.received.contains { $0.count == 200 } } })

        // A credential from the wrong secret: coturn refuses the allocation, no relay candidate.
        let wrong = try side(.controlling, credentials: TURNCredentials.rest(secret: "not-the-secret", user: "eve", validFor: 600))
        defer { wrong.agent.close() }
        try wrong.agent.gather()
        #expect(Self.wait(10) { wrong.snapshot { $0.gatheringDone } })
        #expect(!wrong.snapshot { $0.candidates.contains { $0.type == .relay } })
    }

    @Test("a loop of its own runs work on its thread and stops when dropped")
    func ownLoopRunsAndStops() {
        var loop: GLibLoop? = GLibLoop(name: "test-loop")
        let onLoopThread = loop!.sync { loop!.isCurrent }
        #expect(onLoopThread && !loop!.isCurrent)
        weak let dropped = loop
        loop = nil
        #expect(dropped == nil)
    }

    @Test("bad input: a malformed remote candidate and a bad server address are clear errors")
    func badInputIsAnError() throws {
        let agent = try ICEAgent(configuration: ICEAgent.Configuration(role: .controlling), handlers: ICEAgent.Handlers())
        defer { agent.close() }
        #expect(throws: ICEError.invalidCandidate("a=candidate:garbage")) { try agent.addRemoteCandidate("a=candidate:garbage") }
        #expect(throws: ICEError.invalidServer("stun.example.org:3478")) { try ICEServer(parsing: "stun.example.org:3478") }
        #expect(throws: ICEError.invalidServer("127.0.0.1:0")) { try ICEServer(parsing: "127.0.0.1:0") }
        #expect(try ICEServer(parsing: "127.0.0.1") == ICEServer(address: "127.0.0.1", port: 3478))
        #expect(ICEError.invalidServer("x").description.contains("A.B.C.D:PORT"))
    }
}
