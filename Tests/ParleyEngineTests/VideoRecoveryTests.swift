import ParleyCodecs
import ParleyCore
import ParleyRTP
import ParleySecurity
import Testing

@testable import ParleyEngine

/// A sender → link → receiver video path in one process whose link loses chosen packets,
/// with RTCP (NACK, PLI) going back through the same session.
private final class LossyVideoPath {
    final class Dropper: PacketTransport {
        let next: PacketTransport
        /// Decides, from the RTP sequence number, whether to drop; nil for RTCP.
        var drop: (UInt16) -> Bool = { _ in false }
        private(set) var dropped = 0
        init(_ next: PacketTransport) { self.next = next }
        func send(_ packet: UnsafeRawBufferPointer) throws {
            // RTP (not RTCP: payload types 72...79 with the marker bit are RTCP's 200...207).
            if packet.count >= 12, packet[1] & 0x7F == 96 {
                let sequence = UInt16(packet[2]) << 8 | UInt16(packet[3])
                if drop(sequence) {
                    dropped += 1
                    return
                }
            }
            try next.send(packet)
        }
    }

    let link: InProcessLink
    let dropper: Dropper
    let sender: SecureRTPSender
    let receiver: SecureRTPReceiver
    let rtcp: RTCPSession
    let send: VideoSendStream
    let receive: VideoReceiveStream
    var now = 0.0
    var decoded: [UInt32] = []
    var keyframeRequests = 0

    init() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        receiver = SecureRTPReceiver(srtp: try SRTPSession(masterKey: key, direction: .inbound))
        link = InProcessLink(receiver: receiver, clock: { 0 })
        dropper = Dropper(link)
        sender = SecureRTPSender(srtp: try SRTPSession(masterKey: key, direction: .outbound, allowRepeatTransmission: true),
                                 transport: dropper, extensions: MediaProfile.extensions)
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: "test", localSSRC: 99, sessionBandwidth: 1_000_000)
        let configuration = VideoEncoderConfiguration(codec: .vp8, width: 320, height: 240, bitrateKbps: 600)
        send = try VideoSendStream(configuration: configuration, sender: sender, payloadType: 96, ssrc: 0xBEEF,
                                   initialSequenceNumber: 1000, initialTimestamp: 0)
        var decodedTimestamps: [UInt32] = []
        receive = try VideoReceiveStream(codec: .vp8, receiver: receiver, payloadType: 96) { _, frame in
            decodedTimestamps.append(frame.timestamp)
        }
        link.clock = { [unowned self] in self.now }
        rtcp.keyframeRequested = { [unowned self] _ in
            self.keyframeRequests += 1
            self.send.requestKeyframe()
        }
        receive.keyframeNeeded = { [unowned self] ssrc in self.rtcp.sendPictureLossIndication(mediaSSRC: ssrc, now: self.now) }
        receive.nackNeeded = { [unowned self] ssrc, lost in self.rtcp.sendNACK(mediaSSRC: ssrc, lost: lost, now: self.now) }
        receive.roundTripTime = 0.05
        sink = { decodedTimestamps }
    }

    private var sink: () -> [UInt32] = { [] }
    var decodedCount: Int { receive.framesDecoded }

    /// Sends `count` frames at 30 fps with moving content, pumping the link and ticking
    /// the receiver every 10 ms.
    func run(frames count: Int) throws {
        var picture = VideoFrame(width: 320, height: 240)
        for index in 0..<count {
            for i in 0..<picture.data.count where i % 7 == index % 7 { picture.data[i] = UInt8(truncatingIfNeeded: i &+ index * 13) }
            try send.send(picture, index: index, now: now)
            for _ in 0..<3 {
                link.pump()
                receive.tick(now: now)
                link.pump()
                now += 1.0 / 90
            }

        }
    }
}

@Suite("Video loss recovery: NACK, retransmission, keyframe requests")
struct VideoRecoveryTests {
    @Test func aLostPacketIsNackedRetransmittedAndItsFrameDecodedWithoutAKeyframe() throws {
        let path = try LossyVideoPath()
        var droppedOnce = false
        path.dropper.drop = { [unowned path] _ in
            // A packet a third of a second in (after the first keyframe), once.
            guard !droppedOnce, path.now >= 0.33 else { return false }
            droppedOnce = true
            return true
        }
        try path.run(frames: 30)
        #expect(path.dropper.dropped == 1)
        #expect(path.receive.nackCounters.nackPackets >= 1)
        #expect(path.receive.nackCounters.recovered == 1, "the retransmission filled the gap")
        #expect(path.rtcp.statistics.retransmissionsSent >= 1)
        #expect(path.receive.framesDecoded == 30, "every frame decoded")
        #expect(path.receive.framesDropped == 0)
        #expect(path.keyframeRequests == 0, "no keyframe was needed")
        #expect(path.receive.freezes.freezeCount == 0)
    }

    @Test func aPacketThatNeverArrivesEndsInAKeyframeRequestAndDecodingResumes() throws {
        let path = try LossyVideoPath()
        var lost: UInt16?
        path.dropper.drop = { [unowned path] sequence in
            // One packet a third of a second in, and every retransmission of it, is lost.
            if lost == nil, path.now >= 0.33 { lost = sequence }
            return sequence == lost
        }
        try path.run(frames: 90)
        #expect(path.dropper.dropped > 1, "the NACKed retransmissions were lost too")
        #expect(path.receive.nackCounters.givenUp >= 1 || path.receive.bufferCounters.framesLost >= 1)
        #expect(path.keyframeRequests >= 1, "a keyframe was asked for")
        #expect(path.receive.framesDropped > 0, "frames after the lost one could not be decoded")
        #expect(path.send.keyFramesEncoded >= 2, "the sender answered with a keyframe")
        // Decoding resumed after the keyframe: the last frames were decoded.
        #expect(path.receive.framesDecoded + path.receive.framesDropped >= 85)
        #expect(path.receive.framesDecoded > 60)
        #expect(path.receive.freezes.freezeCount >= 1, "the wait shows as a freeze")
        #expect(path.receive.bufferCounters.framesLost == 1)
    }
}
