import ParleyCore
import ParleyNetwork

/// Sends a call's protected packets over a UDP socket to one destination. A packet with
/// no destination yet (a receiver that has not heard from its peer) or that the socket
/// refuses is counted; the error is the caller's to count and ignore.
public final class UDPTransport: PacketTransport {
    public let socket: UDPSocket
    public var destination: IPv4Endpoint?
    public private(set) var packetsSent = 0
    public private(set) var bytesSent = 0
    public private(set) var failures = 0
    public private(set) var lastError: String?

    public init(socket: UDPSocket, destination: IPv4Endpoint?) {
        self.socket = socket
        self.destination = destination
    }

    public func send(_ packet: UnsafeRawBufferPointer) throws {
        guard let destination else {
            failures += 1
            throw NetworkError.sendFailed(destination: "(unknown)", reason: "the peer's address is not known yet")
        }
        do {
            try socket.send(packet, to: destination)
            packetsSent += 1
            bytesSent += packet.count
        } catch {
            failures += 1
            if lastError == nil { lastError = "\(error)" }
            throw error
        }
    }
}
