import Foundation
import ParleyCodecs
import ParleyCore
import ParleyTestSupport
import Testing

// MARK: - Synthetic clip and helpers

/// A deterministic moving clip: a smooth gradient background carrying a fixed texture
/// that pans 2 pixels per frame (like a slow camera pan, so every frame costs bits), a
/// static patch of fine stripes, and a textured square moving a few pixels per frame.
private func makeClip(width: Int = 640, height: Int = 360, frames: Int = 30) -> [VideoFrame] {
    // Texture in scene coordinates: smooth waves plus fixed small-amplitude detail.
    let sceneWidth = width + 2 * frames
    var texture = [Int](repeating: 0, count: sceneWidth * height)
    var hash: UInt32 = 2_166_136_261
    for y in 0..<height {
        for x in 0..<sceneWidth {
            hash = (hash ^ UInt32(truncatingIfNeeded: x &* 31 &+ y)) &* 16_777_619
            let wave = 14 * sin(Double(x) * 0.11) * cos(Double(y) * 0.07) + 8 * sin(Double(x + 2 * y) * 0.045)
            texture[y * sceneWidth + x] = Int(wave) + Int(hash >> 28) - 8
        }
    }
    return (0..<frames).map { t in
        var frame = VideoFrame(width: width, height: height, timestamp: Int64(t))
        let cw = frame.chromaWidth
        let ch = frame.chromaHeight
        let uOffset = frame.uOffset
        let vOffset = frame.vOffset
        let squareX = 40 + 6 * t
        let squareY = 60 + 3 * t
        let side = 96
        frame.data.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width {
                    var value = 40 + x * 120 / width + y * 60 / height + texture[y * sceneWidth + x + 2 * t]
                    if x >= width - 140, x < width - 40, y >= height - 110, y < height - 30 {
                        value = (x / 2) % 2 == 0 ? 70 : 180  // static fine stripes
                    }
                    let sx = x - squareX
                    let sy = y - squareY
                    if sx >= 0, sx < side, sy >= 0, sy < side {
                        let checker = ((sx / 8) + (sy / 8)) % 2 == 0 ? 60 : 200
                        value = checker + (sx * 3 + sy * 5) % 24 - 12
                    }
                    p[y * width + x] = UInt8(clamping: value)
                }
            }
            for y in 0..<ch {
                for x in 0..<cw {
                    var u = 128 + (x - cw / 2) / 4
                    var v = 128 + (y - ch / 2) / 3
                    let sx = 2 * x - squareX
                    let sy = 2 * y - squareY
                    if sx >= 0, sx < side, sy >= 0, sy < side {
                        u = 90
                        v = 170
                    }
                    p[uOffset + y * cw + x] = UInt8(clamping: u)
                    p[vOffset + y * cw + x] = UInt8(clamping: v)
                }
            }
        }
        return frame
    }
}

private let clip640x360 = makeClip()

/// PSNR in dB over `count` bytes starting at `offset` (Y plane: offset 0, count lumaCount).
private func psnr(_ a: VideoFrame, _ b: VideoFrame, offset: Int = 0, count: Int? = nil) -> Double {
    let n = count ?? a.byteCount
    precondition(a.data.count >= offset + n && b.data.count >= offset + n)
    var sum = 0.0
    a.data.withUnsafeBufferPointer { pa in
        b.data.withUnsafeBufferPointer { pb in
            var total: UInt64 = 0
            for i in offset..<(offset + n) {
                let d = Int(pa[i]) - Int(pb[i])
                total += UInt64(d * d)
            }
            sum = Double(total)
        }
    }
    let mse = sum / Double(n)
    if mse == 0 { return 99 }
    return 10 * log10(255 * 255 / mse)
}

private struct EncodedClip {
    var frames: [EncodedVideoFrame] = []
    var totalBytes: Int { frames.reduce(0) { $0 + $1.size } }
}

/// Encodes `clip`, forcing keyframes at `forced`; every input frame must give a frame.
private func encode(
    _ clip: [VideoFrame], _ configuration: VideoEncoderConfiguration, forced: Set<Int> = []
) throws -> EncodedClip {
    let encoder = try VideoEncoder(configuration: configuration)
    var result = EncodedClip()
    var output = EncodedVideoFrame()
    for (index, frame) in clip.enumerated() {
        let produced = try encoder.encode(frame, pts: Int64(index), forceKeyframe: forced.contains(index), into: &output)
        #expect(produced, "frame \(index) produced no output")
        #expect(output.size > 0)
        #expect(output.pts == Int64(index))
        var copy = EncodedVideoFrame()
        copy.data = output.bytes
        copy.size = output.size
        copy.isKeyframe = output.isKeyframe
        copy.pts = output.pts
        result.frames.append(copy)
    }
    #expect(encoder.framesEncoded == clip.count)
    return result
}

/// Decodes every frame; returns per-frame (Y PSNR, all-planes PSNR).
private func decodeAndMeasure(
    _ encoded: EncodedClip, original: [VideoFrame], codec: VideoCodecKind, threads: Int = 1
) throws -> [(y: Double, all: Double)] {
    let decoder = try VideoDecoder(codec: codec, threads: threads)
    var picture = VideoFrame(width: 0, height: 0)
    var results: [(y: Double, all: Double)] = []
    for (index, packet) in encoded.frames.enumerated() {
        let got = try decoder.decode(packet.data, count: packet.size, into: &picture)
        #expect(got, "frame \(index) decoded to no picture")
        #expect(picture.width == original[index].width && picture.height == original[index].height)
        guard picture.width == original[index].width, picture.height == original[index].height else { continue }
        results.append((psnr(picture, original[index], count: picture.lumaCount), psnr(picture, original[index])))
    }
    #expect(decoder.framesDecoded == encoded.frames.count)
    return results
}

private func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

/// A small deterministic generator (SplitMix64) for garbage input.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func expectInvalidParameter(naming field: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected CodecError.invalidParameter naming \(field)")
    } catch let error as CodecError {
        guard case .invalidParameter(let message) = error else {
            Issue.record("expected invalidParameter, got \(error)")
            return
        }
        #expect(message.contains(field), "message does not name \(field): \(message)")
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

private func isCorruptFrame(_ error: any Error) -> Bool {
    if case .corruptFrame = error as? CodecError { return true }
    return false
}

// MARK: - Round trip and quality

@Suite("VP8/VP9 encoder and decoder")
struct VideoCodecTests {
    @Test("Round trip at 800 kbps 640x360: PSNR, one frame per input, keyframes", arguments: VideoCodecKind.allCases)
    func roundTrip(codec: VideoCodecKind) throws {
        let configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360, bitrateKbps: 800)
        let encoded = try encode(clip640x360, configuration, forced: [10])
        #expect(encoded.frames.count == 30)
        let firstIsKey = encoded.frames[0].isKeyframe
        let forcedIsKey = encoded.frames[10].isKeyframe
        #expect(firstIsKey, "first frame is not a keyframe")
        #expect(forcedIsKey, "forced frame 10 is not a keyframe")
        let keyframes = encoded.frames.indices.filter { encoded.frames[$0].isKeyframe }
        #expect(keyframes == [0, 10], "keyframes at \(keyframes)")

        let quality = try decodeAndMeasure(encoded, original: clip640x360, codec: codec)
        #expect(quality.count == 30)
        let meanY = mean(quality.map(\.y))
        let meanAll = mean(quality.map(\.all))
        print("\(codec.rawValue) 800 kbps 640x360: mean PSNR Y \(String(format: "%.2f", meanY)) dB, "
            + "all planes \(String(format: "%.2f", meanAll)) dB, min Y \(String(format: "%.2f", quality.map(\.y).min() ?? 0)) dB, "
            + "\(encoded.totalBytes) bytes")
        #expect(meanY >= 32, "mean Y PSNR \(meanY) dB")
        #expect(meanAll >= 32, "mean PSNR \(meanAll) dB")
    }

    @Test("Keyframe interval 10 gives keyframes at 0, 10, 20 only", arguments: VideoCodecKind.allCases)
    func keyframeInterval(codec: VideoCodecKind) throws {
        let configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360, keyframeInterval: 10)
        let encoded = try encode(clip640x360, configuration)
        let keyframes = encoded.frames.indices.filter { encoded.frames[$0].isKeyframe }
        #expect(keyframes == [0, 10, 20], "keyframes at \(keyframes)")
    }

    @Test("Keyframe interval 0: keyframes only first and forced", arguments: VideoCodecKind.allCases)
    func keyframeIntervalZero(codec: VideoCodecKind) throws {
        let configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360, keyframeInterval: 0)
        let encoded = try encode(clip640x360, configuration, forced: [17])
        let keyframes = encoded.frames.indices.filter { encoded.frames[$0].isKeyframe }
        #expect(keyframes == [0, 17], "keyframes at \(keyframes)")
    }

    @Test("Bitrate roughly honoured over one second at 30 fps", arguments: VideoCodecKind.allCases)
    func bitrateHonoured(codec: VideoCodecKind) throws {
        var totals: [Int: Int] = [:]
        for kbps in [300, 1500] {
            let configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360, bitrateKbps: kbps)
            let encoded = try encode(clip640x360, configuration)
            let target = Double(kbps) * 1000 / 8  // 30 frames at 30 fps = 1 s
            let ratio = Double(encoded.totalBytes) / target
            print("\(codec.rawValue) \(kbps) kbps: \(encoded.totalBytes) bytes, \(String(format: "%.2f", ratio))x target")
            #expect(ratio >= 0.3 && ratio <= 2.5, "\(kbps) kbps gave \(encoded.totalBytes) bytes (\(ratio)x)")
            totals[kbps] = encoded.totalBytes
        }
        #expect((totals[1500] ?? 0) > (totals[300] ?? 0))
    }

    @Test("setBitrate lowers the output rate and validates", arguments: VideoCodecKind.allCases)
    func setBitrate(codec: VideoCodecKind) throws {
        // Two encoders with the same history; one drops from 2000 to 150 kbps at frame 10.
        let configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360, bitrateKbps: 2000)
        let steady = try VideoEncoder(configuration: configuration)
        let lowered = try VideoEncoder(configuration: configuration)
        var output = EncodedVideoFrame()
        var steadyLate = 0
        var loweredLate = 0
        for (index, frame) in clip640x360.enumerated() {
            if index == 10 { try lowered.setBitrate(kbps: 150) }
            #expect(try steady.encode(frame, pts: Int64(index), into: &output))
            if index >= 20 { steadyLate += output.size }
            #expect(try lowered.encode(frame, pts: Int64(index), into: &output))
            if index >= 20 { loweredLate += output.size }
        }
        #expect(lowered.configuration.bitrateKbps == 150)
        #expect(steady.configuration.bitrateKbps == 2000)
        print("\(codec.rawValue) frames 20..<30: \(steadyLate) bytes at 2000 kbps, \(loweredLate) after setBitrate(150)")
        #expect(loweredLate * 3 < steadyLate, "2000 kbps: \(steadyLate) bytes, lowered to 150 kbps: \(loweredLate)")
        expectInvalidParameter(naming: "bitrateKbps") { try lowered.setBitrate(kbps: 5) }
        #expect(lowered.configuration.bitrateKbps == 150)
    }

    @Test("Error resilient and multithreaded encoding decode cleanly", arguments: VideoCodecKind.allCases)
    func resilientAndThreads(codec: VideoCodecKind) throws {
        let configuration = VideoEncoderConfiguration(
            codec: codec, width: 640, height: 360, threads: 2, errorResilient: true, rowMultithreading: true)
        let encoded = try encode(clip640x360, configuration)
        #expect(encoded.frames.count == 30)
        let firstIsKey = encoded.frames[0].isKeyframe
        #expect(firstIsKey)
        let quality = try decodeAndMeasure(encoded, original: clip640x360, codec: codec, threads: 2)
        let meanY = mean(quality.map(\.y))
        print("\(codec.rawValue) error-resilient, 2 threads: mean PSNR Y \(String(format: "%.2f", meanY)) dB")
        #expect(meanY >= 30, "mean Y PSNR \(meanY) dB")
    }

    @Test("Odd frame size round trips", arguments: VideoCodecKind.allCases)
    func oddSize(codec: VideoCodecKind) throws {
        let clip = makeClip(width: 175, height: 99, frames: 4)
        let encoded = try encode(clip, VideoEncoderConfiguration(codec: codec, width: 175, height: 99, bitrateKbps: 500))
        let quality = try decodeAndMeasure(encoded, original: clip, codec: codec)
        #expect(quality.count == 4)
        #expect(mean(quality.map(\.all)) >= 28, "odd-size PSNR \(quality)")
    }

    @Test("Encoded buffer is reused, not reallocated")
    func outputBufferReuse() throws {
        let encoder = try VideoEncoder(configuration: VideoEncoderConfiguration(codec: .vp8, width: 640, height: 360))
        var output = EncodedVideoFrame(capacity: 200_000)
        _ = try encoder.encode(clip640x360[0], pts: 0, into: &output)
        #expect(output.data.count == 200_000)
        #expect(output.size > 0 && output.size < 200_000)
        var small = EncodedVideoFrame(capacity: 1)
        _ = try encoder.encode(clip640x360[1], pts: 1, forceKeyframe: true, into: &small)
        #expect(small.data.count >= small.size && small.size > 1)
    }

    @Test("Steady-state encode and decode do not allocate on the calling thread",
          arguments: VideoCodecKind.allCases)
    func noAllocationsInSteadyState(codec: VideoCodecKind) throws {
        try #require(AllocationCounter.isActive, "allocation counter not linked")
        let encoder = try VideoEncoder(configuration: VideoEncoderConfiguration(codec: codec, width: 640, height: 360))
        let decoder = try VideoDecoder(codec: codec)
        var output = EncodedVideoFrame(capacity: 300_000)
        var picture = VideoFrame(width: 640, height: 360)
        for index in 0..<5 {
            #expect(try encoder.encode(clip640x360[index], pts: Int64(index), into: &output))
            #expect(try decoder.decode(output.data, count: output.size, into: &picture))
        }
        var failure: (any Error)?
        let allocations = AllocationCounter.count {
            do {
                for index in 5..<15 {
                    _ = try encoder.encode(clip640x360[index], pts: Int64(index), into: &output)
                    _ = try decoder.decode(output.data, count: output.size, into: &picture)
                }
            } catch {
                failure = error
            }
        }
        #expect(failure == nil, "\(String(describing: failure))")
        #expect(decoder.framesDecoded == 15)
        #expect(allocations == 0, "\(allocations) allocations in 10 steady-state frames")
    }

    // MARK: - Validation

    @Test("Configuration validation names the field")
    func validation() throws {
        func config(_ change: (inout VideoEncoderConfiguration) -> Void, codec: VideoCodecKind = .vp8) -> VideoEncoderConfiguration {
            var configuration = VideoEncoderConfiguration(codec: codec, width: 640, height: 360)
            change(&configuration)
            return configuration
        }
        try VideoEncoderConfiguration(codec: .vp8, width: 640, height: 360).validate()
        try VideoEncoderConfiguration(codec: .vp9, width: 640, height: 360).validate()
        #expect(VideoEncoderConfiguration(codec: .vp8, width: 2, height: 2).cpuUsed == -6)
        #expect(VideoEncoderConfiguration(codec: .vp9, width: 2, height: 2).cpuUsed == 7)

        let cases: [(String, VideoEncoderConfiguration)] = [
            ("bitrateKbps", config { $0.bitrateKbps = 0 }),
            ("bitrateKbps", config { $0.bitrateKbps = 1_000_000 }),
            ("width", config { $0.width = 0 }),
            ("height", config { $0.height = -4 }),
            ("threads", config { $0.threads = 0 }),
            ("threads", config { $0.threads = 17 }),
            ("cpuUsed", config { $0.cpuUsed = 17 }),
            ("cpuUsed", config({ $0.cpuUsed = -10 }, codec: .vp9)),
            ("keyframeInterval", config { $0.keyframeInterval = -1 }),
            ("frameRateNumerator", config { $0.frameRateNumerator = 0 }),
            ("frame rate", config { $0.frameRateNumerator = 1; $0.frameRateDenominator = 2 }),
        ]
        for (field, configuration) in cases {
            expectInvalidParameter(naming: field) { try configuration.validate() }
            expectInvalidParameter(naming: field) { _ = try VideoEncoder(configuration: configuration) }
        }
        // VP8's range allows -16, VP9's does not.
        try config { $0.cpuUsed = -16 }.validate()
        expectInvalidParameter(naming: "threads") { _ = try VideoDecoder(codec: .vp9, threads: 0) }
    }

    @Test("A frame of the wrong size is rejected", arguments: VideoCodecKind.allCases)
    func sizeMismatch(codec: VideoCodecKind) throws {
        let encoder = try VideoEncoder(configuration: VideoEncoderConfiguration(codec: codec, width: 640, height: 360))
        var output = EncodedVideoFrame()
        expectInvalidParameter(naming: "320x240") {
            _ = try encoder.encode(VideoFrame(width: 320, height: 240), pts: 0, into: &output)
        }
        var short = VideoFrame(width: 640, height: 360)
        short.data.removeLast(10)
        expectInvalidParameter(naming: "bytes") { _ = try encoder.encode(short, pts: 0, into: &output) }
        #expect(encoder.framesEncoded == 0)
        // The encoder still works afterwards.
        #expect(try encoder.encode(clip640x360[0], pts: 0, into: &output))
    }

    // MARK: - Decoder errors

    @Test("Garbage input is a corrupt frame, never a crash", arguments: VideoCodecKind.allCases)
    func garbage(codec: VideoCodecKind) throws {
        var generator = SplitMix64(state: codec == .vp8 ? 8 : 9)
        for trial in 0..<40 {
            let decoder = try VideoDecoder(codec: codec)
            let count = Int.random(in: 1...4000, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var picture = VideoFrame(width: 0, height: 0)
            #expect(throws: CodecError.self, "trial \(trial), \(count) bytes") {
                _ = try decoder.decode(bytes, count: count, into: &picture)
            }
            do {
                _ = try decoder.decode(bytes, count: count, into: &picture)
            } catch {
                #expect(isCorruptFrame(error), "trial \(trial): \(error)")
            }
            #expect(decoder.framesDecoded == 0)
        }
        let decoder = try VideoDecoder(codec: codec)
        var picture = VideoFrame(width: 0, height: 0)
        #expect(throws: CodecError.self) { _ = try decoder.decode([], count: 0, into: &picture) }
        expectInvalidParameter(naming: "count") { _ = try decoder.decode([1, 2, 3], count: 4, into: &picture) }
    }

    @Test("Garbage after a valid keyframe does not crash; the decoder recovers at the next keyframe",
          arguments: VideoCodecKind.allCases)
    func garbageMidStream(codec: VideoCodecKind) throws {
        let encoded = try encode(
            Array(clip640x360.prefix(12)),
            VideoEncoderConfiguration(codec: codec, width: 640, height: 360), forced: [11])
        let decoder = try VideoDecoder(codec: codec)
        var picture = VideoFrame(width: 0, height: 0)
        #expect(try decoder.decode(encoded.frames[0].data, count: encoded.frames[0].size, into: &picture))
        var generator = SplitMix64(state: 42)
        for index in 1..<11 {
            var damaged = encoded.frames[index].bytes
            for _ in 0..<max(1, damaged.count / 8) {
                let position = Int.random(in: 0..<damaged.count, using: &generator)
                damaged[position] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? decoder.decode(damaged, count: damaged.count, into: &picture)
        }
        #expect(try decoder.decode(encoded.frames[11].data, count: encoded.frames[11].size, into: &picture))
        #expect(psnr(picture, clip640x360[11], count: picture.lumaCount) >= 30)
    }

    @Test("A truncated keyframe is reported, not decoded", arguments: VideoCodecKind.allCases)
    func truncatedKeyframe(codec: VideoCodecKind) throws {
        let encoded = try encode([clip640x360[0]], VideoEncoderConfiguration(codec: codec, width: 640, height: 360))
        let keyframe = encoded.frames[0]
        let isKey = keyframe.isKeyframe
        #expect(isKey)
        let decoder = try VideoDecoder(codec: codec)
        var picture = VideoFrame(width: 0, height: 0)
        do {
            let got = try decoder.decode(keyframe.data, count: keyframe.size / 2, into: &picture)
            Issue.record("truncated keyframe decoded without error (picture: \(got))")
        } catch {
            #expect(isCorruptFrame(error), "\(error)")
        }
        // The full keyframe still decodes afterwards.
        let fresh = try VideoDecoder(codec: codec)
        #expect(try fresh.decode(keyframe.data, count: keyframe.size, into: &picture))
        #expect(picture.width == 640 && picture.height == 360)
    }

    @Test("An inter frame before any keyframe is an error", arguments: VideoCodecKind.allCases)
    func interFrameFirst(codec: VideoCodecKind) throws {
        let encoded = try encode(Array(clip640x360.prefix(3)), VideoEncoderConfiguration(codec: codec, width: 640, height: 360))
        let secondIsKey = encoded.frames[1].isKeyframe
        #expect(!secondIsKey)
        let decoder = try VideoDecoder(codec: codec)
        var picture = VideoFrame(width: 0, height: 0)
        do {
            let got = try decoder.decode(encoded.frames[1].data, count: encoded.frames[1].size, into: &picture)
            Issue.record("inter frame without a keyframe decoded (picture: \(got))")
        } catch {
            #expect(isCorruptFrame(error), "\(error)")
        }
        #expect(decoder.framesDecoded == 0)
        // Once the keyframe arrives, the stream decodes.
        #expect(try decoder.decode(encoded.frames[0].data, count: encoded.frames[0].size, into: &picture))
        #expect(try decoder.decode(encoded.frames[1].data, count: encoded.frames[1].size, into: &picture))
    }

    @Test("Raw-buffer decode and resize on a size change", arguments: VideoCodecKind.allCases)
    func rawBufferAndResize(codec: VideoCodecKind) throws {
        let small = makeClip(width: 160, height: 90, frames: 1)
        let first = try encode(small, VideoEncoderConfiguration(codec: codec, width: 160, height: 90, bitrateKbps: 300))
        let second = try encode([clip640x360[0]], VideoEncoderConfiguration(codec: codec, width: 640, height: 360))
        let decoder = try VideoDecoder(codec: codec)
        var picture = VideoFrame(width: 640, height: 360)
        let got = try first.frames[0].data.withUnsafeBytes { bytes in
            try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<first.frames[0].size]), into: &picture)
        }
        #expect(got)
        #expect(picture.width == 160 && picture.height == 90 && picture.data.count == picture.byteCount)
        #expect(psnr(picture, small[0]) >= 30)
        #expect(try decoder.decode(second.frames[0].data, count: second.frames[0].size, into: &picture))
        #expect(picture.width == 640 && picture.height == 360)
        #expect(decoder.framesDecoded == 2)
    }

    // MARK: - Bare calls

    @Test("Bare C path produces the same bytes as the wrappers", arguments: VideoCodecKind.allCases)
    func bareCallsMatchWrapper(codec: VideoCodecKind) throws {
        let frames = Array(clip640x360.prefix(10))
        let cpuUsed = VideoEncoderConfiguration.defaultCPUUsed(for: codec)
        let bare = try VideoCodecBareCalls.bareEncodeDecode(
            codec: codec, frames: frames, bitrateKbps: 800, cpuUsed: cpuUsed, threads: 1)
        let wrapped = try encode(
            frames, VideoEncoderConfiguration(codec: codec, width: 640, height: 360, bitrateKbps: 800, cpuUsed: cpuUsed))
        #expect(bare.bytes == wrapped.totalBytes)
        #expect(bare.encodeSeconds > 0 && bare.decodeSeconds > 0)
        #expect(bare.decodeSeconds < bare.encodeSeconds * 10)
    }
}
