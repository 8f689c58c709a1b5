import ParleyCodecs
import ParleyConference
import ParleyCore
import ParleyMetrics
import ParleyPlayout
import ParleyRTP
import ParleySecurity

/// One participant's connection to one other in a mesh call: what `local` sends to
/// `remote` (a sender with the pair's outbound keys, over its own emulated link) and what
/// it receives from `remote` (a receiver with the pair's inbound keys, a jitter buffer and
/// decoder for the audio, a frame buffer and decoder for the video), with the RTCP of that
/// pair. The link of the other direction belongs to the remote's connection to us.
final class MeshConnection {
    let local: Int
    let remote: Int
    /// Carries what `local` sends to `remote`.
    let link: InProcessLink
    let sender: SecureRTPSender
    /// Receives what `remote` sends to `local`.
    let receiver: SecureRTPReceiver
    private(set) var rtcp: RTCPSession!
    private(set) var audio: AudioReceiveStream!
    private(set) var video: VideoReceiveStream?
    /// Reads the RFC 6464 level of each audio packet before the stream takes it.
    private var levels: AudioLevelTap!
    /// This connection's output index in the local participant's send streams.
    var audioOutput = -1
    var videoOutput: Int?
    /// When the connection opened and closed (media time), and why it closed.
    let openedAt: Double
    private(set) var closedAt: Double?
    private(set) var closeReason: String?
    /// The remote's video size (for the stats), once known.
    var remoteVideoSize: (width: Int, height: Int) = (0, 0)

    var isOpen: Bool { closedAt == nil }

    init(local: Int, remote: Int, now: Double, outbound: SRTPSession, inbound: SRTPSession,
         model: LinkModel?, clock: @escaping () -> Double) {
        self.local = local
        self.remote = remote
        openedAt = now
        receiver = SecureRTPReceiver(srtp: inbound)
        link = InProcessLink(receiver: nil, slots: 1024, clock: clock)
        link.model = model
        sender = SecureRTPSender(srtp: outbound, transport: link, extensions: MediaProfile.extensions)
    }

    /// Wires the receive side and RTCP. `audioSink` gets each played frame with its
    /// RFC 6464 level (127 when the frame was not decoded from a packet).
    func start(
        localAudioSSRC: UInt32, opus: OpusConfiguration, videoCodec: VideoCodecKind?, videoThreads: Int,
        sessionBandwidth: Double, clock: @escaping () -> Double, randomFactor: (() -> Double)?,
        decodeScratch: DecodeScratch, audioSink: @escaping AudioReceiveStream.Sink, videoSink: @escaping VideoReceiveStream.Sink
    ) throws {
        var configuration = JitterBufferConfiguration()
        configuration.outputFrameMilliseconds = 20
        let stream = try AudioReceiveStream(
            sampleRate: opus.sampleRate, channels: opus.channels, frameDurationMilliseconds: opus.frameDurationMilliseconds,
            receiver: receiver, payloadType: MediaProfile.audioPayloadType,
            playout: .adaptive(configuration, senderUsesFEC: opus.inbandFEC), decodeScratch: decodeScratch, sink: audioSink)
        stream.decodeTimer.isEnabled = false  // no CPU clock reads per frame
        audio = stream
        levels = AudioLevelTap(stream: stream, timestampPerFrame: UInt32(OpusPayload.clockRate * opus.frameDurationMilliseconds / 1000))
        receiver.register(payloadType: MediaProfile.audioPayloadType, sink: levels)
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: "parley-mesh-p\(local)", localSSRC: localAudioSSRC,
                           sessionBandwidth: sessionBandwidth, wallClock: { MeshConnection.epoch + clock() })
        rtcp.randomFactor = randomFactor
        rtcp.addReceiveStream(stream)
        if let videoCodec {
            let payloadType = videoCodec == .vp8 ? MediaProfile.vp8PayloadType : MediaProfile.vp9PayloadType
            let receive = try VideoReceiveStream(codec: videoCodec, threads: videoThreads, receiver: receiver,
                                                 payloadType: payloadType, sink: videoSink)
            video = receive
            rtcp.addReceiveStream(receive)
            receive.keyframeNeeded = { [unowned self] ssrc in self.rtcp.sendPictureLossIndication(mediaSSRC: ssrc, now: clock()) }
            receive.nackNeeded = { [unowned self] ssrc, lost in self.rtcp.sendNACK(mediaSSRC: ssrc, lost: lost, now: clock()) }
        }
    }

    /// The wall clock of RTCP's NTP timestamps is this epoch + media time.
    static let epoch = 1_700_000_000.0

    /// The level of the audio frame the jitter buffer played last (from its RTP
    /// timestamp), or 127 (silence) when it played no packet.
    func level(of result: PullResult?) -> UInt8 {
        guard let timestamp = result?.decodedTimestamp else { return 127 }
        return levels.level(at: timestamp)
    }

    func close(at time: Double, reason: String) {
        guard closedAt == nil else { return }
        closedAt = time
        closeReason = reason
    }

    /// The last audio packet from the remote (nil: none yet). A participant in the call
    /// sends audio all the time (silence too: no DTX in the mesh loopback).
    var lastArrival: Double? { audio?.lastArrival }
}

/// Keeps the RFC 6464 level of the last 64 audio packets by RTP timestamp, then passes
/// each packet on to the audio stream.
final class AudioLevelTap: RTPPacketSink {
    private let stream: AudioReceiveStream
    private var timestamps = [UInt32](repeating: 0, count: 64)
    private var values = [UInt8](repeating: 127, count: 64)
    private let levelID = MediaProfile.extensions.id(for: .audioLevel)
    private let timestampPerFrame: UInt32

    init(stream: AudioReceiveStream, timestampPerFrame: UInt32) {
        self.stream = stream
        self.timestampPerFrame = max(1, timestampPerFrame)
    }

    func receivedRTP(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer, arrival: Double) {
        let timestamp = view.header.timestamp
        let slot = Int((timestamp / timestampPerFrame) & 63)
        timestamps[slot] = timestamp
        // RFC 6464: one byte, V bit and level (the generic extension decoder would do the
        // same through witness tables, for every packet).
        if let id = levelID, let range = view.extensionElement(id: id, in: bytes), range.count == 1 {
            values[slot] = bytes[range.lowerBound] & 0x7F
        } else {
            values[slot] = 127
        }
        stream.receivedRTP(view, bytes, arrival: arrival)
    }

    func level(at timestamp: UInt32) -> UInt8 {
        let slot = Int((timestamp / timestampPerFrame) & 63)
        return timestamps[slot] == timestamp ? values[slot] : 127
    }
}
