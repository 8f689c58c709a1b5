import Testing
@testable import ParleyRTP

@Suite("Bandwidth estimator (delay + loss + probes)")
struct BandwidthEstimatorTests {
    @Test("A probe whose packets arrive at its send rate raises the target; the next waits the interval")
    func probeRaises() throws {
        var configuration = BandwidthEstimator.Configuration()
        configuration.startRate = 100_000
        var bwe = BandwidthEstimator(configuration: configuration)
        let first = bwe.probe(at: 0)
        let probe = try #require(first)
        #expect(probe.rate == 200_000 && probe.packets == 6)
        let spacing = Double(probe.packetSize * 8) / probe.rate
        for i in 0..<probe.packets {
            bwe.onPacketSent(sequenceNumber: UInt16(i), size: probe.packetSize, at: Double(i) * spacing, probeCluster: probe.id)
        }
        let tooSoon = bwe.probe(at: 0.5)
        #expect(tooSoon == nil)
        let units = Int16(spacing / RTCPTransportFeedback.receiveDeltaUnit)
        let feedback = RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, referenceTime: 1,
                                             feedbackPacketCount: 0, packetDeltas: Array(repeating: units, count: probe.packets))
        let target = bwe.onFeedback(feedback, at: 0.2)
        #expect(abs(target - 200_000) < 1000)
        let waiting = bwe.probe(at: 1.0)
        #expect(waiting == nil)
        let next = bwe.probe(at: 2.5)
        #expect(next != nil)
    }

    @Test("Heavy loss brings the target down even when the delay is flat")
    func lossLowersTarget() {
        var bwe = BandwidthEstimator()
        var deltas: [Int16?] = []
        for i in 0..<100 {
            bwe.onPacketSent(sequenceNumber: UInt16(i), size: 1000, at: Double(i) * 0.01)
            deltas.append(i % 3 == 0 ? nil : (i % 3 == 1 ? 80 : 40))
        }
        let feedback = RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0, referenceTime: 1,
                                             feedbackPacketCount: 0, packetDeltas: deltas)
        let target = bwe.onFeedback(feedback, at: 1)
        #expect(target < 300_000 * 0.9)
        #expect(bwe.loss.lossFraction > 0.3)
    }
}
