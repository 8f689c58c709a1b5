import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleyRTP
import ParleySecurity
import ParleyTestSupport
import Testing

/// An in-process secure call: sender → link → receiver, with the engine's streams.
private final class SecureLoop {
    let key: [UInt8]
    let sender: SecureRTPSender
    let receiver: SecureRTPReceiver
    let link: InProcessLink
    var now = 0.0

    init(suite: SRTPSuite = .aeadAES128GCM, receiverKey: [UInt8]? = nil) throws {
        key = try SRTPKeyingMaterial.random(for: suite)
        let extensions = try RTPExtensionMap([(1, RTPExtensions.AudioLevel.uri), (2, RTPExtensions.AbsSendTime.uri),
                                              (3, RTPExtensions.TransportSequenceNumber.uri)])
        receiver = SecureRTPReceiver(srtp: try SRTPSession(suite: suite, masterKey: receiverKey ?? key, direction: .inbound))
        link = InProcessLink(receiver: receiver, clock: { 0 })
        sender = SecureRTPSender(srtp: try SRTPSession(suite: suite, masterKey: key, direction: .outbound, allowRepeatTransmission: true),
                                 transport: link, extensions: extensions)
        link.clock = { [unowned self] in self.now }
    }
}

private func tone(frames: Int, frameSize: Int) -> [[Float]] {
    (0..<frames).map { f in (0..<frameSize).map { i in Float(0.3 * sin(2 * Double.pi * 440 * Double(f * frameSize + i) / 48000)) } }
}

@Suite("secure RTP streams")
struct SecureStreamTests {
    @Test("audio goes through RTP and SRTP and comes out whole", arguments: [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80])
    func audioRoundTrip(suite: SRTPSuite) throws {
        let loop = try SecureLoop(suite: suite)
        let config = OpusConfiguration()
        let send = try AudioSendStream(configuration: config, sender: loop.sender, payloadType: 111, ssrc: 0x1234,
                                       initialSequenceNumber: 65_500, initialTimestamp: 0xFFFF_0000)
        var received = 0
        let receive = try AudioReceiveStream(sampleRate: 48000, channels: 1, frameDurationMilliseconds: 20,
                                             receiver: loop.receiver, payloadType: 111) { received += $0.count }
        for (i, frame) in tone(frames: 100, frameSize: 960).enumerated() {
            loop.now = Double(i) * 0.02
            try send.send(frame, now: loop.now)
            loop.link.pump()
        }
        #expect(received == 100 * 960)
        #expect(receive.framesDecoded == 100 && receive.framesConcealed == 0)
        // RFC 3550 A.1: the first packet only starts the probation and is not counted.
        #expect(receive.statistics.packetsReceived == 99 && receive.statistics.packetsLost == 0)
        #expect(receive.packetsReceived == 100)
        #expect(loop.receiver.counters.dropped == 0)
        #expect(send.statistics.packetsSent == 100)
        // Sequence numbers and timestamps wrapped on the way.
        #expect(receive.ssrc == 0x1234)
        withExtendedLifetime(loop) {}
    }

    @Test("lost audio packets are concealed so the timeline holds")
    func audioLossIsConcealed() throws {
        let loop = try SecureLoop()
        final class Dropper: PacketTransport {
            let next: PacketTransport
            var count = 0
            init(_ next: PacketTransport) { self.next = next }
            func send(_ packet: UnsafeRawBufferPointer) throws {
                count += 1
                if count % 10 != 5 { try next.send(packet) }
            }
        }
        let dropper = Dropper(loop.link)
        let sender = SecureRTPSender(srtp: try SRTPSession(masterKey: loop.key, direction: .outbound), transport: dropper,
                                     extensions: loop.sender.extensions)
        let send = try AudioSendStream(configuration: OpusConfiguration(), sender: sender, payloadType: 111, ssrc: 7,
                                       initialSequenceNumber: 1, initialTimestamp: 0)
        var samples = 0
        let receive = try AudioReceiveStream(sampleRate: 48000, channels: 1, frameDurationMilliseconds: 20,
                                             receiver: loop.receiver, payloadType: 111) { samples += $0.count }
        for frame in tone(frames: 100, frameSize: 960) { try send.send(frame, now: 0); loop.link.pump() }
        // 10 of 100 dropped; the last one dropped (index 94) is followed by packets, so all are concealed.
        #expect(receive.framesDecoded == 90)
        #expect(receive.framesConcealed == 10)
        #expect(samples == 100 * 960)
        #expect(receive.statistics.packetsLost == 10)
        withExtendedLifetime(loop) {}
    }

    @Test("a wrong key is counted as authentication failures, never a crash")
    func wrongKeyIsCounted() throws {
        let loop = try SecureLoop(receiverKey: try SRTPKeyingMaterial.random(for: .aeadAES128GCM))
        let send = try AudioSendStream(configuration: OpusConfiguration(), sender: loop.sender, payloadType: 111, ssrc: 9,
                                       initialSequenceNumber: 1, initialTimestamp: 0)
        var samples = 0
        let receive = try AudioReceiveStream(sampleRate: 48000, channels: 1, frameDurationMilliseconds: 20,
                                             receiver: loop.receiver, payloadType: 111) { samples += $0.count }
        for frame in tone(frames: 20, frameSize: 960) { try send.send(frame, now: 0) }
        loop.link.pump()
        #expect(receive.packetsReceived == 0)
        #expect(samples == 0)
        #expect(loop.receiver.counters.srtpAuthenticationFailures == 20)
        #expect(loop.receiver.counters.lastError?.contains("authentication") == true)
        withExtendedLifetime(loop) {}
    }

    @Test("garbage datagrams are counted and dropped")
    func garbageIsDropped() throws {
        let loop = try SecureLoop()
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 11, 12, 40, 1400, 3000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.withUnsafeBytes { loop.receiver.receive($0, arrival: 0) }
        }
        let c = loop.receiver.counters
        #expect(c.packetsReceived == 0)
        #expect(c.dropped == 7)
        withExtendedLifetime(loop) {}
    }

    @Test("NACK is answered from the packet history and PLI asks for a keyframe")
    func rtcpFeedback() throws {
        let loop = try SecureLoop()
        let rtcp = RTCPSession(sender: loop.sender, receiver: loop.receiver, cname: "test", localSSRC: 99, sessionBandwidth: 500_000)
        let config = VideoEncoderConfiguration(codec: .vp8, width: 160, height: 96, bitrateKbps: 300)
        let send = try VideoSendStream(configuration: config, sender: loop.sender, payloadType: 96, ssrc: 0xABCD,
                                       initialSequenceNumber: 100, initialTimestamp: 0)
        var keyframeRequests: [UInt32] = []
        rtcp.keyframeRequested = { ssrc in
            keyframeRequests.append(ssrc)
            send.requestKeyframe()
        }
        var decoded = 0
        let receive = try VideoReceiveStream(codec: .vp8, receiver: loop.receiver, payloadType: 96) { _, _ in decoded += 1 }
        var frame = VideoFrame(width: 160, height: 96)
        for i in 0..<10 {
            frame.data[i * 100] = 255
            try send.send(frame, index: i, now: Double(i) / 30)
            loop.link.pump()
        }
        #expect(decoded == 10)
        let packets = send.statistics.packetsSent
        // The receiver side asks for two packets again; the replay window drops the copies,
        // but the sender's statistics show the retransmissions went out.
        rtcp.sendNACK(mediaSSRC: 0xABCD, lost: [102, 104], now: 1)
        loop.link.pump()
        #expect(rtcp.statistics.nackPacketsReceived == 1)
        #expect(rtcp.statistics.retransmissionsSent == 2)
        #expect(loop.sender.streams[0].retransmittedPackets == 2)
        #expect(loop.receiver.counters.srtpReplayFailures == 2)
        rtcp.sendNACK(mediaSSRC: 0xABCD, lost: [UInt16(truncatingIfNeeded: 100 + packets + 500)], now: 1)
        loop.link.pump()
        #expect(rtcp.statistics.retransmissionsUnavailable == 1)
        // PLI → the next frame is a keyframe.
        rtcp.sendPictureLossIndication(mediaSSRC: 0xABCD, now: 1)
        loop.link.pump()
        #expect(keyframeRequests == [0xABCD])
        try send.send(frame, index: 10, now: 10.0 / 30)
        loop.link.pump()
        #expect(send.lastEncoded.isKeyframe)
        #expect(send.keyFramesEncoded == 2)
        // A report carries a report block for the received stream back to us: RTT measured.
        rtcp.addReceiveStream(try #require(Optional(VideoReceiveStreamProbe(ssrc: 0xABCD))))
        rtcp.addSendStream(ssrc: 0xABCD, clockRate: 90_000)
        rtcp.sendReport(now: 2)
        loop.link.pump()
        #expect(rtcp.statistics.reportsSent == 1)
        #expect(rtcp.statistics.senderReportsReceived == 1)
        withExtendedLifetime((loop, receive)) {}
    }

    @Test("the secure audio path allocates no more than libsrtp2 itself does")
    func audioPathAllocations() throws {
        try #require(AllocationCounter.isActive)
        let loop = try SecureLoop()
        let send = try AudioSendStream(configuration: OpusConfiguration(), sender: loop.sender, payloadType: 111, ssrc: 5,
                                       initialSequenceNumber: 1, initialTimestamp: 0)
        var samples = 0
        let receive = try AudioReceiveStream(sampleRate: 48000, channels: 1, frameDurationMilliseconds: 20,
                                             receiver: loop.receiver, payloadType: 111) { samples += $0.count }
        let frames = tone(frames: 120, frameSize: 960)
        for frame in frames[0..<20] { try send.send(frame, now: 0); loop.link.pump() }
        var failure: Error?
        let engine = AllocationCounter.count {
            // An index loop: iterating an array slice allocates in unoptimized builds.
            var i = 20
            do {
                while i < frames.count {
                    try send.send(frames[i], now: 0)
                    loop.link.pump()
                    i += 1
                }
            } catch { failure = error }
        }
        #expect(failure == nil)
        // The same number of protect+unprotect round trips through bare libsrtp2.
        let packet: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5] + [UInt8](repeating: 7, count: 80)
        let bare = try bareSRTPAllocations(suite: .aeadAES128GCM, key: loop.key, roundTrips: 100, packet: packet)
        #expect(engine <= bare + 8, "engine path: \(engine) allocations for 100 frames; bare libsrtp2: \(bare) for 100 round trips")
        #expect(samples == 120 * 960)
        withExtendedLifetime((loop, receive)) {}
    }
}

/// A receive stream stand-in that reports on one SSRC.
private final class VideoReceiveStreamProbe: ReportingReceiveStream {
    let ssrc: UInt32?
    init(ssrc: UInt32) { self.ssrc = ssrc }
    func makeReportBlock(now: Double, lastSRNtpMiddle: UInt32?, lastSRArrival: Double?) -> RTCPReportBlock? {
        RTCPReportBlock(ssrc: ssrc ?? 0)
    }
}
