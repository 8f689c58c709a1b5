import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleySecurity

/// The ICE links of one member of a group call across processes, and the signaling that
/// sets them up (`GroupLinkMessage`), on a thread of its own: it keeps running during the
/// media, because the host forwards the other members' link messages for as long as the
/// call lasts, and links come up at different times.
///
/// Each pair of members has its own ICE agents (one component, rtcp-mux); the host is the
/// controlling side of its links, and between two members the one with the lower member
/// id. Every link's transport shares one clock (`origin`).
///
/// ICE restart: a link that was up and from which nothing arrives for
/// `restartAfterSilence` seconds (or whose ICE failed) restarts — a new agent, with new
/// credentials and candidates gathered on the interfaces that are up now, sent as link
/// messages; the peer, seeing new credentials it did not ask for, restarts its side too
/// and answers with its own. The media keeps the link's transport and goes on once the new
/// path is up. A 1:1 call runs the same thread after it connects (`adopt`).
final class GroupCallNetwork: @unchecked Sendable {
    /// One other member.
    final class Peer {
        let id: [UInt8]
        let name: String
        let description: DirectCallDescription
        let ice: CallICE
        var hasRemoteCredentials = false
        var early: [GroupLinkMessage] = []
        var connectedAfter: Double?
        var failed = false
        var remoteUfrag: String?
        /// We restarted and wait for the peer's new credentials.
        var restartPending = false
        var lastRestart: Double?
        /// The path came up again after a restart.
        var reconnecting = false
        /// Handed to the media (`takeConnected`).
        var inMedia = false

        init(id: [UInt8], name: String, description: DirectCallDescription, ice: CallICE) {
            self.id = id
            self.name = name
            self.description = description
            self.ice = ice
        }
    }

    let selfID: [UInt8]
    let isHost: Bool
    /// Where a message for a member goes: the host has one route per member; a member
    /// sends everything to the host.
    private let routes: [[UInt8]: CallSignaling]
    private let hostRoute: CallSignaling?
    private let makeICE: (ICEAgent.Role) throws -> CallICE
    private let lock = NSLock()
    private var peers: [[UInt8]: Peer] = [:]
    /// Link messages for members not known yet (a `.member` message still on its way).
    private var waiting: [GroupLinkMessage] = []
    private var running = false
    private let finished = DispatchSemaphore(value: 0)
    private let startedAt: Date
    /// State lines ("connected to …"), printed as they happen.
    let log: (String) -> Void
    private(set) var forwarded = 0
    private(set) var dropped = 0
    /// Seconds without a datagram on a link that was up before ICE restarts it.
    var restartAfterSilence = 1.5
    /// Seconds of silence after which a link is given up (the call's --silent-timeout ends
    /// its media then): no more restarts toward a peer that is gone.
    var giveUpAfterSilence = 5.0

    /// - Parameters:
    ///   - routes: host: each member's id → its signaling; member: the host's id → the
    ///     signaling with the host.
    init(selfID: [UInt8], isHost: Bool, routes: [[UInt8]: CallSignaling], startedAt: Date,
         makeICE: @escaping (ICEAgent.Role) throws -> CallICE, log: @escaping (String) -> Void) {
        self.selfID = selfID
        self.isHost = isHost
        self.routes = routes
        hostRoute = isHost ? nil : routes.values.first
        self.makeICE = makeICE
        self.startedAt = startedAt
        self.log = log
    }

    private func route(to id: [UInt8]) -> CallSignaling? { isHost ? routes[id] : hostRoute }

    /// Adds a link to member `id` and starts its ICE: our credentials go out, then the
    /// candidates as they are gathered.
    func addPeer(id: [UInt8], name: String, description: DirectCallDescription) throws {
        let controlling = isHost || (!routes.keys.contains(id) && selfID.lexicographicallyPrecedes(id))
        let ice = try makeICE(controlling ? .controlling : .controlled)
        try start(Peer(id: id, name: name, description: description, ice: ice))
    }

    /// Takes in a link that is already up (a 1:1 call's, set up by its offer and answer),
    /// so that this thread keeps it: restarts ICE when its path dies.
    func adopt(id: [UInt8], name: String, description: DirectCallDescription, ice: CallICE) {
        let peer = Peer(id: id, name: name, description: description, ice: ice)
        peer.hasRemoteCredentials = true
        peer.remoteUfrag = description.ufrag
        peer.connectedAfter = Date().timeIntervalSince(startedAt)
        lock.withLock { peers[id] = peer }
    }

    private func start(_ peer: Peer) throws {
        let id = peer.id, ice = peer.ice
        let credentials = ice.transport.agent.localCredentials
        try send(GroupLinkMessage(to: id, from: selfID, kind: .credentials, payload: Array("\(credentials.ufrag) \(credentials.password)".utf8)))
        try ice.transport.agent.gather()
        let held: [GroupLinkMessage] = lock.withLock {
            peers[id] = peer
            let mine = waiting.filter { $0.from == id }
            waiting.removeAll { $0.from == id }
            return mine
        }
        for message in held { apply(message) }
    }

    private func send(_ message: GroupLinkMessage) throws {
        guard let route = route(to: message.to) else { return }
        try route.send(message.message)
    }

    /// The members known so far.
    var knownPeers: [Peer] { lock.withLock { Array(peers.values) } }

    func peer(_ id: [UInt8]) -> Peer? { lock.withLock { peers[id] } }

    /// Runs the signaling on its own thread until `stop()`. `early`: messages that came
    /// before the network started (with the roster).
    func start(early: [SignalingMessage] = []) {
        lock.withLock { running = true }
        for message in early { handle(message, on: nil) }
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                pump()
                usleep(20_000)
            }
            finished.signal()
        }
        thread.name = "parley-group-signaling"
        thread.start()
    }

    /// Stops the signaling thread (waiting for it) and closes every link's agent. Safe to
    /// call more than once.
    func stop() {
        guard lock.withLock({ let was = running; running = false; return was }) else { return }
        finished.wait()
        for peer in knownPeers { peer.ice.transport.agent.close() }
    }

    /// One round: what arrived on every route, then our new candidates.
    private func pump() {
        for (id, signaling) in routes {
            let envelopes: [[UInt8]]
            do { envelopes = try signaling.receive() } catch { continue }  // the relay is down: retried next round
            for envelope in envelopes {
                guard let message = try? signaling.channel.open(envelope) else { dropped += 1; continue }
                handle(message, on: isHost ? id : nil)
            }
        }
        for peer in knownPeers {
            let (candidates, finished) = peer.ice.take()
            for c in candidates {
                try? send(GroupLinkMessage(to: peer.id, from: selfID, kind: .candidate, payload: Array(c.sdp.utf8)))
            }
            if finished { try? send(GroupLinkMessage(to: peer.id, from: selfID, kind: .candidate, payload: [])) }
            if !peer.failed, peer.connectedAfter == nil, peer.ice.transport.agent.state == .failed {
                peer.failed = true
                log("No network path to \(peer.name) (ICE failed); the call goes on without them.")
            }
            if peer.connectedAfter == nil, peer.ice.transport.agent.state.isConnected {
                peer.connectedAfter = Date().timeIntervalSince(startedAt)
                log("Connected to \(peer.name) after \(String(format: "%.0f", peer.connectedAfter! * 1000)) ms: "
                    + (peer.ice.transport.agent.selectedPair.map { "\($0)" } ?? "path selected"))
            }
            keepAlive(peer)
        }
    }

    /// A link that was up: restarts ICE when nothing arrived for `restartAfterSilence` or
    /// its ICE failed (at most once every 3 s); says when the path is back.
    private func keepAlive(_ peer: Peer) {
        guard peer.connectedAfter != nil else { return }
        let transport = peer.ice.transport
        let now = transport.clock()
        let agent = transport.agent
        if peer.reconnecting, agent.state.isConnected, let since = peer.lastRestart {
            peer.reconnecting = false
            log("Reconnected to \(peer.name) \(String(format: "%.0f", (now - since) * 1000)) ms after the ICE restart: "
                + (agent.selectedPair.map { "\($0)" } ?? "path selected"))
        }
        if let last = peer.lastRestart, now - last < 3 { return }
        let silence = now - (transport.lastArrival ?? now)
        guard silence > restartAfterSilence || agent.state == .failed else { return }
        // A peer that is gone for good (its media link has ended) is not chased.
        guard silence < giveUpAfterSilence else { return }
        log("Nothing arrives from \(peer.name) (ICE \(agent.state.rawValue)); restarting ICE…")
        restart(peer, initiating: true)
    }

    /// A new agent for `peer`'s link; its credentials go out, then its candidates.
    private func restart(_ peer: Peer, initiating: Bool) {
        do {
            try peer.ice.restart()
            peer.hasRemoteCredentials = false
            peer.restartPending = initiating
            peer.reconnecting = true
            peer.lastRestart = peer.ice.transport.clock()
            let credentials = peer.ice.transport.agent.localCredentials
            try send(GroupLinkMessage(to: peer.id, from: selfID, kind: .credentials,
                                      payload: Array("\(credentials.ufrag) \(credentials.password)".utf8)))
            try peer.ice.transport.agent.gather()
        } catch {
            log("The ICE restart with \(peer.name) failed: \(error)")
        }
    }

    /// `sender`: the member whose channel the message came on (host), nil for the host's.
    private func handle(_ message: SignalingMessage, on sender: [UInt8]?) {
        switch message.kind {
        case .link:
            guard let link = try? GroupLinkMessage(decoding: message.body) else { dropped += 1; return }
            if let sender, link.from != sender { dropped += 1; return }  // a member may speak only for itself
            if link.to == selfID {
                // Only the host names the members (a member forwarding a `.member` of its own
                // making would make us chase a peer that is not in the roster).
                if link.kind == .member, !isHost, link.from == routes.keys.first,
                   let member = try? GroupLinkMessage.Member(decoding: link.payload),
                   let description = try? DirectCallDescription(parsing: member.description, requireICE: false) {
                    if peer(member.id) == nil { try? addPeer(id: member.id, name: member.name, description: description) }
                    return
                }
                apply(link)
            } else if isHost, let route = routes[link.to] {
                do { try route.send(link.message); forwarded += 1 } catch { dropped += 1 }
            } else {
                dropped += 1
            }
        case .hangup:
            if let sender, let name = peer(sender)?.name { log("\(name) left the call.") }
        default:
            break
        }
    }

    /// Applies a link message from a known peer (or keeps it until the peer is known, or
    /// until its credentials came: candidates wait for them).
    private func apply(_ message: GroupLinkMessage) {
        guard let peer = peer(message.from) else {
            lock.withLock { waiting.append(message) }
            return
        }
        let agent = peer.ice.transport.agent
        switch message.kind {
        case .credentials:
            let parts = String(decoding: message.payload, as: UTF8.self).split(separator: " ")
            guard parts.count == 2 else { dropped += 1; return }
            let ufrag = String(parts[0])
            if let known = peer.remoteUfrag, known != ufrag, !peer.restartPending {
                // The peer restarted ICE: our side restarts too, and answers.
                log("\(peer.name) restarted ICE; restarting ours…")
                restart(peer, initiating: false)
            }
            let current = peer.ice.transport.agent
            guard (try? current.setRemoteCredentials(ufrag: ufrag, password: String(parts[1]))) != nil else {
                dropped += 1
                return
            }
            peer.remoteUfrag = ufrag
            peer.restartPending = false
            peer.hasRemoteCredentials = true
            let early = peer.early
            peer.early = []
            for m in early { apply(m) }
        case .candidate:
            guard peer.hasRemoteCredentials else { peer.early.append(message); return }
            if message.payload.isEmpty {
                agent.remoteGatheringDone()
            } else if let sdp = String(validating: message.payload, as: UTF8.self) {
                try? agent.addRemoteCandidate(sdp)
            }
        case .member:
            dropped += 1  // only the host names members, and only to us
        }
    }

    /// Waits until a first member of `expected` has a working path (the media starts with
    /// it; the others join it as their paths come up), or every one failed, or `timeout`.
    /// Returns whether one has.
    func waitForFirstLink(expected: [[UInt8]], timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let peers = expected.compactMap { peer($0) }
            if peers.contains(where: { $0.ice.transport.agent.state.isConnected }) { return true }
            if peers.count == expected.count, peers.allSatisfy({ $0.ice.transport.agent.state == .failed }) { return false }
            usleep(20_000)
        }
        return false
    }

    /// Members whose path is up and who are not in the media yet (each is returned once).
    func takeConnected() -> [Peer] {
        lock.withLock {
            let ready = peers.values.filter { !$0.inMedia && $0.ice.transport.agent.state.isConnected }
            for peer in ready { peer.inMedia = true }
            return ready.sorted { $0.name < $1.name }
        }
    }

    /// Members of `expected` that never got a path.
    func unconnected(_ expected: [[UInt8]]) -> [String] {
        lock.withLock { expected.filter { peers[$0]?.inMedia != true }.map { peers[$0]?.name ?? "a member" } }
    }
}
