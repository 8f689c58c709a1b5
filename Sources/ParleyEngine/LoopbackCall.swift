import ParleyCore
import ParleyMedia
import ParleyRTP
import ParleySecurity

/// The secure RTP path of an in-process call: the sender, a perfect link and the
/// receiver, plus an optional pcap capture of what crosses the link. The SRTP keys come
/// from the participants' call key schedule (`LoopbackParticipants`): one key per sender
/// SSRC, added with `addStream(ssrc:)` as each lane picks its SSRC.
final class LoopbackCall {
    static var extensions: RTPExtensionMap { MediaProfile.extensions }
    static var audioPayloadType: UInt8 { MediaProfile.audioPayloadType }
    static var vp8PayloadType: UInt8 { MediaProfile.vp8PayloadType }
    static var vp9PayloadType: UInt8 { MediaProfile.vp9PayloadType }

    let suite: SRTPSuite
    let participants: LoopbackParticipants
    let sender: SecureRTPSender
    let receiver: SecureRTPReceiver
    let link: InProcessLink
    private let outbound: SRTPSession
    private let inbound: SRTPSession
    private(set) var rtcp: RTCPSession!
    /// Media time of the step in progress, in seconds.
    var now = 0.0
    private var capture: PcapTap?

    init(suite: SRTPSuite, participants: LoopbackParticipants) throws {
        self.suite = suite
        self.participants = participants
        // The RTCP sender's SSRC is the first stream; media streams are added by the lanes.
        let identity = try Self.randomStreamIdentity()
        let keys = try participants.keys(suite: suite, ssrc: identity.ssrc)
        outbound = try SRTPSession(suite: suite, masterKey: keys.outbound, direction: .outbound,
                                   ssrc: .specific(identity.ssrc), allowRepeatTransmission: true)
        inbound = try SRTPSession(suite: suite, masterKey: keys.inbound, direction: .inbound, ssrc: .specific(identity.ssrc))
        receiver = SecureRTPReceiver(srtp: inbound)
        link = InProcessLink(receiver: nil, clock: { 0 })
        sender = SecureRTPSender(srtp: outbound, transport: link, extensions: Self.extensions)
        link.receiver = receiver
        link.clock = { [unowned self] in self.now }
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: "parley-\(String(identity.ssrc, radix: 16))",
                           localSSRC: identity.ssrc, sessionBandwidth: 1_000_000,
                           wallClock: { [unowned self] in 1_700_000_000 + self.now })
    }

    /// Keys the stream of `ssrc` on both sides from the call key schedule.
    func addStream(ssrc: UInt32) throws {
        let keys = try participants.keys(suite: suite, ssrc: ssrc)
        try outbound.addStream(masterKey: keys.outbound, ssrc: ssrc)
        try inbound.addStream(masterKey: keys.inbound, ssrc: ssrc)
    }

    static func randomStreamIdentity() throws -> (ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32) {
        try MediaProfile.randomStreamIdentity()
    }

    func capture(to path: String, plaintext: Bool) throws {
        let tap = try PcapTap(path: path, plaintext: plaintext,
                              sender: IPv4Endpoint(address: 0x7F00_0001, port: 40_000),
                              receiver: IPv4Endpoint(address: 0x7F00_0001, port: 5004))
        capture = tap
        sender.tap = tap
    }

    func close() throws {
        try capture?.close()
    }

    func report() -> LoopbackReport.Transport {
        let seconds = max(now, 1e-9)
        return LoopbackReport.Transport(
            kind: "rtp-srtp-in-process", srtpSuite: suite.rawValue, streams: sender.streams,
            receiver: receiver.counters,
            rtcp: rtcp.statistics,
            wireBitrate: Double(sender.streams.map(\.wireBytesSent).reduce(0, +) * 8) / seconds,
            keys: LoopbackReport.Keys(
                source: "contact-session", caller: participants.caller.displayName, callee: participants.callee.displayName,
                callID: participants.callID, shortAuthenticationString: participants.shortAuthenticationString.description,
                signalingAEAD: participants.signalingAlgorithm.rawValue),
            network: (link.model as? EmulatedLinkModel).map {
                LoopbackReport.Network(profile: $0.profile.name, seed: $0.seed, statistics: $0.statistics, meanDelay: $0.meanDelay)
            })
    }
}

/// Writes what a call sends (or receives) to a pcap file, as UDP between two endpoints.
public final class PcapTap: PacketTap {
    public let writer: PcapWriter
    public let plaintext: Bool
    /// This side's endpoint: outgoing packets are written from here.
    public var sender: IPv4Endpoint
    /// The other side's endpoint (a receiver may learn it from the first packet).
    public var receiver: IPv4Endpoint
    /// Added to each packet's time (e.g. the Unix time of a real call's time 0).
    public var timeOffset: Double = 0
    public private(set) var failures = 0

    public init(path: String, plaintext: Bool, sender: IPv4Endpoint, receiver: IPv4Endpoint) throws {
        writer = try PcapWriter(path: path)
        self.plaintext = plaintext
        self.sender = sender
        self.receiver = receiver
    }

    /// A tap writing into a file shared with other taps (one per media section of a call).
    public init(writer: PcapWriter, plaintext: Bool, sender: IPv4Endpoint, receiver: IPv4Endpoint) {
        self.writer = writer
        self.plaintext = plaintext
        self.sender = sender
        self.receiver = receiver
    }

    public func tap(protected: UnsafeRawBufferPointer, plaintext clear: UnsafeRawBufferPointer?, outgoing: Bool, time: Double) {
        let bytes = plaintext ? (clear ?? protected) : protected
        do {
            try writer.write(bytes, from: outgoing ? sender : receiver, to: outgoing ? receiver : sender, time: time + timeOffset)
        } catch {
            failures += 1
        }
    }

    public func close() throws { try writer.close() }
}
