import ParleyRTP
import ParleySecurity

/// The sending side of one secure RTP session: wraps payloads in RTP (header and the
/// negotiated header extensions), keeps each packet for NACK retransmission, protects it
/// with SRTP and hands it to the transport. Several streams (SSRCs) share one sender and
/// one outbound SRTP session. Buffers are allocated when a stream is added; sending
/// allocates nothing.
public final class SecureRTPSender {
    public struct StreamStatistics: Sendable, Codable, Equatable {
        public var ssrc: UInt32
        public var payloadType: UInt8
        public var packetsSent = 0
        /// Payload octets, as RTCP sender reports count them.
        public var payloadBytesSent = 0
        /// SRTP packets' bytes on the wire (headers, extensions, payload, tag).
        public var wireBytesSent = 0
        public var retransmittedPackets = 0
        public var lastTimestamp: UInt32 = 0
        public var lastSendTime: Double = 0
    }

    /// Each stream's statistics.
    public var streams: [StreamStatistics] { states.map(\.statistics) }
    public private(set) var transportFailures = 0
    public private(set) var lastTransportError: String?
    public let extensions: RTPExtensionMap
    /// The negotiated ids, looked up once (passing the map per packet retains its storage).
    private let audioLevelID: UInt8?
    private let absSendTimeID: UInt8?
    private let transportSequenceID: UInt8?
    public weak var tap: PacketTap? { didSet { tapped = tap != nil } }
    /// Whether a tap was set: a plain flag read per packet instead of a weak reference.
    private var tapped = false

    private var srtp: SRTPSession
    private let transport: PacketTransport
    /// Per stream, everything `send` touches in one element (one cache line to fetch, not
    /// one per array).
    private struct StreamState {
        var statistics: StreamStatistics
        var sequenceNumber: UInt16
        let history: RTPPacketHistory
    }
    private var states: [StreamState] = []
    private var transportSequence: UInt16 = 0
    private var buffer: [UInt8]
    private var plaintextCopy: [UInt8]
    private static let maximumPacket = 1500

    public init(srtp: SRTPSession, transport: PacketTransport, extensions: RTPExtensionMap) {
        self.srtp = srtp
        self.transport = transport
        self.extensions = extensions
        audioLevelID = extensions.id(for: .audioLevel)
        absSendTimeID = extensions.id(for: .absSendTime)
        transportSequenceID = extensions.id(for: .transportSequenceNumber)
        buffer = [UInt8](repeating: 0, count: Self.maximumPacket + SRTPSession.maximumTrailerLength)
        plaintextCopy = [UInt8](repeating: 0, count: Self.maximumPacket)
    }

    /// Adds a stream and returns its index for `send`.
    public func addStream(ssrc: UInt32, payloadType: UInt8, initialSequenceNumber: UInt16, historyCapacity: Int = 1024) -> Int {
        states.append(StreamState(statistics: StreamStatistics(ssrc: ssrc, payloadType: payloadType),
                                  sequenceNumber: initialSequenceNumber,
                                  history: RTPPacketHistory(capacity: historyCapacity, maxPacketSize: Self.maximumPacket)))
        return states.count - 1
    }

    /// Sends one payload as the next packet of `stream`.
    public func send(
        stream: Int, payload: UnsafeRawBufferPointer, marker: Bool, timestamp: UInt32,
        audioLevel: RTPExtensions.AudioLevel? = nil, now: Double
    ) throws {
        let sequenceNumber = states[stream].sequenceNumber
        states[stream].sequenceNumber = sequenceNumber &+ 1
        let header = RTPHeader(marker: marker, payloadType: states[stream].statistics.payloadType, sequenceNumber: sequenceNumber,
                               timestamp: timestamp, ssrc: states[stream].statistics.ssrc)
        let plainLength = try buffer.withUnsafeMutableBytes { out throws -> Int in
            let room = UnsafeMutableRawBufferPointer(rebasing: out[0..<Self.maximumPacket])
            var builder = try RTPPacketBuilder(header: header, into: room)
            if let audioLevel, let id = audioLevelID { try builder.appendExtension(audioLevel, id: id) }
            if let id = absSendTimeID { try builder.appendExtension(RTPExtensions.AbsSendTime(microseconds: Int64(now * 1e6)), id: id) }
            if let id = transportSequenceID {
                transportSequence &+= 1
                try builder.appendExtension(RTPExtensions.TransportSequenceNumber(transportSequence), id: id)
            }
            return try builder.finish(payload: payload)
        }
        let history = states[stream].history
        try buffer.withUnsafeBytes { try history.store(sequenceNumber: sequenceNumber, packet: UnsafeRawBufferPointer(rebasing: $0[0..<plainLength])) }
        states[stream].statistics.packetsSent += 1
        states[stream].statistics.payloadBytesSent += payload.count
        states[stream].statistics.lastTimestamp = timestamp
        states[stream].statistics.lastSendTime = now
        try protectAndSend(stream: stream, length: plainLength, now: now)
    }

    /// Sends the packet with `sequenceNumber` again if the history still has it (the
    /// answer to a NACK). Returns false when it is gone.
    @discardableResult
    public func retransmit(stream: Int, sequenceNumber: UInt16, now: Double) throws -> Bool {
        let copied = try buffer.withUnsafeMutableBytes { out in
            try states[stream].history.copyPacket(for: sequenceNumber, into: UnsafeMutableRawBufferPointer(rebasing: out[0..<Self.maximumPacket]))
        }
        guard let length = copied else { return false }
        states[stream].statistics.retransmittedPackets += 1
        try protectAndSend(stream: stream, length: length, now: now)
        return true
    }

    /// Protects every later packet with `session` instead (a mesh call's roster changed:
    /// new pair keys). Sequence numbers and histories go on.
    public func rekey(_ session: SRTPSession) {
        srtp = session
    }

    /// Finds the stream of `ssrc`.
    public func stream(ssrc: UInt32) -> Int? { states.firstIndex { $0.statistics.ssrc == ssrc } }

    /// The statistics of one stream (no copy of the others).
    public func statistics(of stream: Int) -> StreamStatistics { states[stream].statistics }

    public var streamCount: Int { states.count }

    /// Whether any stream has sent a packet.
    public var hasSent: Bool { states.contains { $0.statistics.packetsSent > 0 } }

    /// Protects and sends an RTCP compound packet held in `packet` (plaintext).
    public func sendRTCP(_ packet: UnsafeRawBufferPointer, now: Double) throws {
        guard packet.count <= Self.maximumPacket else {
            throw SecurityError.bufferTooSmall(needed: packet.count, available: Self.maximumPacket)
        }
        try buffer.withUnsafeMutableBytes { out in
            UnsafeMutableRawBufferPointer(rebasing: out[0..<packet.count]).copyMemory(from: packet)
            if tapped {
                plaintextCopy.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[0..<packet.count]).copyMemory(from: packet) }
            }
            let length = try srtp.protectRTCP(out, length: packet.count)
            deliver(UnsafeRawBufferPointer(rebasing: out[0..<length]), plaintextLength: packet.count, now: now)
        }
    }

    private func protectAndSend(stream: Int, length: Int, now: Double) throws {
        try buffer.withUnsafeMutableBytes { out in
            if tapped {
                plaintextCopy.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[0..<length]).copyMemory(from: UnsafeRawBufferPointer(rebasing: out[0..<length])) }
            }
            let protectedLength = try srtp.protectRTP(out, length: length)
            states[stream].statistics.wireBytesSent += protectedLength
            deliver(UnsafeRawBufferPointer(rebasing: out[0..<protectedLength]), plaintextLength: length, now: now)
        }
    }

    private func deliver(_ packet: UnsafeRawBufferPointer, plaintextLength: Int, now: Double) {
        if tapped, let tap {
            plaintextCopy.withUnsafeBytes {
                tap.tap(protected: packet, plaintext: UnsafeRawBufferPointer(rebasing: $0[0..<plaintextLength]), outgoing: true, time: now)
            }
        }
        do {
            try transport.send(packet)
        } catch {
            transportFailures += 1
            lastTransportError = "\(error)"
        }
    }
}
