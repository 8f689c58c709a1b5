import Foundation
@testable import ParleyMedia
import Testing

@Suite struct AudioFrameRingTests {
    @Test func wrapsAroundAndRefusesWhenFull() {
        let ring = AudioFrameRing(capacityFrames: 4, channels: 2)
        var out = [Float](repeating: -1, count: 8)
        #expect(ring.write([1, 1, 2, 2, 3, 3].withUnsafeBufferPointer { $0 }) == 3)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<4])) } == 2)
        #expect(Array(out[0..<4]) == [1, 1, 2, 2])
        // 1 frame waiting, 3 free: 4 offered, 3 fit (wrapping around the end).
        #expect(ring.write([4, 4, 5, 5, 6, 6, 7, 7].withUnsafeBufferPointer { $0 }) == 3)
        #expect(ring.availableToWrite == 0)
        #expect(ring.write([9, 9].withUnsafeBufferPointer { $0 }) == 0)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 4)
        #expect(out == [3, 3, 4, 4, 5, 5, 6, 6])
        #expect(ring.availableToRead == 0)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 0)
    }

    /// A producer and a consumer thread move 2 M stereo frames of a counting signal in
    /// uneven chunks; the consumer sees every frame once, in order.
    @Test func twoThreadsMoveEveryFrameInOrder() async throws {
        let ring = AudioFrameRing(capacityFrames: 1000, channels: 2)
        let total = 2_000_000
        let producer = Thread {
            var next = 0
            var chunk = [Float](repeating: 0, count: 2 * 257)
            var size = 1
            while next < total {
                size = size % 257 + 1
                let n = min(size, total - next)
                for i in 0..<n {
                    chunk[2 * i] = Float(next + i)
                    chunk[2 * i + 1] = -Float(next + i)
                }
                let w = chunk.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[0..<(2 * n)])) }
                next += w
                if w == 0 { sched_yield() }
            }
        }
        producer.start()
        var expected = 0
        var errors = 0
        var buffer = [Float](repeating: 0, count: 2 * 300)
        var size = 7
        let deadline = Date().addingTimeInterval(60)
        while expected < total && Date() < deadline {
            size = size % 300 + 1
            let got = buffer.withUnsafeMutableBufferPointer { ring.read(into: UnsafeMutableBufferPointer(rebasing: $0[0..<(2 * size)])) }
            for i in 0..<got where buffer[2 * i] != Float(expected + i) || buffer[2 * i + 1] != -Float(expected + i) {
                errors += 1
            }
            expected += got
            if got == 0 { sched_yield() }
        }
        #expect(expected == total)
        #expect(errors == 0)
    }
}
