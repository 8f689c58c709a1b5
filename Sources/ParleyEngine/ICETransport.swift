import Foundation
import ParleyNetwork

/// A call's packets over ICE: what the call sends goes out on the agent's selected pair;
/// what arrives is queued on libnice's thread (`DatagramRing`, no lock, no allocation) and
/// handed to the call's `SecureRTPReceiver` on the media thread by `drain`. The third
/// transport beside `InProcessLink` and `UDPTransport`, under the same pipeline.
///
/// ICE restart (`restart()`): when the path dies (an address went away, a NAT binding
/// expired), a new agent with the same configuration and handlers replaces the old one —
/// new credentials, candidates gathered again on the interfaces that are up now — while
/// the call's pipeline keeps this transport, its ring and its clock. Sends in between are
/// counted failures.
public final class ICETransport: PacketTransport, @unchecked Sendable {
    public let ring: DatagramRing
    /// The call's clock, which stamps arrivals: read it for the media timing too.
    public let clock: @Sendable () -> Double
    public private(set) var packetsSent = 0
    public private(set) var bytesSent = 0
    /// Packets the agent would not send (no selected pair yet, or the path failed).
    public private(set) var failures = 0
    public private(set) var datagramsReceived = 0
    private let configuration: ICEAgent.Configuration
    private let handlers: ICEAgent.Handlers
    private let loop: GLibLoop
    private let lock = NSLock()
    private var current: ICEAgent
    private var restartCount = 0
    private var lastDatagram: Double?

    /// - Parameters:
    ///   - handlers: the agent's handlers; `onReceive` is the transport's own.
    ///   - clock: the call's clock (seconds), read on libnice's thread to stamp arrivals.
    public init(configuration: ICEAgent.Configuration, handlers: ICEAgent.Handlers, loop: GLibLoop = .shared,
                ringCapacity: Int = 512, clock: @escaping @Sendable () -> Double) throws {
        let ring = DatagramRing(capacity: ringCapacity)
        let arrivals = ArrivalBox()
        var handlers = handlers
        handlers.onReceive = { datagram in
            let time = clock()
            ring.push(datagram, time: time)
            arrivals.mark(time)
        }
        self.ring = ring
        self.clock = clock
        self.configuration = configuration
        self.handlers = handlers
        self.loop = loop
        current = try ICEAgent(configuration: configuration, handlers: handlers, loop: loop)
        self.arrivals = arrivals
    }

    private let arrivals: ArrivalBox

    deinit { agent.close() }

    /// The agent in use (a restart replaces it).
    public var agent: ICEAgent { lock.withLock { current } }

    /// How many times ICE was restarted.
    public var restarts: Int { lock.withLock { restartCount } }

    /// When the last datagram arrived (the call's clock), nil before the first.
    public var lastArrival: Double? { arrivals.last }

    /// Replaces the agent with a new one (ICE restart): new credentials; call `gather()`
    /// on it and signal its credentials and candidates. The old agent is closed.
    public func restart() throws {
        let fresh = try ICEAgent(configuration: configuration, handlers: handlers, loop: loop)
        let old: ICEAgent = lock.withLock {
            let old = current
            current = fresh
            restartCount += 1
            return old
        }
        old.close()
    }

    public func send(_ packet: UnsafeRawBufferPointer) throws {
        let agent = self.agent
        guard agent.send(packet) else {
            failures += 1
            throw ICEError.agentFailed("no working ICE path to the peer yet (state \(agent.state.rawValue))")
        }
        packetsSent += 1
        bytesSent += packet.count
    }

    /// Hands every datagram that arrived to `receiver` (on the media thread). Returns how many.
    @discardableResult
    public func drain(into receiver: SecureRTPReceiver) -> Int {
        let n = ring.drain { datagram, time in receiver.receive(datagram, arrival: time) }
        datagramsReceived += n
        return n
    }
}

/// The time of the last datagram, written on libnice's thread, read by the signaling one.
private final class ArrivalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double?
    func mark(_ t: Double) { lock.withLock { time = t } }
    var last: Double? { lock.withLock { time } }
}
