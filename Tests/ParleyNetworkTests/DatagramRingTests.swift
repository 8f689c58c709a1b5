import Foundation
import ParleyNetwork
import Testing

@Suite("Datagram ring (network thread to media thread)")
struct DatagramRingTests {
    @Test("datagrams come out in order with their times; a full ring and an oversized datagram are counted drops")
    func orderAndDrops() {
        let ring = DatagramRing(capacity: 4, slotSize: 8)
        for i in 0..<6 {
            let pushed = [UInt8](repeating: UInt8(i), count: i + 1).withUnsafeBytes { ring.push($0, time: Double(i)) }
            #expect(pushed == (i < 4))
        }
        #expect(ring.droppedFull == 2 && ring.count == 4)
        #expect(![UInt8](repeating: 9, count: 9).withUnsafeBytes { ring.push($0, time: 0) })
        #expect(ring.droppedOversized == 1)
        var seen: [(Int, UInt8, Double)] = []
        #expect(ring.drain { seen.append(($0.count, $0[0], $1)) } == 4)
        #expect(seen.map(\.0) == [1, 2, 3, 4] && seen.map(\.1) == [0, 1, 2, 3] && seen.map(\.2) == [0, 1, 2, 3])
        #expect(ring.count == 0 && ring.drain { _, _ in } == 0)
        // The slots are reused after the wrap.
        #expect([UInt8]([42]).withUnsafeBytes { ring.push($0, time: 7) })
        var last: (UInt8, Double)?
        #expect(ring.drain { bytes, time in last = (bytes[0], time) } == 1)
        #expect(last?.0 == 42 && last?.1 == 7)
    }

    @Test("one producer thread and one consumer thread: every datagram arrives once, in order")
    func producerAndConsumerThreads() {
        let ring = DatagramRing(capacity: 64, slotSize: 16)
        let total = 20_000
        let producer = Thread {
            var i = 0
            while i < total {
                var value = UInt32(i)
                let pushed = withUnsafeBytes(of: &value) { ring.push($0, time: Double(i)) }
                if pushed { i += 1 } else { sched_yield() }
            }
        }
        producer.start()
        var next: UInt32 = 0
        var outOfOrder = 0
        let deadline = Date().addingTimeInterval(20)
        while next < UInt32(total) && Date() < deadline {
            ring.drain { bytes, _ in
                if bytes.loadUnaligned(as: UInt32.self) != next { outOfOrder += 1 }
                next += 1
            }
        }
        #expect(next == UInt32(total) && outOfOrder == 0)
    }
}
