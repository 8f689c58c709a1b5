import Foundation
import ParleyCore
@testable import ParleyMedia
import ParleyTestSupport
import Testing

private typealias H = MediaTestHelpers

@Suite struct BadInputTests {
    /// Opens `path` with each reader, returning the errors.
    static func openErrors(_ path: String) -> [MediaError?] {
        [
            H.mediaError { _ = try WAVReader(path: path) },
            H.mediaError { _ = try Y4MReader(path: path) },
            H.mediaError { _ = try IVFReader(path: path) },
        ]
    }

    @Test func missingFile() throws {
        let path = try H.scratchPath("does-not-exist.bin")
        for error in Self.openErrors(path) {
            #expect(error == .fileNotFound(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func emptyFile() throws {
        let path = try H.scratchPath("empty.bin")
        try H.writeFile(path, [])
        for error in Self.openErrors(path) {
            #expect(error == .emptyFile(path: path))
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func randomTextIsNotAnyFormat() throws {
        let path = try H.scratchPath("text.txt")
        try H.writeFile(path, Array("Hello, this is just some text and no media at all.\n".utf8))
        let errors = Self.openErrors(path)
        #expect(errors == [.notWAV(path: path), .notY4M(path: path), .notIVF(path: path)])
        #expect(errors[0]?.description == "\(path): not a WAV file (no RIFF/WAVE header); give a PCM 16/24-bit or float32 WAV")
        for e in errors { #expect(e?.description.contains(path) == true) }
    }

    @Test func truncatedWAVIsReadAsFarAsItGoes() throws {
        let path = try H.scratchPath("trunc.wav")
        // Header claims 1 s of 16 kHz mono PCM16 (32000 bytes); 10 bytes (5 frames) are present.
        let data = (1...5).flatMap { H.le16($0 * 1024) }
        try H.writeFile(path, H.wav(dataSize: 32000, data: data))
        let reader = try WAVReader(path: path)
        #expect(reader.info.frameCount == 5)
        #expect(reader.info.declaredFrameCount == 16000)
        #expect(reader.info.isTruncated)
        #expect(try H.readAll(reader) == (1...5).map { Float($0) / 32 })
        // With an odd trailing byte the partial frame is ignored.
        try H.writeFile(path, H.wav(dataSize: 32000, data: data + [0x7F]))
        #expect(try H.readAll(try WAVReader(path: path)).count == 5)
    }

    @Test func headerOnlyWAVIsTruncated() throws {
        let path = try H.scratchPath("header-only.wav")
        try H.writeFile(path, H.wav(dataSize: 32000, data: []))
        let error = H.mediaError { _ = try WAVReader(path: path) }
        guard case .truncated(let p, _) = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(error?.description.contains(path) == true)
        // No data chunk at all is truncated too.
        let fmtOnly = Array(H.wav()[0..<36])
        try H.writeFile(path, Array("RIFF".utf8) + H.le32(28) + Array(fmtOnly[8...]))
        guard case .truncated = H.mediaError({ _ = try WAVReader(path: path) }) else {
            Issue.record("expected truncated for a WAV with no data chunk")
            return
        }
    }

    @Test func unsupportedWAVs() throws {
        let path = try H.scratchPath("bad.wav")
        let cases: [([UInt8], String)] = [
            (H.wav(rate: 0, data: [0, 0]), "sample rate 0"),
            (H.wav(bits: 8, data: [0, 0]), "8-bit"),
            (H.wav(tag: 2, bits: 4, data: [0, 0]), "ADPCM"),
            (H.wav(channels: 0, data: [0, 0]), "0 channels"),
            (H.wav(bits: 32, data: [0, 0, 0, 0]), "32-bit PCM"),
            (H.wav(bits: 16, data: [0, 0], extensibleSubformat: 2), "ADPCM"),
        ]
        for (bytes, needle) in cases {
            try H.writeFile(path, bytes)
            let error = H.mediaError { _ = try WAVReader(path: path) }
            guard case .unsupportedWAV(let p, let reason) = error else {
                Issue.record("expected unsupportedWAV for \(needle), got \(String(describing: error))")
                continue
            }
            #expect(p == path)
            #expect(reason.contains(needle), "\(reason)")
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func y4mInC444IsRejectedWithAdvice() throws {
        let path = try H.scratchPath("c444.y4m")
        try H.writeFile(path, Array("YUV4MPEG2 W4 H2 F25:1 Ip C444\nFRAME\n".utf8) + [UInt8](repeating: 1, count: 24))
        let error = H.mediaError { _ = try Y4MReader(path: path) }
        guard case .unsupportedY4M(let p, let reason) = error else {
            Issue.record("expected unsupportedY4M, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(reason.contains("C444") && reason.contains("4:4:4"))
        #expect(reason.contains("I420"))
        #expect(error?.description.contains(path) == true)
    }

    @Test func y4mHeaderVariants() throws {
        let path = try H.scratchPath("h.y4m")
        let good = ["YUV4MPEG2 W4 H2\n", "YUV4MPEG2 W4 H2 C420 XYSCSS=420JPEG\n", "YUV4MPEG2 W4 H2 C420mpeg2 F30000:1001 A1:1\n",
                    "YUV4MPEG2 W4 H2 C420paldv It\n"]
        for text in good {
            try H.writeFile(path, Array(text.utf8))
            let reader = try Y4MReader(path: path)
            #expect(reader.header.width == 4 && reader.header.height == 2)
            var frame = VideoFrame(width: 0, height: 0)
            #expect(try reader.read(into: &frame) == false)
        }
        #expect(try Y4MReader(path: path).header.interlace == "t")
        try H.writeFile(path, Array("YUV4MPEG2 W4 H2\n".utf8))
        #expect(try Y4MReader(path: path).header.frameRateNumerator == 30)
        let bad = ["YUV4MPEG2 H2\n", "YUV4MPEG2 W4\n", "YUV4MPEG2 W0 H2\n", "YUV4MPEG2 W20000 H2\n", "YUV4MPEG2 W4 H2 F0:0\n",
                   "YUV4MPEG2 W4 H2 C422\n", "YUV4MPEG2 W4 H2 Cmono\n", "YUV4MPEG2 W4 H2 C420p10\n", "YUV4MPEG2 Wx H2\n"]
        for text in bad {
            try H.writeFile(path, Array(text.utf8))
            let error = H.mediaError { _ = try Y4MReader(path: path) }
            guard case .unsupportedY4M(let p, _) = error else {
                Issue.record("expected unsupportedY4M for \(text), got \(String(describing: error))")
                continue
            }
            #expect(p == path)
        }
    }

    @Test func y4mTruncatedFinalFrame() throws {
        let path = try H.scratchPath("trunc.y4m")
        let picture = [UInt8](repeating: 200, count: VideoFrame.byteCount(width: 4, height: 2))
        var bytes = Array("YUV4MPEG2 W4 H2 F25:1\n".utf8)
        bytes += Array("FRAME\n".utf8) + picture + Array("FRAME Ixyz\n".utf8) + picture + Array("FRAME\n".utf8) + picture[0..<5]
        try H.writeFile(path, bytes)
        let reader = try Y4MReader(path: path)
        var frame = VideoFrame(width: 4, height: 2)
        #expect(try reader.read(into: &frame))
        #expect(try reader.read(into: &frame))
        #expect(frame.data == picture && frame.timestamp == 1)
        let error = H.mediaError { _ = try reader.read(into: &frame) }
        guard case .truncated(let p, _) = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(try reader.read(into: &frame) == false)
        // A frame that does not start with FRAME is reported as damaged.
        try H.writeFile(path, Array("YUV4MPEG2 W4 H2\nFRAMX\n".utf8) + picture)
        guard case .corrupt = H.mediaError({ var f = VideoFrame(width: 4, height: 2); _ = try Y4MReader(path: path).read(into: &f) }) else {
            Issue.record("expected corrupt")
            return
        }
    }

    @Test func ivfUnknownCodec() throws {
        let path = try H.scratchPath("xxxx.ivf")
        var bytes = Array("DKIF".utf8) + [0, 0, 32, 0] + Array("XXXX".utf8)
        bytes += H.le16(64) + H.le16(48) + H.le32(30) + H.le32(1) + H.le32(0) + H.le32(0)
        try H.writeFile(path, bytes)
        let error = H.mediaError { _ = try IVFReader(path: path) }
        #expect(error == .unsupportedIVFCodec(path: path, fourcc: "XXXX"))
        let text = error?.description ?? ""
        #expect(text.contains(path) && text.contains("XXXX") && text.contains("VP80") && text.contains("VP90"))
    }

    @Test func ivfTruncatedAndOversizedFrames() throws {
        let path = try H.scratchPath("bad.ivf")
        let writer = try IVFWriter(path: path, codec: .vp8, width: 16, height: 16)
        try writer.write([1, 2, 3, 4], pts: 0)
        try writer.close()
        let good = try H.readFile(path)
        // Short header.
        try H.writeFile(path, Array(good[0..<20]))
        guard case .truncated = H.mediaError({ _ = try IVFReader(path: path) }) else {
            Issue.record("expected truncated header")
            return
        }
        // Frame data cut short, and frame header cut short.
        for cut in [good.count - 2, 32 + 5] {
            try H.writeFile(path, Array(good[0..<cut]))
            let reader = try IVFReader(path: path)
            var buffer: [UInt8] = []
            let error = H.mediaError { _ = try reader.readFrame(into: &buffer) }
            guard case .truncated(let p, _) = error else {
                Issue.record("expected truncated, got \(String(describing: error))")
                continue
            }
            #expect(p == path)
        }
        // Frame size over 64 MiB.
        try H.writeFile(path, Array(good[0..<32]) + H.le32(0x7FFF_FFFF) + [UInt8](repeating: 0, count: 8) + [1, 2, 3])
        let reader = try IVFReader(path: path)
        var buffer: [UInt8] = []
        guard case .corrupt(let p, let reason) = H.mediaError({ _ = try reader.readFrame(into: &buffer) }) else {
            Issue.record("expected corrupt for an oversized frame")
            return
        }
        #expect(p == path && reason.contains("64 MiB"))
        #expect(buffer.count < 1000)
    }

    /// Found by `Tools/fuzz` (FuzzIVF, a 2.5 kB input that took 30 s): a frame size field
    /// claiming far more than the file holds made the reader grow the caller's buffer to that
    /// size (up to 64 MiB) before it noticed the short read. It is truncated, found up front.
    @Test func ivfFrameLargerThanTheFileIsTruncatedWithoutAllocating() throws {
        let path = try H.scratchPath("short-big-frame.ivf")
        let claimed = 60 << 20
        let header = IVFHeader(codec: .vp8, width: 32, height: 24).bytes
        try H.writeFile(path, header + H.le32(UInt32(claimed)) + [UInt8](repeating: 0, count: 8) + [1, 2, 3])
        let reader = try IVFReader(path: path)
        var buffer: [UInt8] = []
        let error = H.mediaError { _ = try reader.readFrame(into: &buffer) }
        guard case .truncated(let p, let reason) = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(p == path && reason == "frame 0 has 3 of its \(claimed) bytes")
        #expect(buffer.count < 1000)
        #expect(try reader.readFrame(into: &buffer) == nil)
    }

    /// The same for Y4M: a header declaring 16384x16384 over a few bytes of picture made the
    /// reader resize the caller's frame to 400 MB before noticing the short read.
    @Test func y4mFrameLargerThanTheFileIsTruncatedWithoutAllocating() throws {
        let path = try H.scratchPath("short-big-frame.y4m")
        try H.writeFile(path, Array("YUV4MPEG2 W16384 H16384 F30:1\nFRAME\n".utf8) + [UInt8](repeating: 7, count: 10))
        let reader = try Y4MReader(path: path)
        var frame = VideoFrame(width: 4, height: 2)
        let error = H.mediaError { _ = try reader.read(into: &frame) }
        guard case .truncated(let p, let reason) = error else {
            Issue.record("expected truncated, got \(String(describing: error))")
            return
        }
        #expect(p == path && reason == "frame 0 has 10 of its \(VideoFrame.byteCount(width: 16384, height: 16384)) bytes")
        #expect(frame.data.count < 1000)
        #expect(try reader.read(into: &frame) == false)
    }

    /// Mutated and cut-short files never crash a reader; they either read or throw MediaError.
    @Test func fuzzedFilesNeverCrash() throws {
        let dir = try Fixtures.scratchDirectory("parley-media-fuzz")
        var rng = SeededGenerator(seed: 1234)
        // Seeds: a valid file of each kind.
        let wavPath = dir.appendingPathComponent("seed.wav").path
        let w = try WAVWriter(path: wavPath, format: AudioFormat(sampleRate: 8000, channels: 2), sampleFormat: .pcm24)
        try w.write(H.sine(frequency: 440, rate: 8000, frames: 64, channels: 2))
        try w.close()
        let y4mPath = dir.appendingPathComponent("seed.y4m").path
        let y = try Y4MWriter(path: y4mPath, width: 6, height: 4)
        try y.write(VideoFrame(width: 6, height: 4))
        try y.write(VideoFrame(width: 6, height: 4))
        try y.close()
        let ivfPath = dir.appendingPathComponent("seed.ivf").path
        let v = try IVFWriter(path: ivfPath, codec: .vp9, width: 6, height: 4)
        try v.write([1, 2, 3, 4, 5], pts: 0)
        try v.write([6, 7], pts: 1)
        try v.close()

        let target = dir.appendingPathComponent("fuzz.bin").path
        var outcomes = [0, 0]
        for seed in [wavPath, y4mPath, ivfPath] {
            let original = try H.readFile(seed)
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { bytes = Array(bytes[0..<Int.random(in: 1...bytes.count, using: &rng)]) }
                try H.writeFile(target, bytes)
                let error = H.mediaError {
                    let wav = try WAVReader(path: target, output: AudioFormat(sampleRate: 11025, channels: 1))
                    _ = try H.readAll(wav, chunk: 17)
                }
                let y4mError = H.mediaError {
                    let r = try Y4MReader(path: target)
                    var frame = VideoFrame(width: 1, height: 1)
                    var n = 0
                    while try r.read(into: &frame), n < 10 { n += 1 }
                }
                let ivfError = H.mediaError {
                    let r = try IVFReader(path: target)
                    var buffer: [UInt8] = []
                    var n = 0
                    while try r.readFrame(into: &buffer) != nil, n < 10 { n += 1 }
                }
                for e in [error, y4mError, ivfError] { outcomes[e == nil ? 0 : 1] += 1 }
            }
        }
        // Both outcomes happen: some mutations are still readable, most formats reject the others.
        #expect(outcomes[0] > 0 && outcomes[1] > 0)
    }
}
