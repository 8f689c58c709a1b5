import ArgumentParser
import Foundation
import ParleyCodecs
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// ICE for one call: the agent's candidates and state changes, queued on libnice's thread
/// and taken by the command's thread (which signals them).
final class CallICE: @unchecked Sendable {
    let transport: ICETransport
    private let lock = NSLock()
    private var pending: [ICECandidate] = []
    private var gatheringDone = false
    private var gatheringSignaled = false
    private(set) var states: [ICEState] = []
    /// - Parameter origin: the call's clock origin (`BenchmarkClock.monotonicSeconds()`):
    ///   every link of a group call shares it, so that one clock times all their arrivals.
    init(role: ICEAgent.Role, options: ICEOptions, config: NetworkConfig,
         origin: Double = BenchmarkClock.monotonicSeconds()) throws {
        // The call's clock: monotonic (a wall-clock step must not jump the media timing).
        var configuration = ICEAgent.Configuration(role: role)
        configuration.localAddresses = options.localAddress
        // The command line first, then `parley config`.
        if let stun = options.stun ?? config.stun { configuration.stunServer = try ICEServer(parsing: stun) }
        let fromCommandLine = options.turn != nil
        if let turn = options.turn ?? config.turn {
            configuration.turnServer = try ICEServer(parsing: turn)
            let secret = fromCommandLine ? options.turnSecret : (options.turnSecret ?? config.turnSecret)
            let user = fromCommandLine ? options.turnUser : (options.turnUser ?? config.turnUser)
            let password = fromCommandLine ? options.turnPassword : (options.turnPassword ?? config.turnPassword)
            if let secret {
                configuration.turnCredentials = TURNCredentials.rest(secret: secret, user: "parley", validFor: 3600)
            } else if let user, let password {
                configuration.turnCredentials = TURNCredentials(username: user, password: password)
            } else {
                throw CLIError.invalidValue(option: "--turn", value: turn,
                                            expected: "give --turn-secret SECRET, or --turn-user and --turn-password (or set them with `parley config set`)")
            }
        }
        var handlers = ICEAgent.Handlers()
        let box = WeakBox<CallICE>()
        handlers.onCandidate = { c in box.value?.queue(c) }
        handlers.onGatheringDone = { box.value?.markGathered() }
        handlers.onStateChange = { s in box.value?.record(s) }
        transport = try ICETransport(configuration: configuration, handlers: handlers, clock: { BenchmarkClock.monotonicSeconds() - origin })
        box.value = self
    }

    /// ICE restart: a new agent (new credentials, candidates gathered again: call
    /// `gather()` on it); what the old one had gathered and not yet signaled is dropped.
    func restart() throws {
        lock.withLock {
            pending = []
            gatheringDone = false
            gatheringSignaled = false
        }
        try transport.restart()
    }

    private func queue(_ c: ICECandidate) { lock.withLock { pending.append(c) } }
    private func markGathered() { lock.withLock { gatheringDone = true } }
    private func record(_ s: ICEState) { lock.withLock { states.append(s) } }

    /// Candidates gathered since the last call, and whether gathering just finished.
    func take() -> (candidates: [ICECandidate], finished: Bool) {
        lock.withLock {
            let c = pending
            pending = []
            let finished = gatheringDone && !gatheringSignaled
            if finished { gatheringSignaled = true }
            return (c, finished)
        }
    }

    /// Sends our new candidates (and end-of-candidates) to the peer; applies theirs.
    func exchange(_ signaling: CallSignaling, incoming: [SignalingMessage]) throws -> Bool {
        let (candidates, finished) = take()
        for c in candidates { try signaling.send(SignalingMessage(kind: .candidate, body: Array(c.sdp.utf8))) }
        if finished { try signaling.send(SignalingMessage(kind: .candidate, body: [])) }
        var hungUp = false
        for message in incoming {
            switch message.kind {
            case .candidate:
                if message.body.isEmpty {
                    transport.agent.remoteGatheringDone()
                } else if let sdp = String(validating: message.body, as: UTF8.self) {
                    try? transport.agent.addRemoteCandidate(sdp)
                }
            case .hangup: hungUp = true
            default: break
            }
        }
        return hungUp
    }
}

final class WeakBox<T: AnyObject>: @unchecked Sendable {
    weak var value: T?
}

/// ICE options shared by `call` and `listen`.
struct ICEOptions: ParsableArguments {
    @Option(name: .customLong("stun"), help: ArgumentHelp(
        "A STUN server for server-reflexive candidates, A.B.C.D[:PORT].", valueName: "SERVER"))
    var stun: String?

    @Option(name: .customLong("turn"), help: ArgumentHelp(
        "A TURN server (UDP) for relay candidates, when no direct path works: A.B.C.D[:PORT].", valueName: "SERVER"))
    var turn: String?

    @Option(name: .customLong("turn-secret"), help: ArgumentHelp(
        "The TURN server's shared secret (coturn --static-auth-secret): time-limited credentials are made from it (TURN REST scheme).",
        valueName: "SECRET"))
    var turnSecret: String?

    @Option(name: .customLong("turn-user"), help: ArgumentHelp("A TURN user name (with --turn-password), instead of --turn-secret.", valueName: "NAME"))
    var turnUser: String?

    @Option(name: .customLong("turn-password"), help: ArgumentHelp("The TURN user's password.", valueName: "PASSWORD"))
    var turnPassword: String?

    @Option(name: .customLong("local-address"), help: ArgumentHelp(
        "Gather host candidates only on this local IPv4 address (repeatable; default: every interface).",
        valueName: "ADDRESS"))
    var localAddress: [String] = []

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp(
        "Seconds to wait for the answer and a working ICE path.", valueName: "SECONDS"))
    var connectTimeout: Double = 20
}
