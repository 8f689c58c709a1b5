import ParleySecurity
import Testing

@Suite("SRTP sessions")
struct SRTPSessionTests {
    static let mainSuites: [SRTPSuite] = [.aeadAES128GCM, .aesCM128HmacSHA1_80]

    @Test("suite key lengths and overheads")
    func suiteLengths() {
        #expect(SRTPSuite.aeadAES128GCM.keyingMaterialLength == 28)
        #expect(SRTPSuite.aesCM128HmacSHA1_80.keyingMaterialLength == 30)
        #expect(SRTPSuite.aesCM128HmacSHA1_32.keyingMaterialLength == 30)
        #expect(SRTPSuite.aeadAES256GCM.keyingMaterialLength == 44)
        #expect(SRTPSuite.aeadAES128GCM.overhead == 16)
        #expect(SRTPSuite.aesCM128HmacSHA1_80.overhead == 10)
        #expect(SRTPSuite.aesCM128HmacSHA1_32.overhead == 4)
        #expect(SRTPSuite.aesCM128HmacSHA1_80.rtcpOverhead == 14)
        #expect(SRTPSuite.default == .aeadAES128GCM)
        #expect(SRTPSuite(rawValue: "AES_CM_128_HMAC_SHA1_80") == .aesCM128HmacSHA1_80)
        #expect(SRTPSession.maximumTrailerLength == 144)
        #expect(SRTPSession.maximumRTCPTrailerLength == 148)
    }

    @Test("random packets with CSRCs and header extensions round-trip", arguments: SRTPSuite.allCases)
    func roundTrip(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        var random = TestRandom(state: 0x5EED ^ UInt64(suite.keyingMaterialLength))
        for index in 0..<200 {
            let csrcs = (0..<random.int(0...15)).map { _ in UInt32(truncatingIfNeeded: random.next()) }
            let extensionWords: Int? = index % 3 == 0 ? nil : random.int(1...8)
            let payload = random.bytes(random.int(0...1200))
            let packet = rtpPacket(
                sequence: UInt16(1000 + index), timestamp: UInt32(index * 960), ssrc: 0x1122_3344,
                csrcs: csrcs, extensionWords: extensionWords, payload: payload)
            let secured = try protect(packet, with: sender)
            #expect(secured.count == packet.count + suite.overhead)
            let headerLength = packet.count - payload.count
            // The header stays in clear, the payload does not.
            #expect(Array(secured[..<headerLength]) == Array(packet[..<headerLength]))
            if payload.count >= 8 {
                #expect(Array(secured[headerLength..<packet.count]) != payload)
            }
            #expect(try unprotect(secured, with: receiver) == packet)
        }
        #expect(sender.statistics.protectedRTPPackets == 200)
        #expect(receiver.statistics.unprotectedRTPPackets == 200)
        #expect(receiver.statistics.failures == 0)
    }

    @Test("raw-buffer API protects in place and returns the lengths", arguments: mainSuites)
    func rawBuffers(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        let packet = rtpPacket(sequence: 7, payload: [UInt8](repeating: 0x33, count: 160))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: packet.count + SRTPSession.maximumTrailerLength, alignment: 16)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: packet)
        let securedLength = try sender.protectRTP(buffer, length: packet.count)
        #expect(securedLength == packet.count + suite.overhead)
        let plainLength = try receiver.unprotectRTP(buffer, length: securedLength)
        #expect(plainLength == packet.count)
        #expect(Array(buffer[..<plainLength]) == packet)
    }

    @Test("a wrong key is an authentication failure, counted, not a crash", arguments: mainSuites)
    func wrongKey(_ suite: SRTPSuite) throws {
        let (sender, _, key) = try sessionPair(suite)
        var wrongKey = key
        wrongKey[0] ^= 0x80
        let receiver = try SRTPSession(suite: suite, masterKey: wrongKey, direction: .inbound)
        for sequence in 0..<5 {
            let secured = try protect(rtpPacket(sequence: UInt16(sequence), payload: [1, 2, 3, 4, 5, 6, 7, 8]), with: sender)
            #expect(throws: SecurityError.authenticationFailed(.rtp)) { _ = try unprotect(secured, with: receiver) }
        }
        #expect(receiver.statistics.authenticationFailures == 5)
        #expect(receiver.statistics.unprotectedRTPPackets == 0)
        #expect(SecurityError.authenticationFailed(.rtp).description.contains("wrong key"))
    }

    @Test("a flipped payload bit fails authentication and the session goes on", arguments: mainSuites)
    func flippedBit(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        let first = rtpPacket(sequence: 100, payload: [UInt8](repeating: 0x11, count: 50))
        var altered = try protect(first, with: sender)
        altered[20] ^= 0x04
        #expect(throws: SecurityError.authenticationFailed(.rtp)) { _ = try unprotect(altered, with: receiver) }
        // The altered packet did not advance the replay window: the next one decrypts.
        let second = rtpPacket(sequence: 101, payload: [UInt8](repeating: 0x22, count: 50))
        #expect(try unprotect(try protect(second, with: sender), with: receiver) == second)
        #expect(receiver.statistics.authenticationFailures == 1)
        #expect(receiver.statistics.unprotectedRTPPackets == 1)
    }

    @Test("a replayed packet is refused and counted", arguments: mainSuites)
    func replay(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        let packet = rtpPacket(sequence: 42, payload: [9, 9, 9, 9])
        let secured = try protect(packet, with: sender)
        #expect(try unprotect(secured, with: receiver) == packet)
        #expect(throws: SecurityError.replayedPacket(.rtp)) { _ = try unprotect(secured, with: receiver) }
        #expect(receiver.statistics.replayFailures == 1)
        #expect(receiver.statistics.unprotectedRTPPackets == 1)
    }

    @Test("a packet behind the replay window is refused; one inside it, late, is accepted")
    func oldPacket() throws {
        let (sender, receiver, _) = try sessionPair(.aeadAES128GCM, replayWindowSize: 64)
        var secured: [[UInt8]] = []
        for sequence in 0..<200 {
            secured.append(try protect(rtpPacket(sequence: UInt16(sequence), payload: [UInt8(sequence & 0xFF)]), with: sender))
        }
        // Deliver everything but packets 10 and 180, then those two late.
        for (sequence, packet) in secured.enumerated() where sequence != 10 && sequence != 180 {
            _ = try unprotect(packet, with: receiver)
        }
        #expect(throws: SecurityError.packetTooOld(.rtp)) { _ = try unprotect(secured[10], with: receiver) }
        #expect(try unprotect(secured[180], with: receiver) == rtpPacket(sequence: 180, payload: [180]))
        #expect(receiver.statistics.replayFailures == 1)
        #expect(receiver.statistics.unprotectedRTPPackets == 199)
    }

    @Test("the sender refuses to reuse a sequence number unless repeat transmission is allowed")
    func senderRepeat() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        let strict = try SRTPSession(masterKey: key, direction: .outbound)
        let packet = rtpPacket(sequence: 5, payload: [1, 2, 3])
        _ = try protect(packet, with: strict)
        #expect(throws: SecurityError.replayedPacket(.rtp)) { _ = try protect(packet, with: strict) }
        let lenient = try SRTPSession(masterKey: key, direction: .outbound, allowRepeatTransmission: true)
        let once = try protect(packet, with: lenient)
        #expect(try protect(packet, with: lenient) == once)
    }

    @Test("too-short and non-RTP packets are malformed, counted, not a crash", arguments: mainSuites)
    func malformed(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        var tiny: [UInt8] = [0x80, 0x00, 0x00, 0x01, 0x00]
        #expect(throws: SecurityError.malformedPacket(.rtp, length: 5)) { _ = try receiver.unprotectRTP(&tiny, length: 5) }
        // A bare header with no room for a tag.
        var header = rtpPacket(sequence: 1, payload: [])
        #expect(throws: SecurityError.malformedPacket(.rtp, length: 12)) { _ = try receiver.unprotectRTP(&header, length: 12) }
        // Not version 2 (a STUN-like first byte).
        var stun = [UInt8](repeating: 0, count: 60)
        #expect(throws: SecurityError.malformedPacket(.rtp, length: 60)) { _ = try receiver.unprotectRTP(&stun, length: 60) }
        // A CSRC count pointing past the end of the packet.
        var lying = withTrailerRoom([0x8F, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0xAA, 0xBB])
        #expect(throws: SecurityError.malformedPacket(.rtp, length: 14)) { _ = try sender.protectRTP(&lying, length: 14) }
        var empty: [UInt8] = []
        #expect(throws: SecurityError.malformedPacket(.rtcp, length: 0)) { _ = try receiver.unprotectRTCP(&empty, length: 0) }
        #expect(receiver.statistics.malformedPackets == 4)
        #expect(sender.statistics.malformedPackets == 1)
        // A length beyond the buffer is refused, not read.
        var short: [UInt8] = [0x80, 0, 0, 1]
        #expect(throws: SecurityError.bufferTooSmall(needed: 100, available: 4)) { _ = try receiver.unprotectRTP(&short, length: 100) }
    }

    @Test("protect without trailer room is bufferTooSmall and leaves the packet as it was")
    func bufferTooSmall() throws {
        let (sender, _, _) = try sessionPair(.aeadAES128GCM)
        let packet = rtpPacket(sequence: 1, payload: [UInt8](repeating: 7, count: 20))
        var exact = packet + [UInt8](repeating: 0, count: 16)  // room for the tag only, not the documented maximum
        #expect(throws: SecurityError.bufferTooSmall(needed: packet.count + 144, available: packet.count + 16)) {
            _ = try sender.protectRTP(&exact, length: packet.count)
        }
        #expect(Array(exact[..<packet.count]) == packet)
        var rtcp = rtcpReceiverReport() + [UInt8](repeating: 0, count: 144)
        #expect(throws: SecurityError.bufferTooSmall(needed: 32 + 148, available: 32 + 144)) {
            _ = try sender.protectRTCP(&rtcp, length: 32)
        }
        #expect(sender.statistics.otherFailures == 2)
        #expect(sender.statistics.protectedRTPPackets == 0)
    }

    @Test("the sequence number wraps 0xFFFF to 0 with a rollover counter increment", arguments: mainSuites)
    func sequenceWrap(_ suite: SRTPSuite) throws {
        let (sender, receiver, key) = try sessionPair(suite)
        let ssrc: UInt32 = 0x0BAD_CAFE
        var afterWrap: [UInt8] = []
        for step in 0..<40 {
            let sequence = UInt16(truncatingIfNeeded: 0xFFEC + step)  // 0xFFEC ... 0x0013
            let packet = rtpPacket(sequence: sequence, ssrc: ssrc, payload: [UInt8](repeating: UInt8(step), count: 24))
            let secured = try protect(packet, with: sender)
            #expect(try unprotect(secured, with: receiver) == packet, "sequence \(sequence)")
            if sequence == 5 { afterWrap = secured }
        }
        #expect(try sender.rolloverCounter(ssrc: ssrc) == 1)
        #expect(try receiver.rolloverCounter(ssrc: ssrc) == 1)
        #expect(receiver.statistics.unprotectedRTPPackets == 40)

        // The ROC is part of the packet index: a receiver that has not seen the wrap takes
        // sequence 5 for ROC 0 and cannot authenticate it...
        let fresh = try SRTPSession(suite: suite, masterKey: key, direction: .inbound)
        #expect(throws: SecurityError.authenticationFailed(.rtp)) { _ = try unprotect(afterWrap, with: fresh) }
        // ...and a sender without the wrap makes a different packet for the same header.
        let joined = try SRTPSession(suite: suite, masterKey: key, direction: .inbound, ssrc: .specific(ssrc))
        try joined.setRolloverCounter(1, ssrc: ssrc)
        let plain = try unprotect(afterWrap, with: joined)
        let freshSender = try SRTPSession(suite: suite, masterKey: key, direction: .outbound)
        #expect(try protect(plain, with: freshSender) != afterWrap)
    }

    @Test("setting the rollover counter lets a receiver join after a wrap")
    func setRolloverCounter() throws {
        let (sender, _, key) = try sessionPair(.aeadAES128GCM)
        let ssrc: UInt32 = 0x0102_0304
        var last: [UInt8] = []
        for step in 0..<12 {
            last = try protect(rtpPacket(sequence: UInt16(truncatingIfNeeded: 0xFFFA + step), ssrc: ssrc, payload: [1, 2, 3]), with: sender)
        }
        let receiver = try SRTPSession(masterKey: key, direction: .inbound, ssrc: .specific(ssrc))
        try receiver.setRolloverCounter(1, ssrc: ssrc)
        #expect(try unprotect(last, with: receiver) == rtpPacket(sequence: 5, ssrc: ssrc, payload: [1, 2, 3]))
        #expect(throws: SecurityError.unknownStream(.rtp)) { _ = try receiver.rolloverCounter(ssrc: 0x9999) }
    }

    @Test("RTCP round trip and replay protection", arguments: SRTPSuite.allCases)
    func rtcp(_ suite: SRTPSuite) throws {
        let (sender, receiver, _) = try sessionPair(suite)
        var secured: [[UInt8]] = []
        for index in 0..<5 {
            let report = rtcpReceiverReport(fill: UInt8(index))
            var buffer = withTrailerRoom(report, rtcp: true)
            let length = try sender.protectRTCP(&buffer, length: report.count)
            #expect(length == report.count + suite.rtcpOverhead)
            secured.append(Array(buffer[..<length]))
        }
        for (index, packet) in secured.enumerated() {
            var buffer = packet
            let length = try receiver.unprotectRTCP(&buffer, length: packet.count)
            #expect(Array(buffer[..<length]) == rtcpReceiverReport(fill: UInt8(index)))
        }
        var replayed = secured[2]
        #expect(throws: SecurityError.replayedPacket(.rtcp)) { _ = try receiver.unprotectRTCP(&replayed, length: replayed.count) }
        var altered = secured[4]
        altered[10] ^= 1
        let wrong = try SRTPSession(suite: suite, masterKey: try SRTPKeyingMaterial.random(for: suite), direction: .inbound)
        #expect(throws: SecurityError.authenticationFailed(.rtcp)) { _ = try wrong.unprotectRTCP(&altered, length: altered.count) }
        #expect(sender.statistics.protectedRTCPPackets == 5)
        #expect(receiver.statistics.unprotectedRTCPPackets == 5)
        #expect(receiver.statistics.replayFailures == 1)
    }

    @Test("wrong direction, wrong key length and bad replay window are clear errors")
    func setupErrors() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        #expect(throws: SecurityError.invalidKeyLength(suite: .aeadAES128GCM, expected: 28, actual: 30)) {
            _ = try SRTPSession(suite: .aeadAES128GCM, masterKey: key + [0, 0], direction: .outbound)
        }
        #expect(throws: SecurityError.invalidKeyLength(suite: .aesCM128HmacSHA1_80, expected: 30, actual: 28)) {
            _ = try SRTPSession(suite: .aesCM128HmacSHA1_80, masterKey: key, direction: .outbound)
        }
        #expect(SecurityError.invalidKeyLength(suite: .aeadAES128GCM, expected: 28, actual: 30).description.contains("28 bytes"))
        #expect(throws: SecurityError.self) { _ = try SRTPSession(masterKey: key, direction: .inbound, replayWindowSize: 10) }
        let inbound = try SRTPSession(masterKey: key, direction: .inbound)
        var packet = withTrailerRoom(rtpPacket(sequence: 1, payload: [1]))
        #expect(throws: SecurityError.wrongDirection(.inbound)) { _ = try inbound.protectRTP(&packet, length: 13) }
        let outbound = try SRTPSession(masterKey: key, direction: .outbound)
        #expect(throws: SecurityError.wrongDirection(.outbound)) { _ = try outbound.unprotectRTP(&packet, length: 13) }
        #expect(inbound.statistics.otherFailures == 1)
    }

    @Test("a session bound to one SSRC refuses another SSRC")
    func specificSSRC() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        let sender = try SRTPSession(masterKey: key, direction: .outbound)
        let receiver = try SRTPSession(masterKey: key, direction: .inbound, ssrc: .specific(0x1111))
        let other = try protect(rtpPacket(sequence: 1, ssrc: 0x2222, payload: [1, 2]), with: sender)
        #expect(throws: SecurityError.unknownStream(.rtp)) { _ = try unprotect(other, with: receiver) }
        let mine = rtpPacket(sequence: 1, ssrc: 0x1111, payload: [1, 2])
        #expect(try unprotect(try protect(mine, with: sender), with: receiver) == mine)
        #expect(receiver.statistics.otherFailures == 1)
    }

    @Test("one session holds a stream per SSRC, each with its own key, and refuses SSRCs it has no stream for",
          arguments: mainSuites)
    func streamsWithTheirOwnKeys(_ suite: SRTPSuite) throws {
        // As a call keys it: the session is created for the RTCP SSRC, audio and video are added.
        let (rtcpSSRC, audioSSRC, videoSSRC, strangerSSRC): (UInt32, UInt32, UInt32, UInt32) = (0x1000, 0x1001, 0x1002, 0x2000)
        let rtcpKey = try SecretBytes(random: suite.keyingMaterialLength)
        let audioKey = try SecretBytes(random: suite.keyingMaterialLength)
        let videoKey = try SRTPKeyingMaterial.random(for: suite)  // the array overloads too
        let audioKeyBefore = audioKey.copyBytes()
        let sender = try SRTPSession(suite: suite, masterKey: rtcpKey, direction: .outbound, ssrc: .specific(rtcpSSRC))
        try sender.addStream(masterKey: audioKey, ssrc: audioSSRC)
        try sender.addStream(masterKey: videoKey, ssrc: videoSSRC)
        let receiver = try SRTPSession(suite: suite, masterKey: rtcpKey, direction: .inbound, ssrc: .specific(rtcpSSRC))
        try receiver.addStream(masterKey: audioKey, ssrc: audioSSRC)
        try receiver.addStream(masterKey: videoKey, ssrc: videoSSRC)
        // libsrtp read the keys in place and left them as they were.
        #expect(audioKey.copyBytes() == audioKeyBefore)

        var secured: [UInt32: [UInt8]] = [:]
        for ssrc in [rtcpSSRC, audioSSRC, videoSSRC] {
            let packet = rtpPacket(sequence: 7, ssrc: ssrc, payload: [UInt8](repeating: UInt8(ssrc & 0xFF), count: 40))
            let protected = try protect(packet, with: sender)
            secured[ssrc] = protected
            #expect(try unprotect(protected, with: receiver) == packet, "SSRC \(ssrc)")
        }
        // RTCP from the RTCP SSRC.
        let report = rtcpReceiverReport(ssrc: rtcpSSRC)
        var buffer = withTrailerRoom(report, rtcp: true)
        let length = try sender.protectRTCP(&buffer, length: report.count)
        var secureReport = Array(buffer[..<length])
        #expect(Array(secureReport[..<(try receiver.unprotectRTCP(&secureReport, length: length))]) == report)

        // Each stream was protected with its own key: a single-stream session keyed with
        // that stream's key opens it, one keyed with another stream's key does not.
        let audioOnly = try SRTPSession(suite: suite, masterKey: audioKey.copyBytes(), direction: .inbound, ssrc: .specific(audioSSRC))
        let audioPacket = try #require(secured[audioSSRC])
        #expect(try unprotect(audioPacket, with: audioOnly).count == 12 + 40)
        let audioWithVideoKey = try SRTPSession(suite: suite, masterKey: videoKey, direction: .inbound, ssrc: .specific(audioSSRC))
        #expect(throws: SecurityError.authenticationFailed(.rtp)) { _ = try unprotect(audioPacket, with: audioWithVideoKey) }
        let videoWithRTCPKey = try SRTPSession(suite: suite, masterKey: rtcpKey, direction: .inbound, ssrc: .specific(videoSSRC))
        #expect(throws: SecurityError.authenticationFailed(.rtp)) { _ = try unprotect(try #require(secured[videoSSRC]), with: videoWithRTCPKey) }

        // An SSRC with no stream: the sender refuses to protect it, the receiver to unprotect it.
        let stranger = rtpPacket(sequence: 7, ssrc: strangerSSRC, payload: [1, 2, 3])
        #expect(throws: SecurityError.unknownStream(.rtp)) { _ = try protect(stranger, with: sender) }
        let anySender = try SRTPSession(suite: suite, masterKey: audioKey, direction: .outbound)
        let strangerSecured = try protect(stranger, with: anySender)
        #expect(throws: SecurityError.unknownStream(.rtp)) { _ = try unprotect(strangerSecured, with: receiver) }
        #expect(receiver.statistics.unprotectedRTPPackets == 3)
        #expect(receiver.statistics.otherFailures == 1)

        // A stream of an SSRC that already has one, or a key of the wrong length: clear errors.
        #expect(throws: SecurityError.self) { try sender.addStream(masterKey: videoKey, ssrc: audioSSRC) }
        #expect(throws: SecurityError.self) { try receiver.addStream(masterKey: audioKey, ssrc: rtcpSSRC) }
        let short = SecretBytes(copying: [UInt8](repeating: 1, count: suite.keyingMaterialLength - 1))
        #expect(throws: SecurityError.invalidKeyLength(suite: suite, expected: suite.keyingMaterialLength, actual: suite.keyingMaterialLength - 1)) {
            try sender.addStream(masterKey: short, ssrc: 0x3000)
        }
        #expect(throws: SecurityError.invalidKeyLength(suite: suite, expected: suite.keyingMaterialLength, actual: suite.keyingMaterialLength - 1)) {
            _ = try SRTPSession(suite: suite, masterKey: short, direction: .outbound)
        }
        // The session still works after the refused additions.
        let again = rtpPacket(sequence: 8, ssrc: videoSSRC, payload: [9])
        #expect(try unprotect(try protect(again, with: sender), with: receiver) == again)
    }
}
