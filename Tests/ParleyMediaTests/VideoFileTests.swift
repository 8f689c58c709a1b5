import Foundation
import ParleyCore
@testable import ParleyMedia
import ParleyTestSupport
import Testing

private typealias H = MediaTestHelpers

@Suite struct VideoFileTests {
    static func randomFrame(width: Int, height: Int, rng: inout SeededGenerator) -> VideoFrame {
        var frame = VideoFrame(width: width, height: height)
        for i in frame.data.indices { frame.data[i] = UInt8.random(in: 0...255, using: &rng) }
        return frame
    }

    @Test func y4mRoundTripIsExact() throws {
        let path = try H.scratchPath("round.y4m")
        var rng = SeededGenerator(seed: 42)
        let frames = (0..<4).map { _ in Self.randomFrame(width: 33, height: 17, rng: &rng) }
        let writer = try Y4MWriter(path: path, width: 33, height: 17, frameRateNumerator: 30000, frameRateDenominator: 1001)
        for f in frames { try writer.write(f) }
        #expect(writer.framesWritten == 4)
        try writer.close()

        let reader = try Y4MReader(path: path)
        #expect(reader.header == Y4MHeader(width: 33, height: 17, frameRateNumerator: 30000, frameRateDenominator: 1001,
                                           colorSpace: "420jpeg", interlace: "p"))
        var frame = VideoFrame(width: 2, height: 2)
        for (index, expected) in frames.enumerated() {
            #expect(try reader.read(into: &frame))
            #expect(frame.width == 33 && frame.height == 17)
            #expect(frame.timestamp == Int64(index))
            #expect(frame.data == expected.data)
        }
        #expect(try reader.read(into: &frame) == false)
        #expect(try reader.read(into: &frame) == false)
    }

    @Test func y4mWriterLeavesWholeFramesWithoutClose() throws {
        let path = try H.scratchPath("live.y4m")
        let writer = try Y4MWriter(path: path, width: 16, height: 8)
        var rng = SeededGenerator(seed: 3)
        let a = Self.randomFrame(width: 16, height: 8, rng: &rng)
        try writer.write(a)
        try writer.write(a)
        let reader = try Y4MReader(path: path)
        var frame = VideoFrame(width: 16, height: 8)
        var count = 0
        while try reader.read(into: &frame) { count += 1; #expect(frame.data == a.data) }
        #expect(count == 2)
        #expect(H.mediaError { try writer.write(VideoFrame(width: 8, height: 8)) }
            == .frameSizeMismatch(path: path, expected: "16x8", got: "8x8"))
    }

    @Test func readsFFmpegY4M() throws {
        let path = try H.scratchPath("ffmpeg.y4m")
        let status = try H.run("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10",
                                                   "-frames:v", "3", "-pix_fmt", "yuv420p", path])
        #expect(status == 0)
        let reader = try Y4MReader(path: path)
        #expect(reader.header.width == 64 && reader.header.height == 48)
        #expect(reader.header.frameRateNumerator == 10 && reader.header.frameRateDenominator == 1)
        var frame = VideoFrame(width: 64, height: 48)
        var count = 0
        while try reader.read(into: &frame) {
            count += 1
            #expect(Set(frame.data).count > 10) // a real picture, not a blank buffer
        }
        #expect(count == 3)
    }

    @Test func ivfRoundTripIsExact() throws {
        let path = try H.scratchPath("round.ivf")
        var rng = SeededGenerator(seed: 9)
        let sizes = [0, 1, 700, 70_000, 12]
        let ptsValues: [Int64] = [0, 3, 6, Int64.max, -5]
        let payloads = sizes.map { n in (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let writer = try IVFWriter(path: path, codec: .vp9, width: 320, height: 240, timebaseNumerator: 1, timebaseDenominator: 25)
        for (data, pts) in zip(payloads, ptsValues) {
            try writer.write(data + [9, 9, 9], count: data.count, pts: pts)
        }
        #expect(writer.framesWritten == 5)
        try writer.close()

        let reader = try IVFReader(path: path)
        #expect(reader.header == IVFHeader(codec: .vp9, width: 320, height: 240, timebaseNumerator: 1, timebaseDenominator: 25, frameCount: 5))
        var buffer: [UInt8] = []
        for (data, pts) in zip(payloads, ptsValues) {
            let frame = try reader.readFrame(into: &buffer)
            #expect(frame?.size == data.count)
            #expect(frame?.pts == pts)
            #expect(Array(buffer[0..<data.count]) == data)
        }
        #expect(try reader.readFrame(into: &buffer) == nil)
        // The header bytes are the documented little-endian layout.
        let bytes = try H.readFile(path)
        #expect(Array(bytes[0..<12]) == Array("DKIF".utf8) + [0, 0, 32, 0] + Array("VP90".utf8))
        #expect(bytes.withUnsafeBytes { ($0.u16(12), $0.u16(14), $0.u32(16), $0.u32(20), $0.u32(24)) } == (320, 240, 25, 1, 5))
    }

    @Test func ivfFrameCountValidWithoutClose() throws {
        let path = try H.scratchPath("live.ivf")
        let writer = try IVFWriter(path: path, codec: .vp8, width: 64, height: 48)
        for i in 0..<7 { try writer.write([UInt8](repeating: UInt8(i), count: 100 + i), pts: Int64(i)) }
        let reader = try IVFReader(path: path)
        #expect(reader.header.frameCount == 7)
        #expect(reader.header.codec == .vp8)
        var buffer: [UInt8] = []
        var n = 0
        while let frame = try reader.readFrame(into: &buffer) {
            #expect(frame.size == 100 + n && frame.pts == Int64(n) && buffer[0] == UInt8(n))
            n += 1
        }
        #expect(n == 7)
        try writer.write([1], pts: 7)
        #expect(try IVFReader(path: path).header.frameCount == 8)
        // A count beyond the data is rejected, not read past the array.
        guard case .invalidParameter = H.mediaError({ try writer.write([1, 2], count: 3, pts: 8) }) else {
            Issue.record("expected invalidParameter")
            return
        }
    }

    @Test func ivfWriteDoesNotAllocate() throws {
        let path = try H.scratchPath("alloc.ivf")
        let writer = try IVFWriter(path: path, codec: .vp8, width: 64, height: 48)
        let data = [UInt8](repeating: 7, count: 1200)
        try writer.write(data, pts: 0)
        let allocations = try AllocationCounter.count {
            for i in 1...50 { try writer.write(data, pts: Int64(i)) }
        }
        #expect(allocations == 0)
        let reader = try IVFReader(path: path)
        var buffer = [UInt8](repeating: 0, count: 2000)
        _ = try reader.readFrame(into: &buffer)
        let reads = try AllocationCounter.count {
            for _ in 1...50 { _ = try reader.readFrame(into: &buffer) }
        }
        #expect(reads == 0)
    }
}
