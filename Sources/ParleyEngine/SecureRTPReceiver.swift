import ParleyRTP
import ParleySecurity

/// The receiving side of one secure RTP session: classifies each datagram (RTP or RTCP,
/// RFC 5761), unprotects it with SRTP, parses it and hands it to the handler registered
/// for its payload type. Every refused packet is counted by kind, never thrown: a wrong
/// key, a replay or a malformed packet must not stop a call.
public final class SecureRTPReceiver {
    public struct Counters: Sendable, Codable, Equatable {
        public var packetsReceived = 0
        public var rtcpPacketsReceived = 0
        public var bytesReceived = 0
        public var srtpAuthenticationFailures = 0
        public var srtpReplayFailures = 0
        public var srtpMalformedPackets = 0
        public var srtpOtherFailures = 0
        public var malformedRTPPackets = 0
        public var unknownPayloadType = 0
        public var notRTP = 0
        public var lastError: String?

        /// Packets refused for any reason.
        public var dropped: Int {
            srtpAuthenticationFailures + srtpReplayFailures + srtpMalformedPackets + srtpOtherFailures
                + malformedRTPPackets + unknownPayloadType + notRTP
        }
    }

    /// Called with an unprotected RTCP compound packet and its arrival time.
    public typealias ControlHandler = (UnsafeRawBufferPointer, Double) -> Void

    public private(set) var counters = Counters()
    public weak var tap: PacketTap?
    public var controlHandler: ControlHandler?

    private let srtp: SRTPSession
    private var sinks: [WeakSink] = Array(repeating: WeakSink(), count: 128)
    private var buffer: [UInt8]
    private static let maximumPacket = 1500 + SRTPSession.maximumRTCPTrailerLength

    public init(srtp: SRTPSession) {
        self.srtp = srtp
        buffer = [UInt8](repeating: 0, count: Self.maximumPacket)
    }

    /// Sends packets of `payloadType` to `sink` (held weakly: a stream that goes away
    /// stops receiving, its packets are counted as unknown).
    public func register(payloadType: UInt8, sink: RTPPacketSink) {
        sinks[Int(payloadType & 0x7F)] = WeakSink(sink: sink)
    }

    /// Takes one datagram from the transport.
    public func receive(_ datagram: UnsafeRawBufferPointer, arrival: Double) {
        guard datagram.count <= buffer.count else {
            counters.srtpMalformedPackets += 1
            counters.lastError = "a datagram of \(datagram.count) bytes is larger than any RTP packet Parley accepts"
            return
        }
        let kind = RTPPacketClassifier.classify(datagram)
        guard kind == .rtp || kind == .rtcp else {
            counters.notRTP += 1
            return
        }
        buffer.withUnsafeMutableBytes { out in
            UnsafeMutableRawBufferPointer(rebasing: out[0..<datagram.count]).copyMemory(from: datagram)
            let length: Int
            do {
                length = kind == .rtcp
                    ? try srtp.unprotectRTCP(out, length: datagram.count)
                    : try srtp.unprotectRTP(out, length: datagram.count)
            } catch {
                count(error)
                tap?.tap(protected: datagram, plaintext: nil, outgoing: false, time: arrival)
                return
            }
            let plaintext = UnsafeRawBufferPointer(rebasing: out[0..<length])
            tap?.tap(protected: datagram, plaintext: plaintext, outgoing: false, time: arrival)
            counters.bytesReceived += datagram.count
            if kind == .rtcp {
                counters.rtcpPacketsReceived += 1
                controlHandler?(plaintext, arrival)
                return
            }
            let view: RTPPacketView
            do {
                view = try RTPPacketView.parse(plaintext)
            } catch {
                counters.malformedRTPPackets += 1
                counters.lastError = "\(error)"
                return
            }
            guard let sink = sinks[Int(view.header.payloadType)].sink else {
                counters.unknownPayloadType += 1
                return
            }
            counters.packetsReceived += 1
            sink.receivedRTP(view, plaintext, arrival: arrival)
        }
    }

    private func count(_ error: Error) {
        switch error as? SecurityError {
        case .authenticationFailed: counters.srtpAuthenticationFailures += 1
        case .replayedPacket, .packetTooOld: counters.srtpReplayFailures += 1
        case .malformedPacket: counters.srtpMalformedPackets += 1
        default: counters.srtpOtherFailures += 1
        }
        if counters.lastError == nil { counters.lastError = "\(error)" }
    }
}

/// Takes the RTP packets of one payload type from a `SecureRTPReceiver`.
/// (A protocol rather than a closure: calling it passes the packet view without boxing.)
public protocol RTPPacketSink: AnyObject {
    /// `bytes` is the whole plaintext packet, valid during the call.
    func receivedRTP(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer, arrival: Double)
}

private struct WeakSink {
    weak var sink: RTPPacketSink?
}
