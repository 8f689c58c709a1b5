import CNice
import Foundation

/// A candidate's kind (RFC 8445 §5.1.1): where its address comes from.
public enum ICECandidateType: String, Sendable, Codable, Equatable {
    case host, srflx, prflx, relay
}

/// One ICE candidate as signaling carries it: the SDP attribute line libnice writes and
/// parses (`a=candidate:…`), plus what it says, for the stats.
public struct ICECandidate: Sendable, Codable, Equatable, CustomStringConvertible {
    public var sdp: String
    public var type: ICECandidateType
    public var address: String
    public var port: Int

    public init(sdp: String, type: ICECandidateType, address: String, port: Int) {
        self.sdp = sdp
        self.type = type
        self.address = address
        self.port = port
    }

    public var description: String { "\(type) \(address):\(port)" }
}

/// The pair ICE selected for media.
public struct ICESelectedPair: Sendable, Codable, Equatable, CustomStringConvertible {
    public var local: ICECandidate
    public var remote: ICECandidate
    public var description: String { "\(local) -> \(remote)" }
}

/// The component's state (libnice's `NiceComponentState`).
public enum ICEState: String, Sendable, Codable, Equatable {
    case disconnected, gathering, connecting, connected, ready, failed

    init(nice state: UInt32) {
        switch state {
        case NICE_COMPONENT_STATE_GATHERING.rawValue: self = .gathering
        case NICE_COMPONENT_STATE_CONNECTING.rawValue: self = .connecting
        case NICE_COMPONENT_STATE_CONNECTED.rawValue: self = .connected
        case NICE_COMPONENT_STATE_READY.rawValue: self = .ready
        case NICE_COMPONENT_STATE_FAILED.rawValue: self = .failed
        default: self = .disconnected
        }
    }

    /// Media can flow (a working pair exists).
    public var isConnected: Bool { self == .connected || self == .ready }
}

/// A STUN or TURN server, by IPv4 address (libnice takes literals; resolve names first).
public struct ICEServer: Sendable, Codable, Equatable, CustomStringConvertible {
    public var address: String
    public var port: UInt16
    public init(address: String, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `A.B.C.D:PORT`.
    public init(parsing text: String, defaultPort: UInt16 = 3478) throws(ICEError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), Self.isIPv4(String(parts[0])) else { throw .invalidServer(text) }
        address = String(parts[0])
        if parts.count == 2 {
            guard let port = UInt16(parts[1]), port > 0 else { throw .invalidServer(text) }
            self.port = port
        } else {
            port = defaultPort
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    public var description: String { "\(address):\(port)" }
}

public enum ICEError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidServer(String)
    case agentFailed(String)
    case invalidCandidate(String)
    case closed

    public var description: String {
        switch self {
        case .invalidServer(let text):
            return "'\(text)' is not a STUN/TURN server address; write it as A.B.C.D:PORT, e.g. 127.0.0.1:3478"
        case .agentFailed(let what): return "ICE: \(what)"
        case .invalidCandidate(let text): return "ICE: cannot parse the remote candidate '\(text)'"
        case .closed: return "ICE: the agent is closed"
        }
    }
}

/// One ICE agent (libnice, RFC 8445 with trickle and RFC 7675 consent freshness) for one
/// media stream with one component: RTP and RTCP multiplexed (RFC 5761), so a single
/// path carries everything. Handlers run on the GLib loop's thread; keep them short and
/// never call `close()` from one.
///
/// Use: make the agent, send `localCredentials` and each candidate from `onCandidate`
/// to the peer through signaling, give the peer's with `setRemoteCredentials` and
/// `addRemoteCandidate`, then `send` once `onStateChange` reports a connected state.
public final class ICEAgent: @unchecked Sendable {
    public enum Role: String, Sendable, Codable { case controlling, controlled }

    public struct Configuration: Sendable {
        public var role: Role
        public var stunServer: ICEServer?
        public var turnServer: ICEServer?
        public var turnCredentials: TURNCredentials?
        /// RFC 7675: a pair whose peer stops answering consent checks (about 30 s) fails.
        public var consentFreshness = true
        /// Host candidates only from these local IPv4 addresses (all interfaces when empty).
        public var localAddresses: [String] = []
        /// Local ports for host candidates (all when nil).
        public var portRange: ClosedRange<UInt16>?

        public init(role: Role, stunServer: ICEServer? = nil, turnServer: ICEServer? = nil,
                    turnCredentials: TURNCredentials? = nil) {
            self.role = role
            self.stunServer = stunServer
            self.turnServer = turnServer
            self.turnCredentials = turnCredentials
        }
    }

    public struct Handlers: Sendable {
        public var onCandidate: (@Sendable (ICECandidate) -> Void)?
        public var onGatheringDone: (@Sendable () -> Void)?
        public var onStateChange: (@Sendable (ICEState) -> Void)?
        public var onSelectedPair: (@Sendable (ICESelectedPair) -> Void)?
        /// A datagram from the peer (valid during the call).
        public var onReceive: (@Sendable (UnsafeRawBufferPointer) -> Void)?
        public init() {}
    }

    public let configuration: Configuration
    public let loop: GLibLoop
    private let agent: OpaquePointer
    private let stream: UInt32
    private let box: AgentBox
    private let boxPointer: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var closed = false

    public init(configuration: Configuration, handlers: Handlers, loop: GLibLoop = .shared) throws {
        self.configuration = configuration
        self.loop = loop
        var options = NICE_AGENT_OPTION_ICE_TRICKLE.rawValue
        if configuration.consentFreshness { options |= NICE_AGENT_OPTION_CONSENT_FRESHNESS.rawValue }
        guard let agent = nice_agent_new_full(loop.context, NICE_COMPATIBILITY_RFC5245, NiceAgentOption(rawValue: options)) else {
            throw ICEError.agentFailed("libnice could not create an agent")
        }
        self.agent = agent
        parley_nice_set_defaults(agent)
        parley_nice_set_controlling(agent, configuration.role == .controlling ? 1 : 0)
        if let stun = configuration.stunServer {
            guard ICEServer.isIPv4(stun.address) else { parley_g_object_unref(UnsafeMutableRawPointer(agent)); throw ICEError.invalidServer(stun.address) }
            parley_nice_set_stun_server(agent, stun.address, UInt32(stun.port))
        }
        // Host candidates on the given addresses, or on every IPv4 interface that is up
        // (libnice would also offer IPv6 link-local ones, which Parley's paths do not use).
        let addresses = configuration.localAddresses.isEmpty ? Self.localIPv4Addresses() : configuration.localAddresses
        for address in addresses {
            var nice = NiceAddress()
            nice_address_init(&nice)
            guard nice_address_set_from_string(&nice, address) != 0 else {
                parley_g_object_unref(UnsafeMutableRawPointer(agent))
                throw ICEError.agentFailed("'\(address)' is not a local IPv4 address")
            }
            _ = nice_agent_add_local_address(agent, &nice)
        }
        stream = nice_agent_add_stream(agent, 1)
        guard stream != 0 else {
            parley_g_object_unref(UnsafeMutableRawPointer(agent))
            throw ICEError.agentFailed("libnice could not add a stream")
        }
        if let range = configuration.portRange {
            nice_agent_set_port_range(agent, stream, 1, UInt32(range.lowerBound), UInt32(range.upperBound))
        }
        if let turn = configuration.turnServer {
            let credentials = configuration.turnCredentials ?? TURNCredentials(username: "", password: "")
            guard nice_agent_set_relay_info(agent, stream, 1, turn.address, UInt32(turn.port), credentials.username,
                                            credentials.password, NICE_RELAY_TYPE_TURN_UDP) != 0 else {
                parley_g_object_unref(UnsafeMutableRawPointer(agent))
                throw ICEError.invalidServer(turn.description)
            }
        }
        box = AgentBox(handlers: handlers, stream: stream)
        boxPointer = Unmanaged.passRetained(box).toOpaque()
        let pointer = boxPointer
        loop.sync {
            _ = parley_nice_on_candidate(agent, iceCandidateCallback, pointer)
            _ = parley_nice_on_gathering_done(agent, iceGatheringDoneCallback, pointer)
            _ = parley_nice_on_state(agent, iceStateCallback, pointer)
            _ = parley_nice_on_selected_pair(agent, iceSelectedPairCallback, pointer)
            _ = nice_agent_attach_recv(agent, self.stream, 1, loop.context, iceReceiveCallback, pointer)
        }
    }

    deinit { close() }

    /// The IPv4 addresses of the interfaces that are up, loopback last and only when there
    /// is nothing else.
    static func localIPv4Addresses() -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var external: [String] = [], loopback: [String] = []
        var node: UnsafeMutablePointer<ifaddrs>? = first
        while let current = node {
            node = current.pointee.ifa_next
            let flags = Int32(current.pointee.ifa_flags)
            guard let address = current.pointee.ifa_addr, address.pointee.sa_family == UInt16(AF_INET),
                  flags & Int32(IFF_UP) != 0 else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ok = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> Bool in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &text, socklen_t(INET_ADDRSTRLEN)) != nil
            }
            guard ok else { continue }
            let string = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if flags & Int32(IFF_LOOPBACK) != 0 { loopback.append(string) } else { external.append(string) }
        }
        return external.isEmpty ? loopback : external
    }

    /// This side's ICE username fragment and password for the peer.
    public var localCredentials: (ufrag: String, password: String) {
        var ufrag: UnsafeMutablePointer<CChar>?
        var password: UnsafeMutablePointer<CChar>?
        guard nice_agent_get_local_credentials(agent, stream, &ufrag, &password) != 0, let ufrag, let password else {
            return ("", "")
        }
        defer { g_free(ufrag); g_free(password) }
        return (String(cString: ufrag), String(cString: password))
    }

    /// The component's current state.
    public var state: ICEState { box.currentState }
    /// The pair in use, once one is selected.
    public var selectedPair: ICESelectedPair? { box.currentPair }

    /// Starts gathering: host candidates at once, server-reflexive and relay ones as the
    /// servers answer. Each goes to `onCandidate`; `onGatheringDone` follows the last.
    public func gather() throws {
        try checkOpen()
        let ok = loop.sync { nice_agent_gather_candidates(self.agent, self.stream) != 0 }
        guard ok else { throw ICEError.agentFailed("gathering candidates failed (no usable local address or port)") }
    }

    public func setRemoteCredentials(ufrag: String, password: String) throws {
        try checkOpen()
        let ok = loop.sync { nice_agent_set_remote_credentials(self.agent, self.stream, ufrag, password) != 0 }
        guard ok else { throw ICEError.agentFailed("the peer's ICE credentials were refused") }
    }

    /// One trickled candidate of the peer (`a=candidate:…` as its agent wrote it).
    public func addRemoteCandidate(_ sdp: String) throws {
        try checkOpen()
        let result: Int32 = loop.sync {
            guard let candidate = nice_agent_parse_remote_candidate_sdp(self.agent, self.stream, sdp) else { return -1 }
            defer { nice_candidate_free(candidate) }
            return parley_nice_add_remote_candidate(self.agent, self.stream, 1, candidate)
        }
        guard result >= 0 else { throw ICEError.invalidCandidate(sdp) }
    }

    /// The peer has sent all its candidates (lets checks conclude and fail when none work).
    public func remoteGatheringDone() {
        guard !isClosed else { return }
        loop.sync { _ = nice_agent_peer_candidate_gathering_done(self.agent, self.stream) }
    }

    /// The candidates gathered so far (to send again after a restart).
    public func localCandidates() -> [ICECandidate] {
        guard !isClosed else { return [] }
        return loop.sync {
            var result: [ICECandidate] = []
            var node = nice_agent_get_local_candidates(self.agent, self.stream, 1)
            let head = node
            while let current = node {
                if let candidate = current.pointee.data?.assumingMemoryBound(to: NiceCandidate.self),
                   let described = describe(self.agent, candidate) {
                    result.append(described)
                }
                node = current.pointee.next
            }
            g_slist_free_full(head, { nice_candidate_free($0?.assumingMemoryBound(to: NiceCandidate.self)) })
            return result
        }
    }

    /// ICE restart (RFC 8445 §9): new credentials, new checks; the candidates stay. Send the
    /// new `localCredentials` and `localCandidates()` to the peer, which restarts too.
    public func restart() throws {
        try checkOpen()
        let ok = loop.sync { nice_agent_restart_stream(self.agent, self.stream) != 0 }
        guard ok else { throw ICEError.agentFailed("the ICE restart failed") }
        box.resetPair()
    }

    /// Sends one datagram on the selected pair. False when there is none yet (or it failed).
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty, !isClosed else { return false }
        let sent = nice_agent_send(agent, stream, 1, UInt32(bytes.count), base.assumingMemoryBound(to: CChar.self))
        return sent == Int32(bytes.count)
    }

    /// Stops the agent: no more handlers run after it returns.
    public func close() {
        lock.lock()
        if closed { lock.unlock(); return }
        closed = true
        lock.unlock()
        let agent = self.agent, stream = self.stream, pointer = boxPointer, context = loop.context
        let teardown = {
            parley_nice_disconnect(agent, pointer)
            _ = nice_agent_attach_recv(agent, stream, 1, context, nil, nil)
            nice_agent_remove_stream(agent, stream)
            parley_nice_close_and_unref(agent)
            Unmanaged<AgentBox>.fromOpaque(pointer).release()
        }
        // From a handler (the loop's thread, inside libnice): later, outside the signal.
        if loop.isCurrent { loop.async(teardown) } else { loop.sync(teardown) }
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    private func checkOpen() throws {
        if isClosed { throw ICEError.closed }
    }
}

/// What the C callbacks reach: the handlers and the latest state (read from other threads).
final class AgentBox: @unchecked Sendable {
    let handlers: ICEAgent.Handlers
    let stream: UInt32
    private let lock = NSLock()
    private var state = ICEState.disconnected
    private var pair: ICESelectedPair?

    init(handlers: ICEAgent.Handlers, stream: UInt32) {
        self.handlers = handlers
        self.stream = stream
    }

    var currentState: ICEState {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    var currentPair: ICESelectedPair? {
        lock.lock()
        defer { lock.unlock() }
        return pair
    }

    func update(state: ICEState) {
        lock.lock()
        let changed = self.state != state
        self.state = state
        lock.unlock()
        if changed { handlers.onStateChange?(state) }
    }

    func update(pair: ICESelectedPair) {
        lock.lock()
        self.pair = pair
        lock.unlock()
        handlers.onSelectedPair?(pair)
    }

    func resetPair() {
        lock.lock()
        pair = nil
        lock.unlock()
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> AgentBox {
        Unmanaged<AgentBox>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

/// A candidate as `ICECandidate` (its SDP line from libnice, type, address and port).
func describe(_ agent: OpaquePointer, _ candidate: UnsafeMutablePointer<NiceCandidate>) -> ICECandidate? {
    guard let sdp = nice_agent_generate_local_candidate_sdp(agent, candidate) else { return nil }
    defer { g_free(sdp) }
    let type: ICECandidateType
    switch candidate.pointee.type {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: type = .srflx
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: type = .prflx
    case NICE_CANDIDATE_TYPE_RELAYED: type = .relay
    default: type = .host
    }
    var text = [CChar](repeating: 0, count: 64)
    nice_address_to_string(&candidate.pointee.addr, &text)
    let port = Int(nice_address_get_port(&candidate.pointee.addr))
    let address = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return ICECandidate(sdp: String(cString: sdp), type: type, address: address, port: port)
}

// MARK: - C callbacks (run on the GLib loop's thread)

private let iceCandidateCallback: parley_nice_candidate_cb = { agent, candidate, data in
    guard let agent, let candidate, let described = describe(agent, candidate) else { return }
    AgentBox.from(data).handlers.onCandidate?(described)
}

private let iceGatheringDoneCallback: parley_nice_gathering_done_cb = { _, _, data in
    AgentBox.from(data).handlers.onGatheringDone?()
}

private let iceStateCallback: parley_nice_state_cb = { _, _, component, state, data in
    guard component == 1 else { return }
    AgentBox.from(data).update(state: ICEState(nice: state))
}

private let iceSelectedPairCallback: parley_nice_pair_cb = { agent, _, component, local, remote, data in
    guard component == 1, let agent, let local, let remote,
          let l = describe(agent, local), let r = describe(agent, remote) else { return }
    AgentBox.from(data).update(pair: ICESelectedPair(local: l, remote: r))
}

private let iceReceiveCallback: NiceAgentRecvFunc = { _, _, _, length, buffer, data in
    guard let buffer, length > 0 else { return }
    AgentBox.from(data).handlers.onReceive?(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
}
