import Foundation
import ParleyCodecs
import ParleyEngine
import ParleyMetrics
import ParleyNetwork
import ParleyRTP
import ParleySecurity
import Testing

/// The engine's secure audio path over real ICE (two libnice agents on loopback): the
/// same sender and receiver as the in-process and UDP calls, with ICE underneath.
@Suite("ICE transport", .serialized)
struct ICETransportTests {
    static func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    @Test("Opus audio through RTP, SRTP and ICE arrives whole, and the stats name the host pair")
    func secureAudioOverICE() throws {
        let origin = BenchmarkClock.monotonicSeconds()
        let clock: @Sendable () -> Double = { BenchmarkClock.monotonicSeconds() - origin }
        let signaling = DispatchQueue(label: "signaling")
        // Each side forwards its candidates to the other through `signaling`.
        final class Peer: @unchecked Sendable { var transport: ICETransport! }
        let a = Peer(), b = Peer()
        func handlers(to other: Peer) -> ICEAgent.Handlers {
            var h = ICEAgent.Handlers()
            h.onCandidate = { c in signaling.async { try? other.transport.agent.addRemoteCandidate(c.sdp) } }
            return h
        }
        var configuration = ICEAgent.Configuration(role: .controlling)
        configuration.localAddresses = ["127.0.0.1"]
        a.transport = try ICETransport(configuration: configuration, handlers: handlers(to: b), clock: clock)
        configuration.role = .controlled
        b.transport = try ICETransport(configuration: configuration, handlers: handlers(to: a), clock: clock)
        let ca = a.transport.agent.localCredentials, cb = b.transport.agent.localCredentials
        try a.transport.agent.setRemoteCredentials(ufrag: cb.ufrag, password: cb.password)
        try b.transport.agent.setRemoteCredentials(ufrag: ca.ufrag, password: ca.password)
        // Nothing can be sent before a pair works: counted, not a crash.
        #expect(throws: ICEError.self) { try [UInt8](repeating: 0x80, count: 40).withUnsafeBytes { try a.transport.send($0) } }
        try a.transport.agent.gather()
        try b.transport.agent.gather()
        #expect(Self.wait(5) { a.transport.agent.state.isConnected && b.transport.agent.state.isConnected })

        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        let sender = SecureRTPSender(srtp: try SRTPSession(masterKey: key, direction: .outbound), transport: a.transport,
                                     extensions: MediaProfile.extensions)
        let receiver = SecureRTPReceiver(srtp: try SRTPSession(masterKey: key, direction: .inbound))
        let send = try AudioSendStream(configuration: OpusConfiguration(), sender: sender, payloadType: 111, ssrc: 0xC0FFEE,
                                       initialSequenceNumber: 1, initialTimestamp: 0)
        var samples: [Float] = []
        let receive = try AudioReceiveStream(sampleRate: 48000, channels: 1, frameDurationMilliseconds: 20,
                                             receiver: receiver, payloadType: 111) { samples += $0 }
        for f in 0..<50 {
            let frame = (0..<960).map { i in Float(0.3 * sin(2 * Double.pi * 440 * Double(f * 960 + i) / 48000)) }
            try send.send(frame, now: clock())
            b.transport.drain(into: receiver)
        }
        #expect(Self.wait(3) { b.transport.drain(into: receiver) >= 0 && receive.framesDecoded == 50 })
        #expect(receive.framesDecoded == 50 && receive.framesConcealed == 0)
        #expect(receiver.counters.dropped == 0)
        #expect(a.transport.packetsSent == 50 && b.transport.datagramsReceived == 50)
        // The tone came through: its RMS is that of a 0.3 sine (after the codec's start).
        let rms = AudioAlignment.rms(samples.suffix(48000 / 2))
        #expect(abs(rms - 0.3 / 2.0.squareRoot()) < 0.03, "RMS \(rms)")
        let pair = try #require(b.transport.agent.selectedPair)
        #expect(pair.local.type == .host && pair.remote.type == .host)
        a.transport.agent.close()
        b.transport.agent.close()
    }
}
