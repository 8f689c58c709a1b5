import ParleyRTP
import ParleySecurity
import Testing

@testable import ParleyEngine

/// A link model that follows a script: packet i arrives after `delays[i]` seconds, or
/// not at all (nil), or twice.
private final class ScriptedModel: LinkModel {
    var delays: [[Double]]
    private var index = 0
    init(_ delays: [[Double]]) { self.delays = delays }
    func transmit(size: Int, at time: Double, arrivals: inout [Double]) {
        defer { index += 1 }
        guard index < delays.count else { arrivals.append(time); return }
        for delay in delays[index] { arrivals.append(time + delay) }
    }
}

private final class Collector: RTPPacketSink {
    var received: [(sequence: UInt16, arrival: Double)] = []
    func receivedRTP(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer, arrival: Double) {
        received.append((view.header.sequenceNumber, arrival))
    }
}

@Suite("InProcessLink with a link model: delay, reordering, loss and duplication in virtual time")
struct InProcessLinkTests {
    @Test func packetsArriveWhenTheModelSaysInArrivalOrderStampedWithTheirOwnArrival() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        let receiver = SecureRTPReceiver(srtp: try SRTPSession(masterKey: key, direction: .inbound))
        var now = 0.0
        let link = InProcessLink(receiver: receiver, clock: { now })
        // 0: 50 ms; 1: lost; 2: 10 ms (overtakes 0); 3: twice (30 and 70 ms); 4: 50 ms.
        link.model = ScriptedModel([[0.050], [], [0.010], [0.030, 0.070], [0.050]])
        let sender = SecureRTPSender(srtp: try SRTPSession(masterKey: key, direction: .outbound), transport: link,
                                     extensions: MediaProfile.extensions)
        let stream = sender.addStream(ssrc: 7, payloadType: 111, initialSequenceNumber: 100)
        let collector = Collector()
        receiver.register(payloadType: 111, sink: collector)
        let payload: [UInt8] = [1, 2, 3]
        for i in 0..<5 {
            now = Double(i) * 0.020
            try payload.withUnsafeBytes { try sender.send(stream: stream, payload: $0, marker: false, timestamp: UInt32(i * 960), now: now) }
            link.pump()
        }
        #expect(link.nextArrival != nil)
        while let next = link.nextArrival {
            now = next
            link.pump()
        }
        let order = collector.received.map { Int($0.sequence) - 100 }
        // Send times 0, 20, 40, 60, 80 ms; arrivals 50, -, 50, 90/130, 130.
        #expect(order == [0, 2, 3, 4], "packet 2 arrives with packet 0; 3's copy and 4 at 130 ms; duplicates are dropped by SRTP replay")
        let arrivals = collector.received.map(\.arrival)
        #expect(abs(arrivals[0] - 0.050) < 1e-9 && abs(arrivals[1] - 0.050) < 1e-9)
        #expect(abs(arrivals[2] - 0.090) < 1e-9)
        #expect(link.packetsLostByModel == 1)
        #expect(link.packetsDuplicatedByModel == 1)
        #expect(receiver.counters.srtpReplayFailures == 1, "the duplicate copy is refused as a replay")
        #expect(link.pending == 0)
    }

    @Test func withoutAModelTheLinkIsPerfectAndImmediate() throws {
        let key = try SRTPKeyingMaterial.random(for: .aeadAES128GCM)
        let receiver = SecureRTPReceiver(srtp: try SRTPSession(masterKey: key, direction: .inbound))
        let link = InProcessLink(receiver: receiver, clock: { 1.5 })
        let sender = SecureRTPSender(srtp: try SRTPSession(masterKey: key, direction: .outbound), transport: link,
                                     extensions: MediaProfile.extensions)
        let stream = sender.addStream(ssrc: 9, payloadType: 111, initialSequenceNumber: 100)
        let collector = Collector()
        receiver.register(payloadType: 111, sink: collector)
        for i in 0..<3 {
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes {
                try sender.send(stream: stream, payload: $0, marker: false, timestamp: UInt32(i), now: 0)
            }
        }
        #expect(link.nextArrival == nil && link.pending == 3)
        link.pump()
        #expect(collector.received.count == 3 && collector.received.allSatisfy { $0.arrival == 1.5 })
    }
}
