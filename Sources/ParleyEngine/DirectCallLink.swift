import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMetrics
import ParleyNetwork
import ParleyPlayout
import ParleyRTP
import ParleySecurity

/// One peer of a direct call, as the call is given it: its name, the ICE transport to it
/// (connected), its session description (SSRCs), and the SRTP keying material for each
/// stream between us, from a 1:1 call's `CallKeySchedule` or a group call's
/// `GroupKeySchedule` (pairwise keys).
public struct DirectCallPeer {
    public var name: String
    public var transport: ICETransport
    public var remote: DirectCallDescription
    /// Keying material for a stream (SSRC) this side sends to the peer.
    public var outboundKey: (UInt32) throws -> SecretBytes
    /// Keying material for a stream (SSRC) the peer sends to this side.
    public var inboundKey: (UInt32) throws -> SecretBytes

    public init(name: String, transport: ICETransport, remote: DirectCallDescription,
                outboundKey: @escaping (UInt32) throws -> SecretBytes, inboundKey: @escaping (UInt32) throws -> SecretBytes) {
        self.name = name
        self.transport = transport
        self.remote = remote
        self.outboundKey = outboundKey
        self.inboundKey = inboundKey
    }

    /// The peer of a 1:1 call.
    public static func oneToOne(name: String, transport: ICETransport, remote: DirectCallDescription,
                                schedule: CallKeySchedule, suite: SRTPSuite) -> DirectCallPeer {
        DirectCallPeer(name: name, transport: transport, remote: remote,
                       outboundKey: { try schedule.outboundKeyingMaterial(suite: suite, ssrc: $0) },
                       inboundKey: { try schedule.inboundKeyingMaterial(suite: suite, ssrc: $0) })
    }

    /// Another member of a group call (`peerID`: its member id in the roster).
    public static func member(name: String, transport: ICETransport, remote: DirectCallDescription,
                              schedule: GroupKeySchedule, peerID: [UInt8], suite: SRTPSuite) -> DirectCallPeer {
        DirectCallPeer(name: name, transport: transport, remote: remote,
                       outboundKey: { try schedule.outboundKeyingMaterial(suite: suite, to: peerID, ssrc: $0) },
                       inboundKey: { try schedule.inboundKeyingMaterial(suite: suite, from: peerID, ssrc: $0) })
    }
}

/// What one link of a direct call did.
public struct DirectCallLinkReport: Codable, Sendable {
    public var name: String
    public var selectedPair: ICESelectedPair?
    /// This side's candidates for this link, as gathered.
    public var localCandidates: [ICECandidate]
    /// Audio RTP packets sent to and received from this peer (video: in `video`).
    public var packetsSent: Int
    public var packetsReceived: Int
    /// From the start of the media to the first packet of this peer played, seconds.
    public var firstAudioPlayedAfter: Double?
    public var audio: InboundAudioStats?
    public var video: InboundVideoStats?
    public var receiver: SecureRTPReceiver.Counters
    public var sendFailures: Int
    public var ringDrops: Int
    public var roundTripTime: Double?
    /// ICE restarts on this link (its path died and a new one was found).
    public var iceRestarts: Int
    /// When (seconds into the media) and why the link ended before the call did.
    public var endedAfter: Double?
    public var endReason: String?
}

/// The media of one peer of a direct call: what this side sends to the peer (its own
/// sender, an output of the call's send streams) and what it receives from the peer
/// (receiver, jitter buffer and Opus decoder, VP8 frame assembly and decoder), with the
/// RTCP of the pair, over the peer's ICE transport.
final class DirectCallLink {
    let peer: DirectCallPeer
    let index: Int
    let sender: SecureRTPSender
    let receiver: SecureRTPReceiver
    let audio: AudioReceiveStream
    let video: VideoReceiveStream?
    let rtcp: RTCPSession
    var audioOutput = -1
    var videoOutput: Int?
    var firstPlayed: Double?
    /// When the link joined the media (the transport's clock).
    var joinedAt = 0.0
    private(set) var endedAt: Double?
    private(set) var endReason: String?
    var goodbye = false
    var remoteVideoSize = (width: 0, height: 0)
    var isOpen: Bool { endedAt == nil }
    var transport: ICETransport { peer.transport }

    init(peer: DirectCallPeer, index: Int, localAudioSSRC: UInt32, localVideoSSRC: UInt32?, options: DirectCallOptions,
         videoSink: @escaping VideoReceiveStream.Sink) throws {
        self.peer = peer
        self.index = index
        let suite = options.suite
        func session(_ direction: SRTPSession.Direction, audio: UInt32, video: UInt32?,
                     key: (UInt32) throws -> SecretBytes) throws -> SRTPSession {
            let audioKey = try key(audio)
            defer { audioKey.wipe() }
            let session = try SRTPSession(suite: suite, masterKey: audioKey, direction: direction, ssrc: .specific(audio),
                                          allowRepeatTransmission: direction == .outbound)
            if let video {
                let videoKey = try key(video)
                defer { videoKey.wipe() }
                try session.addStream(masterKey: videoKey, ssrc: video)
            }
            return session
        }
        let outbound = try session(.outbound, audio: localAudioSSRC, video: localVideoSSRC, key: peer.outboundKey)
        let inbound = try session(.inbound, audio: peer.remote.audioSSRC, video: peer.remote.videoSSRC, key: peer.inboundKey)
        sender = SecureRTPSender(srtp: outbound, transport: peer.transport, extensions: MediaProfile.extensions)
        receiver = SecureRTPReceiver(srtp: inbound)
        let opus = options.opus
        var jitter = JitterBufferConfiguration()
        jitter.outputFrameMilliseconds = 20
        audio = try AudioReceiveStream(
            sampleRate: opus.sampleRate, channels: opus.channels, frameDurationMilliseconds: opus.frameDurationMilliseconds,
            receiver: receiver, payloadType: MediaProfile.audioPayloadType,
            playout: .adaptive(jitter, senderUsesFEC: opus.inbandFEC), sink: { _ in })
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: "parley-\(String(localAudioSSRC, radix: 16))",
                           localSSRC: localAudioSSRC,
                           sessionBandwidth: Double(opus.bitrate + (localVideoSSRC == nil ? 0 : options.videoBitrateKbps * 1000)))
        rtcp.addReceiveStream(audio)
        rtcp.addSendStream(ssrc: localAudioSSRC, clockRate: OpusPayload.clockRate)
        if let localVideoSSRC { rtcp.addSendStream(ssrc: localVideoSSRC, clockRate: 90_000) }
        if peer.remote.videoSSRC != nil {
            let stream = try VideoReceiveStream(codec: .vp8, receiver: receiver, payloadType: MediaProfile.vp8PayloadType, sink: videoSink)
            video = stream
            rtcp.addReceiveStream(stream)
        } else {
            video = nil
        }
        let clock = peer.transport.clock
        video?.keyframeNeeded = { [unowned self] ssrc in self.rtcp.sendPictureLossIndication(mediaSSRC: ssrc, now: clock()) }
        video?.nackNeeded = { [unowned self] ssrc, lost in self.rtcp.sendNACK(mediaSSRC: ssrc, lost: lost, now: clock()) }
        rtcp.goodbye = { [unowned self] _, _ in self.goodbye = true }
    }

    func end(at time: Double, reason: String) {
        guard endedAt == nil else { return }
        endedAt = time
        endReason = reason
    }

    /// `audioPacketsSent`: the audio packets sent to this peer.
    func report(base: Double, audioPacketsSent: Int) -> DirectCallLinkReport {
        DirectCallLinkReport(
            name: peer.name, selectedPair: transport.agent.selectedPair, localCandidates: transport.agent.localCandidates(),
            packetsSent: audioPacketsSent, packetsReceived: audio.packetsReceived,
            firstAudioPlayedAfter: firstPlayed, audio: audio.inboundStats(),
            video: video?.inboundStats(width: remoteVideoSize.width, height: remoteVideoSize.height),
            receiver: receiver.counters, sendFailures: transport.failures,
            ringDrops: transport.ring.droppedFull + transport.ring.droppedOversized,
            roundTripTime: rtcp.statistics.roundTripTime, iceRestarts: transport.restarts, endedAfter: endedAt.map { $0 - base }, endReason: endReason)
    }
}
