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
        /// Packets protected under the keys of an earlier roster, still in flight when the
        /// keys changed, and opened with the retired keys during their grace period.
        public var packetsOpenedWithRetiredKeys: Int? = nil

        /// Packets refused for any reason.
        public var dropped: Int {
            srtpAuthenticationFailures + srtpReplayFailures + srtpMalformedPackets + srtpOtherFailures
                + malformedRTPPackets + unknownPayloadType + notRTP
        }
    }

    /// Called with an unprotected RTCP compound packet and its arrival time.
    public typealias ControlHandler = (UnsafeRawBufferPointer, Double) -> Void

    public private(set) var counters = Counters()
    public weak var tap: PacketTap? { didSet { tapped = tap != nil } }
    /// Whether a tap was set: a plain flag read per packet instead of a weak reference.
    private var tapped = false
    public var controlHandler: ControlHandler?

    private var srtp: SRTPSession
    /// The keys before the last `rekey`, accepted until `retiredUntil` (arrival time).
    private var retired: SRTPSession?
    private var retiredUntil = -Double.infinity
    /// One weak slot per payload type, read in place (copying a slot out of an array
    /// copies its weak reference, a measurable cost per packet).
    private let sinks: UnsafeMutablePointer<WeakSink>
    private var buffer: [UInt8]
    private static let maximumPacket = 1500 + SRTPSession.maximumRTCPTrailerLength

    public init(srtp: SRTPSession) {
        self.srtp = srtp
        buffer = [UInt8](repeating: 0, count: Self.maximumPacket)
        sinks = .allocate(capacity: 128)
        sinks.initialize(repeating: WeakSink(), count: 128)
    }

    deinit {
        sinks.deinitialize(count: 128)
        sinks.deallocate()
    }

    /// Opens every later packet with `session` (a mesh call's roster changed: new pair
    /// keys). Packets still in flight under the old keys are opened with them until
    /// `graceUntil` (arrival time); after that the old keys are gone and such a packet is
    /// an authentication failure.
    public func rekey(_ session: SRTPSession, graceUntil: Double) {
        retired = srtp
        retiredUntil = graceUntil
        srtp = session
    }

    /// Sends packets of `payloadType` to `sink` (held weakly: a stream that goes away
    /// stops receiving, its packets are counted as unknown).
    public func register(payloadType: UInt8, sink: RTPPacketSink) {
        sinks[Int(payloadType & 0x7F)].sink = sink
    }

    /// Takes one datagram from the transport.
    public func receive(_ datagram: UnsafeRawBufferPointer, arrival: Double) {
        guard datagram.count <= buffer.count else {
            counters.srtpMalformedPackets += 1
            counters.lastError = "a datagram of \(datagram.count) bytes is larger than any RTP packet Parley accepts"
            return
        }
        if retired != nil, arrival > retiredUntil { retired = nil }  // grace over: the old keys go
        let kind = RTPPacketClassifier.classify(datagram)
        guard kind == .rtp || kind == .rtcp else {
            counters.notRTP += 1
            return
        }
        buffer.withUnsafeMutableBytes { out in
            UnsafeMutableRawBufferPointer(rebasing: out[0..<datagram.count]).copyMemory(from: datagram)
            var length: Int
            do {
                length = kind == .rtcp
                    ? try srtp.unprotectRTCP(out, length: datagram.count)
                    : try srtp.unprotectRTP(out, length: datagram.count)
            } catch {
                // In flight when the keys changed? Try the retired keys on a fresh copy.
                guard let old = retired, arrival <= retiredUntil else {
                    count(error)
                    if tapped { tap?.tap(protected: datagram, plaintext: nil, outgoing: false, time: arrival) }
                    return
                }
                UnsafeMutableRawBufferPointer(rebasing: out[0..<datagram.count]).copyMemory(from: datagram)
                do {
                    length = kind == .rtcp
                        ? try old.unprotectRTCP(out, length: datagram.count)
                        : try old.unprotectRTP(out, length: datagram.count)
                    counters.packetsOpenedWithRetiredKeys = (counters.packetsOpenedWithRetiredKeys ?? 0) + 1
                } catch {
                    count(error)
                    if tapped { tap?.tap(protected: datagram, plaintext: nil, outgoing: false, time: arrival) }
                    return
                }
            }
            let plaintext = UnsafeRawBufferPointer(rebasing: out[0..<length])
            if tapped { tap?.tap(protected: datagram, plaintext: plaintext, outgoing: false, time: arrival) }
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
            guard let sink = (sinks + Int(view.header.payloadType & 0x7F)).pointee.sink else {
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
