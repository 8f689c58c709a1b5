import Foundation
import ParleySecurity
import ParleyTestSupport
import Testing

@testable import ParleyEngine

@Suite("parley loopback keys its SRTP streams from the contact session's call schedule")
struct LoopbackKeysTests {
    @Test func bothSidesHoldTheSameKeyPerSSRCAndItIsNewForEveryCall() throws {
        let first = try LoopbackParticipants(suite: .aeadAES128GCM)
        let second = try LoopbackParticipants(suite: .aeadAES128GCM)
        defer { first.close(); second.close() }
        let a = try first.keys(suite: .aeadAES128GCM, ssrc: 1111)
        #expect(a.outbound == a.inbound, "the caller's outbound key is the callee's inbound key")
        #expect(a.outbound.count == SRTPSuite.aeadAES128GCM.keyingMaterialLength)
        let otherSSRC = try first.keys(suite: .aeadAES128GCM, ssrc: 2222)
        #expect(otherSSRC.outbound != a.outbound, "each sender SSRC has its own key")
        let otherSuite = try first.keys(suite: .aesCM128HmacSHA1_80, ssrc: 1111)
        #expect(otherSuite.outbound.count == SRTPSuite.aesCM128HmacSHA1_80.keyingMaterialLength)
        #expect(try second.keys(suite: .aeadAES128GCM, ssrc: 1111).outbound != a.outbound,
                "another call (fresh ephemerals, new call id, new contact) has other keys")
        #expect(first.shortAuthenticationString.words.count == 5)
        #expect(first.shortAuthenticationString != second.shortAuthenticationString)
        #expect(first.callID.count == 32)
    }

    @Test func hangupWipesTheScheduleSoNoKeyComesOutAfterwards() throws {
        let participants = try LoopbackParticipants(suite: .aeadAES128GCM)
        _ = try participants.keys(suite: .aeadAES128GCM, ssrc: 7)
        participants.close()
        #expect(throws: (any Error).self) { _ = try participants.keys(suite: .aeadAES128GCM, ssrc: 7) }
    }

    @Test(arguments: [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80])
    func aLoopbackCallIsKeyedFromTheScheduleAndEveryPacketAuthenticates(suite: SRTPSuite) throws {
        let directory = try Fixtures.scratchDirectory("parley-loopback-keys").appendingPathComponent("out")
        let options = LoopbackOptions(
            audioPath: Fixtures.path("speech-48k-mono.wav"), videoPath: Fixtures.path("motion-640x360.ivf"),
            outputDirectory: directory.path, maximumSeconds: 0.5, srtpSuite: suite)
        let report = try FileLoopback(options: options).run()
        let transport = try #require(report.transport)
        let keys = try #require(transport.keys)
        #expect(keys.source == "contact-session")
        #expect(keys.caller != keys.callee)
        #expect(keys.shortAuthenticationString.split(separator: " ").count == 5)
        #expect(keys.callID.count == 32)
        // Three streams (RTCP sender, audio, video), each under its own key from the
        // schedule: everything sent arrives and authenticates, nothing is refused.
        #expect(transport.streams.count == 2)
        #expect(transport.receiver.packetsReceived > 20)
        #expect(transport.receiver.dropped == 0)
        #expect(transport.rtcp.senderReportsReceived > 0, "RTCP is keyed too")
        #expect(report.audio?.framesDecoded ?? 0 > 0)
        #expect(report.video?.framesDecoded ?? 0 > 0)
    }
}
