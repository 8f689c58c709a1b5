import ParleyCore
import ParleyMedia
import ParleyNetwork
import ParleyRTP
import ParleySecurity

/// One media section (`m=` line) of a real call: its UDP socket, SRTP in both directions,
/// the RTP sender and receiver, and RTCP multiplexed on the same port (RFC 5761). A
/// sending side knows its destination; a receiving side learns it from the first packet
/// and sends its reports (RR, PLI) there. The datagram buffer is allocated here.
final class NetworkMediaSession {
    let socket: UDPSocket
    let transport: UDPTransport
    let sender: SecureRTPSender
    let receiver: SecureRTPReceiver
    let rtcp: RTCPSession
    private(set) var tap: PcapTap?
    private(set) var datagramsReceived = 0
    private(set) var truncatedDatagrams = 0
    /// Time (seconds since the call started) of the first and last datagram.
    private(set) var firstDatagram: Double?
    private(set) var lastDatagram: Double?
    private(set) var goodbyeReceived = false
    private var buffer = [UInt8](repeating: 0, count: 2048)

    /// - Parameters:
    ///   - keyAndSalt: the SRTP master key and salt, used for both directions (each side
    ///     sends from its own SSRCs).
    init(socket: UDPSocket, destination: IPv4Endpoint?, suite: SRTPSuite, keyAndSalt: [UInt8],
         cname: String, localSSRC: UInt32, sessionBandwidth: Double) throws {
        self.socket = socket
        transport = UDPTransport(socket: socket, destination: destination)
        let outbound = try SRTPSession(suite: suite, masterKey: keyAndSalt, direction: .outbound, allowRepeatTransmission: true)
        let inbound = try SRTPSession(suite: suite, masterKey: keyAndSalt, direction: .inbound, replayWindowSize: 1024)
        sender = SecureRTPSender(srtp: outbound, transport: transport, extensions: MediaProfile.extensions)
        receiver = SecureRTPReceiver(srtp: inbound)
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: cname, localSSRC: localSSRC,
                           sessionBandwidth: sessionBandwidth)
        rtcp.goodbye = { [unowned self] _, _ in self.goodbyeReceived = true }
    }

    var remote: IPv4Endpoint? { transport.destination }

    /// Captures what this section sends and receives into `writer`.
    func capture(into writer: PcapWriter, plaintext: Bool, timeOffset: Double) {
        let local = socket.localEndpoint
        let shown = local.address == 0 ? IPv4Endpoint(address: remote?.isLoopback ?? true ? 0x7F00_0001 : 0, port: local.port) : local
        let tap = PcapTap(writer: writer, plaintext: plaintext, sender: shown,
                          receiver: remote ?? IPv4Endpoint(address: 0, port: 0))
        tap.timeOffset = timeOffset
        self.tap = tap
        sender.tap = tap
        receiver.tap = tap
    }

    /// Reads every datagram waiting on the socket and hands it to the receiver. With
    /// `learnRemote`, the first datagram's source becomes the destination of our RTCP.
    @discardableResult
    func drain(now: Double, learnRemote: Bool) throws -> Int {
        var count = 0
        while let (length, source, truncated) = try socket.receive(into: &buffer, timeout: 0) {
            count += 1
            datagramsReceived += 1
            if firstDatagram == nil { firstDatagram = now }
            lastDatagram = now
            if truncated { truncatedDatagrams += 1; continue }
            if learnRemote, transport.destination == nil {
                transport.destination = source
                tap?.receiver = source
            }
            buffer.withUnsafeBytes { receiver.receive(UnsafeRawBufferPointer(rebasing: $0[0..<length]), arrival: now) }
        }
        return count
    }
}

