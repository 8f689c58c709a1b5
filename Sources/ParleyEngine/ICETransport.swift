import Foundation
import ParleyNetwork

/// A call's packets over ICE: what the call sends goes out on the agent's selected pair;
/// what arrives is queued on libnice's thread (`DatagramRing`, no lock, no allocation) and
/// handed to the call's `SecureRTPReceiver` on the media thread by `drain`. The third
/// transport beside `InProcessLink` and `UDPTransport`, under the same pipeline.
public final class ICETransport: PacketTransport {
    public let agent: ICEAgent
    public let ring: DatagramRing
    /// The call's clock, which stamps arrivals: read it for the media timing too.
    public let clock: @Sendable () -> Double
    public private(set) var packetsSent = 0
    public private(set) var bytesSent = 0
    /// Packets the agent would not send (no selected pair yet, or the path failed).
    public private(set) var failures = 0
    public private(set) var datagramsReceived = 0

    /// - Parameters:
    ///   - handlers: the agent's handlers; `onReceive` is the transport's own.
    ///   - clock: the call's clock (seconds), read on libnice's thread to stamp arrivals.
    public init(configuration: ICEAgent.Configuration, handlers: ICEAgent.Handlers, loop: GLibLoop = .shared,
                ringCapacity: Int = 512, clock: @escaping @Sendable () -> Double) throws {
        let ring = DatagramRing(capacity: ringCapacity)
        var handlers = handlers
        handlers.onReceive = { datagram in ring.push(datagram, time: clock()) }
        self.ring = ring
        self.clock = clock
        agent = try ICEAgent(configuration: configuration, handlers: handlers, loop: loop)
    }

    deinit { agent.close() }

    public func send(_ packet: UnsafeRawBufferPointer) throws {
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
