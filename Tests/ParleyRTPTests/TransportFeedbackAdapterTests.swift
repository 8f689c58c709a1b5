import Testing
@testable import ParleyRTP

@Suite("Transport feedback adapter")
struct TransportFeedbackAdapterTests {
    static func feedback(base: UInt16, reference: UInt32 = 10, count: UInt8 = 0, deltas: [Int16?]) -> RTCPTransportFeedback {
        RTCPTransportFeedback(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: base, referenceTime: reference,
                              feedbackPacketCount: count, packetDeltas: deltas)
    }

    @Test("Results carry send time, size and arrival time; a lost packet has none")
    func basicResults() throws {
        var adapter = TransportFeedbackAdapter()
        for i in 0..<10 { adapter.onPacketSent(sequenceNumber: UInt16(i), size: 100 + i, at: Double(i) * 0.01) }
        var deltas: [Int16?] = Array(repeating: 40, count: 10)
        deltas[3] = nil
        let results = adapter.onFeedback(Self.feedback(base: 0, deltas: deltas))
        #expect(results.count == 10)
        #expect(results.map(\.sequenceNumber) == Array(0..<10))
        #expect(results.map(\.size) == (0..<10).map { 100 + $0 })
        #expect(results[3].received == false && results[3].arrivalTime == nil)
        #expect(results.filter(\.received).count == 9)
        let first = try #require(results[0].arrivalTime)
        #expect(abs(first - (10 * 0.064 + 40 * 0.000_25)) < 1e-9)
        let second = try #require(results[1].arrivalTime)
        #expect(abs(second - first - 0.01) < 1e-9)
        let fourth = try #require(results[4].arrivalTime)
        #expect(abs(fourth - first - 0.03) < 1e-9)  // the lost packet carries no delta
        #expect(abs(results[7].sendTime - 0.07) < 1e-12)
    }

    @Test("Sequence numbers wrap from 0xFFFF to 0 on send and in feedback")
    func sequenceWrap() {
        var adapter = TransportFeedbackAdapter()
        var sequence: UInt16 = 65530
        for i in 0..<12 {
            adapter.onPacketSent(sequenceNumber: sequence, size: 1000 + i, at: Double(i) * 0.005)
            sequence &+= 1
        }
        let results = adapter.onFeedback(Self.feedback(base: 65530, deltas: Array(repeating: 20, count: 12)))
        #expect(results.map(\.sequenceNumber) == (0..<12).map { 65530 + Int64($0) })
        #expect(results.map(\.size) == (0..<12).map { 1000 + $0 })
        // Feedback that starts after the wrap finds the packets too.
        var again = TransportFeedbackAdapter()
        sequence = 65530
        for i in 0..<12 {
            again.onPacketSent(sequenceNumber: sequence, size: i, at: 0)
            sequence &+= 1
        }
        let afterWrap = again.onFeedback(Self.feedback(base: 2, deltas: [4, 4]))
        #expect(afterWrap.map(\.size) == [8, 9])
    }

    @Test("The 24-bit reference time wraps forward: arrival times keep increasing")
    func referenceWrap() throws {
        var adapter = TransportFeedbackAdapter()
        for i in 0..<4 { adapter.onPacketSent(sequenceNumber: UInt16(i), size: 100, at: Double(i) * 0.02) }
        let a = adapter.onFeedback(Self.feedback(base: 0, reference: 0xFF_FFFF, deltas: [0, 80]))
        let b = adapter.onFeedback(Self.feedback(base: 2, reference: 0, count: 1, deltas: [0, 80]))
        let last = try #require(a[1].arrivalTime)
        let next = try #require(b[0].arrivalTime)
        #expect(abs(next - (last - 0.02 + 0.064)) < 1e-9)
        #expect(try #require(b[1].arrivalTime) > next)
    }

    @Test("Feedback out of order or repeated reports each packet once; a late 'lost' never undoes 'received'")
    func reorderedFeedback() {
        var adapter = TransportFeedbackAdapter()
        for i in 0..<10 { adapter.onPacketSent(sequenceNumber: UInt16(i), size: 100, at: Double(i) * 0.01) }
        // The newer feedback (5…9) arrives first; 7 is lost in it.
        let newer = adapter.onFeedback(Self.feedback(base: 5, reference: 11, count: 2, deltas: [4, 40, nil, 40, 40]))
        #expect(newer.map(\.sequenceNumber) == [5, 6, 7, 8, 9])
        #expect(newer[2].received == false)
        // The older one (0…9) covers the same packets again: 5, 6, 8, 9 are not repeated,
        // 7 is now received, and 6 reported lost there is ignored.
        let older = adapter.onFeedback(Self.feedback(base: 0, reference: 10, count: 1,
                                                     deltas: [4, 40, 40, 40, 40, 40, nil, 40, 40, 40]))
        #expect(older.map(\.sequenceNumber) == [0, 1, 2, 3, 4, 7])
        let allReceived = older.allSatisfy { $0.received }
        #expect(allReceived)
        let repeated = adapter.onFeedback(Self.feedback(base: 0, deltas: Array(repeating: 4, count: 10)))
        #expect(repeated.isEmpty)
        #expect(adapter.feedbackCount == 3)
    }

    @Test("History is bounded: feedback about forgotten or never-sent packets is ignored")
    func boundedHistory() {
        var adapter = TransportFeedbackAdapter(capacity: 16)
        let beforeSending = adapter.onFeedback(Self.feedback(base: 0, deltas: [4]))
        #expect(beforeSending.isEmpty)
        for i in 0..<40 { adapter.onPacketSent(sequenceNumber: UInt16(i), size: i, at: Double(i)) }
        let forgotten = adapter.onFeedback(Self.feedback(base: 0, deltas: [4, 4]))
        #expect(forgotten.isEmpty)
        let recent = adapter.onFeedback(Self.feedback(base: 38, deltas: [4, 4, 4, 4]))
        #expect(recent.map(\.size) == [38, 39])
    }
}
