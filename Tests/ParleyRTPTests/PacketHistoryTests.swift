import Testing
@testable import ParleyRTP

@Suite("RTP packet history")
struct PacketHistoryTests {
    func packet(_ sequence: UInt16, size: Int = 40) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ $0) }
    }

    func lookup(_ history: RTPPacketHistory, _ sequence: UInt16) -> [UInt8]? {
        history.packet(for: sequence).map { Array($0) }
    }

    @Test("hits return the stored bytes; misses are counted")
    func hitsAndMisses() throws {
        let history = RTPPacketHistory(capacity: 64, maxPacketSize: 200)
        for s: UInt16 in 10..<20 { try history.store(sequenceNumber: s, packet: packet(s)) }
        #expect(lookup(history, 15) == packet(15))
        #expect(lookup(history, 10) == packet(10))
        #expect(lookup(history, 20) == nil)  // never sent
        #expect(lookup(history, 9) == nil)
        #expect(history.hits == 2 && history.misses == 2)
        var buffer = [UInt8](repeating: 0, count: 200)
        let length = try buffer.withUnsafeMutableBytes { try history.copyPacket(for: 19, into: $0) }
        #expect(length == 40 && Array(buffer.prefix(40)) == packet(19))
        var tiny = [UInt8](repeating: 0, count: 8)
        #expect(throws: RTPError.bufferTooSmall(needed: 40, available: 8)) {
            try tiny.withUnsafeMutableBytes { try history.copyPacket(for: 19, into: $0) }
        }
        #expect(throws: RTPError.bufferTooSmall(needed: 201, available: 200)) {
            try history.store(sequenceNumber: 30, packet: [UInt8](repeating: 0, count: 201))
        }
        #expect(history.count == 10)
    }

    @Test("packets older than the capacity are evicted")
    func eviction() throws {
        let history = RTPPacketHistory(capacity: 16, maxPacketSize: 100)
        for s: UInt16 in 0..<40 { try history.store(sequenceNumber: s, packet: packet(s)) }
        #expect(history.capacity == 16)
        #expect(lookup(history, 23) == nil)
        #expect(lookup(history, 24) == packet(24))
        #expect(lookup(history, 39) == packet(39))
        #expect(history.evicted == 24)
        #expect(history.count == 16)
    }

    @Test("sequence numbers wrap from 65535 to 0")
    func wrap() throws {
        let history = RTPPacketHistory(capacity: 32, maxPacketSize: 100)
        var s: UInt16 = 65520
        for _ in 0..<40 {
            try history.store(sequenceNumber: s, packet: packet(s, size: Int(s % 50)))
            s &+= 1
        }
        // Stored 65520...65535, 0...23; the last 32 are 65528...65535 and 0...23.
        #expect(lookup(history, 65527) == nil)
        #expect(lookup(history, 65528) == packet(65528, size: Int(65528 % 50)))
        #expect(lookup(history, 65535) == packet(65535, size: Int(65535 % 50)))
        #expect(lookup(history, 0) == packet(0, size: 0))
        #expect(lookup(history, 23) == packet(23, size: 23))
        #expect(lookup(history, 24) == nil)
        // After removeAll nothing hits.
        history.removeAll()
        #expect(lookup(history, 23) == nil)
        #expect(history.hits == 4 && history.misses == 3)
    }
}
