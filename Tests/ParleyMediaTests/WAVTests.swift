import Foundation
import ParleyCore
@testable import ParleyMedia
import ParleyTestSupport
import Testing

private typealias H = MediaTestHelpers

@Suite struct WAVTests {
    @Test(arguments: [WAVSampleFormat.pcm16, .pcm24, .float32])
    func roundTripIsExact(sampleFormat: WAVSampleFormat) throws {
        let path = try H.scratchPath("round-\(sampleFormat.rawValue).wav")
        let format = AudioFormat(sampleRate: 44100, channels: 2)
        var rng = SeededGenerator(seed: 7)
        var samples = (0..<(2 * 3001)).map { _ in Float.random(in: -1...1, using: &rng) }
        samples[0] = 1; samples[1] = -1; samples[2] = 0; samples[3] = 0.999999
        let writer = try WAVWriter(path: path, format: format, sampleFormat: sampleFormat)
        try writer.write(samples[0..<2000])
        try writer.write(Array(samples[2000..<2002]))
        try samples[2002...].withUnsafeBufferPointer { try writer.write($0) }
        #expect(writer.framesWritten == 3001)
        try writer.close()
        try writer.close() // idempotent

        let reader = try WAVReader(path: path)
        #expect(reader.info == WAVInfo(format: format, sampleFormat: sampleFormat, frameCount: 3001, declaredFrameCount: 3001))
        #expect(reader.outputFormat == format)
        let back = try H.readAll(reader, chunk: 700)
        #expect(back.count == samples.count)
        let expected: [Float]
        switch sampleFormat {
        case .float32: expected = samples
        case .pcm16: expected = samples.map { Float(WAVWriter.quantize($0, scale: 32768)) / 32768 }
        case .pcm24: expected = samples.map { Float(WAVWriter.quantize($0, scale: 8_388_608)) / 8_388_608 }
        }
        let mismatches = zip(back, expected).filter { $0 != $1 }.count
        #expect(mismatches == 0)
        // The quantized values are not trivially equal to the input for PCM.
        if sampleFormat == .pcm16 { #expect(expected != samples) }
        // The file is exactly a 44-byte header plus the data (even length: no pad).
        let bytes = try H.readFile(path)
        #expect(bytes.count == 44 + 3001 * 2 * sampleFormat.bytesPerSample)
    }

    @Test func pcmClampsOutOfRangeAndNaN() throws {
        let path = try H.scratchPath("clamp.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 8000, channels: 1))
        try writer.write([2, -3, .nan, .infinity, -.infinity])
        try writer.close()
        let back = try H.readAll(try WAVReader(path: path))
        #expect(back == [32767.0 / 32768, -1, 0, 32767.0 / 32768, -1])
    }

    @Test func oddDataChunkIsPaddedOnClose() throws {
        let path = try H.scratchPath("odd.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 8000, channels: 1), sampleFormat: .pcm24)
        try writer.write([0.5, -0.5, 0.25])
        try writer.close()
        let bytes = try H.readFile(path)
        #expect(bytes.count == 44 + 9 + 1)
        let riff = bytes.withUnsafeBytes { $0.u32(4) }
        let data = bytes.withUnsafeBytes { $0.u32(40) }
        #expect(riff == 36 + 9 + 1)
        #expect(data == 9)
        #expect(try H.readAll(try WAVReader(path: path)) == [0.5, -0.5, 0.25])
    }

    @Test func readsSoxFile() throws {
        let path = try H.scratchPath("sox.wav")
        let status = try H.run("/usr/bin/sox", ["-n", "-r", "16000", "-c", "2", "-b", "24", path, "synth", "0.5", "sine", "440"])
        #expect(status == 0)
        let reader = try WAVReader(path: path)
        #expect(reader.info.format == AudioFormat(sampleRate: 16000, channels: 2))
        #expect(reader.info.sampleFormat == .pcm24)
        #expect(reader.info.frameCount == 8000)
        let samples = try H.readAll(reader)
        #expect(samples.count == 16000)
        let rms = (samples.reduce(0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
        #expect(rms > 0.3)
        // 440 Hz for 0.5 s: about 440 zero crossings in the left channel.
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        let crossings = zip(left, left.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 440) <= 5, "\(crossings) zero crossings")
        #expect(samples.allSatisfy { (-1...1).contains($0) })
    }

    @Test func readsFFmpegFileWithListChunkAndFloat() throws {
        let path = try H.scratchPath("ffmpeg.wav")
        let status = try H.run("/usr/bin/ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.25",
                                                   "-ar", "8000", "-c:a", "pcm_f32le", "-metadata", "title=odd", path])
        #expect(status == 0)
        let bytes = try H.readFile(path)
        #expect(bytes.count > 44)
        #expect(String(decoding: bytes, as: UTF8.self).contains("LIST"))
        let reader = try WAVReader(path: path)
        #expect(reader.info.sampleFormat == .float32)
        #expect(reader.info.frameCount == 2000)
        let samples = try H.readAll(reader)
        #expect(samples.count == 2000)
        #expect((samples.map(abs).max() ?? 0) > 0.05)
    }

    @Test func extensibleFormatAndOddUnknownChunkAreRead() throws {
        let path = try H.scratchPath("ext.wav")
        // An odd-sized unknown chunk with its pad byte, then an extensible PCM 16 data chunk.
        let junk: [UInt8] = Array("junk".utf8) + H.le32(3) + [1, 2, 3, 0]
        let data: [UInt8] = H.le16(16384) + H.le16(0xC000) // 0.5, -0.5
        try H.writeFile(path, H.wav(channels: 2, rate: 22050, bits: 16, data: data, before: junk, extensibleSubformat: 1))
        let reader = try WAVReader(path: path)
        #expect(reader.info == WAVInfo(format: AudioFormat(sampleRate: 22050, channels: 2), sampleFormat: .pcm16, frameCount: 1, declaredFrameCount: 1))
        #expect(try H.readAll(reader) == [0.5, -0.5])
    }

    @Test func streamingSizeMeansToEndOfFile() throws {
        for size: UInt32 in [0, 0xFFFF_FFFF] {
            let path = try H.scratchPath("stream.wav")
            let data = (0..<6).flatMap { H.le16($0 * 4096) }
            try H.writeFile(path, H.wav(dataSize: size, data: data))
            let reader = try WAVReader(path: path)
            #expect(reader.info.frameCount == 6)
            #expect(try H.readAll(reader, chunk: 4) == (0..<6).map { Float($0) / 8 })
        }
    }

    @Test func headerStaysValidWithoutClose() throws {
        let path = try H.scratchPath("live.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 48000, channels: 2), sampleFormat: .float32)
        let block = H.sine(frequency: 440, rate: 48000, frames: 960, channels: 2)
        for _ in 0..<3 { try writer.write(block) }
        // Not closed: another reader sees every frame written so far.
        let first = try WAVReader(path: path)
        #expect(first.info.frameCount == 2880)
        #expect(first.info.frameCount == writer.framesWritten)
        #expect(try H.readAll(first) == block + block + block)
        try writer.write(block)
        let second = try WAVReader(path: path)
        #expect(second.info.frameCount == 3840)
        let bytes = try H.readFile(path)
        #expect(bytes.withUnsafeBytes { $0.u32(4) } == UInt32(bytes.count - 8))
        #expect(bytes.withUnsafeBytes { $0.u32(40) } == UInt32(bytes.count - 44))
        try writer.close()
    }

    @Test func writerRejectsPartialFramesAndWritesAfterClose() throws {
        let path = try H.scratchPath("partial.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 8000, channels: 2))
        guard case .invalidParameter = H.mediaError({ try writer.write([0.1, 0.2, 0.3]) }) else {
            Issue.record("3 samples in stereo should be rejected")
            return
        }
        try writer.close()
        #expect(H.mediaError { try writer.write([0.1, 0.2]) } == .cannotWrite(path: path, reason: "the writer is already closed"))
    }

    @Test func writerInitFailureLeavesNothing() throws {
        let dir = try Fixtures.scratchDirectory("parley-media")
        let missingDir = dir.appendingPathComponent("no/such/dir/out.wav").path
        guard case .cannotWrite(let p, _) = H.mediaError({ _ = try WAVWriter(path: missingDir, format: AudioFormat(sampleRate: 8000, channels: 1)) }) else {
            Issue.record("expected cannotWrite")
            return
        }
        #expect(p == missingDir)
        let bad = dir.appendingPathComponent("bad.wav").path
        guard case .invalidParameter = H.mediaError({ _ = try WAVWriter(path: bad, format: AudioFormat(sampleRate: 0, channels: 1)) }) else {
            Issue.record("expected invalidParameter")
            return
        }
        #expect(!FileManager.default.fileExists(atPath: bad))
        let badY4M = dir.appendingPathComponent("bad.y4m").path
        #expect(H.mediaError { _ = try Y4MWriter(path: badY4M, width: 0, height: 10) } != nil)
        #expect(!FileManager.default.fileExists(atPath: badY4M))
        let badIVF = dir.appendingPathComponent("bad.ivf").path
        #expect(H.mediaError { _ = try IVFWriter(path: badIVF, codec: .vp8, width: 70000, height: 10) } != nil)
        #expect(!FileManager.default.fileExists(atPath: badIVF))
    }

    @Test func steadyStateReadAndWriteDoNotAllocate() throws {
        #expect(AllocationCounter.isActive)
        let path = try H.scratchPath("alloc.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 16000, channels: 1))
        let block = H.sine(frequency: 300, rate: 16000, frames: 320)
        try writer.write(block) // warm-up
        let writes = try AllocationCounter.count {
            for _ in 0..<100 { try writer.write(block) }
        }
        #expect(writes == 0)
        try writer.close()

        let reader = try WAVReader(path: path, output: AudioFormat(sampleRate: 48000, channels: 2))
        var buffer = [Float](repeating: 0, count: 960 * 2)
        _ = try reader.read(into: &buffer, frames: 960)
        let reads = try AllocationCounter.count {
            for _ in 0..<20 { _ = try reader.read(into: &buffer, frames: 960) }
        }
        #expect(reads == 0)
    }
}
