import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleyMedia
import ParleyTestSupport
import Testing

/// One loopback run and where it wrote.
struct LoopbackRun: Sendable {
    var report: LoopbackReport
    var directory: URL
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

private func runLoopback(audio: String?, video: String?, codec: VideoCodecKind = .vp8, kbps: Int = 800,
                         seconds: Double?, opus: OpusConfiguration = OpusConfiguration()) throws -> LoopbackRun {
    let directory = try Fixtures.scratchDirectory("parley-loopback").appendingPathComponent("out")
    let options = LoopbackOptions(audioPath: audio, videoPath: video, outputDirectory: directory.path, opus: opus,
                                  videoCodec: codec, videoBitrateKbps: kbps, maximumSeconds: seconds)
    let report = try FileLoopback(options: options).run()
    return LoopbackRun(report: report, directory: directory)
}

private let speech = Fixtures.path("speech-48k-mono.wav")
private let motion = Fixtures.path("motion-640x360.ivf")

/// The default fixtures through VP8 at 800 kbps, run once and shared by the tests below.
private let vp8Run = Result { try runLoopback(audio: speech, video: motion, codec: .vp8, seconds: 1.5) }
/// The video fixture through VP9 at 800 kbps.
private let vp9Run = Result { try runLoopback(audio: nil, video: motion, codec: .vp9, seconds: 1.0) }

/// All frames of a Y4M file.
private func readY4M(_ path: String) throws -> (header: Y4MHeader, frames: [VideoFrame]) {
    let reader = try Y4MReader(path: path)
    var frames: [VideoFrame] = []
    var frame = VideoFrame(width: reader.header.width, height: reader.header.height)
    while try reader.read(into: &frame) { frames.append(frame) }
    return (reader.header, frames)
}

/// Every picture of an IVF decoded with a fresh VideoDecoder.
private func decodeIVF(_ path: String) throws -> (header: IVFHeader, packets: Int, frames: [VideoFrame]) {
    let reader = try IVFReader(path: path)
    let decoder = try VideoDecoder(codec: reader.header.codec)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    var frame = VideoFrame(width: reader.header.width, height: reader.header.height)
    var frames: [VideoFrame] = []
    var packets = 0
    while let (size, _) = try reader.readFrame(into: &buffer) {
        packets += 1
        if try decoder.decode(buffer, count: size, into: &frame) { frames.append(frame) }
    }
    return (reader.header, packets, frames)
}

@Suite("FileLoopback with the bundled fixtures")
struct FileLoopbackFixtureTests {
    @Test func audioIsAlignedAndCorrelated() throws {
        let run = try vp8Run.get()
        let audio = try #require(run.report.audio)
        // Opus's lookahead is 6.5 ms at 48 kHz; the measured delay must be near it, not anywhere.
        #expect(audio.alignment.delayMilliseconds >= 0)
        #expect(audio.alignment.delayMilliseconds <= 20, "delay \(audio.alignment.delayMilliseconds) ms")
        #expect(audio.alignment.correlation > 0.8, "correlation \(audio.alignment.correlation)")
        #expect(abs(audio.codecDelayMilliseconds - 6.5) < 0.01)
    }

    @Test func audioFramesAllDecodedAndWritten() throws {
        let run = try vp8Run.get()
        let audio = try #require(run.report.audio)
        // 1.5 s of 20 ms frames.
        #expect(audio.framesEncoded == 75)
        #expect(audio.framesDecoded == audio.framesEncoded)
        #expect(audio.sourceSampleRate == 48000)
        #expect(audio.sampleRate == 48000)
        #expect(audio.bytesSent > 0)
        #expect(audio.bitrate > 16_000 && audio.bitrate < 64_000, "bitrate \(audio.bitrate) for a 32k target")
        let received = try WAVReader(path: run.path("received.wav"))
        #expect(received.info.format == AudioFormat(sampleRate: 48000, channels: 1))
        #expect(received.info.frameCount == audio.framesDecoded * 960)
    }

    @Test func vp8VideoQuality() throws {
        let run = try vp8Run.get()
        let video = try #require(run.report.video)
        #expect(video.codec == "VP8")
        #expect(video.source == "ivf")
        #expect(video.width == 640)
        #expect(video.height == 360)
        #expect(video.framesEncoded > 0)
        #expect(Double(video.framesEncoded) == (1.5 * video.frameRate).rounded(.up))
        #expect(video.framesDecoded == video.framesEncoded)
        #expect(video.keyFramesEncoded >= 1)
        #expect(video.psnrY.mean >= 32, "VP8 mean PSNR-Y \(video.psnrY.mean) dB")
        #expect(video.psnrY.min > 25, "VP8 worst PSNR-Y \(video.psnrY.min) dB")
        #expect(video.psnrY.mean < 100, "identical frames would mean nothing was encoded")
        #expect(video.ssim.mean > 0.85)
    }

    @Test func vp9VideoQuality() throws {
        let run = try vp9Run.get()
        let video = try #require(run.report.video)
        #expect(run.report.audio == nil)
        #expect(video.codec == "VP9")
        #expect(video.width == 640 && video.height == 360)
        #expect(video.framesDecoded == video.framesEncoded)
        #expect(video.framesEncoded > 0)
        #expect(video.psnrY.mean >= 32, "VP9 mean PSNR-Y \(video.psnrY.mean) dB")
        #expect(video.psnrY.mean < 100)
        let header = try IVFReader(path: run.path("sent.ivf")).header
        #expect(header.codec == .vp9)
    }

    @Test func perFrameStatsMatchTheFramesDecoded() throws {
        let run = try vp8Run.get()
        let video = try #require(run.report.video)
        #expect(video.frames.count == video.framesDecoded)
        #expect(video.frames.map(\.index) == Array(0..<video.framesDecoded))
        #expect(video.frames.first?.keyframe == true)
        #expect(video.frames.reduce(0) { $0 + $1.bytes } == video.bytesSent)
        #expect(video.frames.filter(\.keyframe).count == video.keyFramesEncoded)
        let meanFromFrames = video.frames.map(\.psnrY).reduce(0, +) / Double(video.frames.count)
        #expect(abs(meanFromFrames - video.psnrY.mean) < 1e-6)
    }

    @Test func reportJSONDecodesBack() throws {
        let run = try vp8Run.get()
        let data = try Data(contentsOf: URL(fileURLWithPath: run.path("report.json")))
        let decoded = try JSONDecoder().decode(LoopbackReport.self, from: data)
        #expect(decoded.completed)
        #expect(decoded.error == nil)
        #expect(decoded.kind == "loopback")
        #expect(decoded.inputs.audio == speech)
        #expect(decoded.inputs.video == motion)
        #expect(decoded.outputs.audio == run.path("received.wav"))
        #expect(decoded.outputs.video == run.path("received.y4m"))
        #expect(decoded.outputs.encodedVideo == run.path("sent.ivf"))
        #expect(decoded.outputs.report == run.path("report.json"))
        #expect(decoded.audio?.framesEncoded == run.report.audio?.framesEncoded)
        #expect(decoded.audio?.alignment == run.report.audio?.alignment)
        #expect(decoded.video?.framesDecoded == run.report.video?.framesDecoded)
        #expect(decoded.video?.psnrY == run.report.video?.psnrY)
        #expect(decoded.video?.frames.count == run.report.video?.frames.count)
        // The JSON uses the documented key names.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let video = try #require(object["video"] as? [String: Any])
        #expect(video["framesDecoded"] as? Int == run.report.video?.framesDecoded)
    }

    @Test func sentIVFHoldsEveryEncodedFrame() throws {
        let run = try vp8Run.get()
        let video = try #require(run.report.video)
        let (header, packets, _) = try decodeIVF(run.path("sent.ivf"))
        #expect(header.codec == .vp8)
        #expect(header.width == 640 && header.height == 360)
        #expect(packets == video.framesEncoded)
        #expect(header.frameCount == video.framesEncoded)
    }

    @Test func decodingSentIVFReproducesReceivedY4MExactly() throws {
        let run = try vp8Run.get()
        let received = try readY4M(run.path("received.y4m"))
        let (_, _, redecoded) = try decodeIVF(run.path("sent.ivf"))
        #expect(received.header.width == 640 && received.header.height == 360)
        #expect(received.frames.count == run.report.video?.framesDecoded)
        #expect(redecoded.count == received.frames.count)
        for (i, (a, b)) in zip(redecoded, received.frames).enumerated() {
            #expect(a.data.prefix(a.byteCount) == b.data.prefix(b.byteCount), "frame \(i) differs")
        }
        // And file to file: the re-decoded frames written as Y4M give the same bytes.
        let copy = try Fixtures.scratchDirectory("parley-loopback").appendingPathComponent("redecoded.y4m")
        let writer = try Y4MWriter(path: copy.path, width: received.header.width, height: received.header.height,
                                   frameRateNumerator: received.header.frameRateNumerator,
                                   frameRateDenominator: received.header.frameRateDenominator)
        for frame in redecoded { try writer.write(frame) }
        try writer.close()
        let original = try Data(contentsOf: URL(fileURLWithPath: run.path("received.y4m")))
        let again = try Data(contentsOf: copy)
        #expect(original.count == again.count)
        #expect(original == again, "received.y4m is not what decoding sent.ivf gives")
    }
}

@Suite("FileLoopback with generated inputs")
struct FileLoopbackInputTests {
    @Test func y4mInput() throws {
        // 20 frames of the fixture, decoded, written as Y4M.
        let scratch = try Fixtures.scratchDirectory("parley-loopback")
        let y4m = scratch.appendingPathComponent("clip.y4m")
        let reader = try IVFReader(path: motion)
        let decoder = try VideoDecoder(codec: reader.header.codec)
        let writer = try Y4MWriter(path: y4m.path, width: reader.header.width, height: reader.header.height,
                                   frameRateNumerator: reader.header.timebaseDenominator,
                                   frameRateDenominator: reader.header.timebaseNumerator)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var frame = VideoFrame(width: reader.header.width, height: reader.header.height)
        while writer.framesWritten < 20, let (size, _) = try reader.readFrame(into: &buffer) {
            if try decoder.decode(buffer, count: size, into: &frame) { try writer.write(frame) }
        }
        try writer.close()
        #expect(writer.framesWritten == 20)

        let run = try runLoopback(audio: nil, video: y4m.path, codec: .vp8, seconds: nil)
        let video = try #require(run.report.video)
        #expect(run.report.completed)
        #expect(video.source == "y4m")
        #expect(video.width == 640 && video.height == 360)
        #expect(video.framesEncoded == 20)
        #expect(video.framesDecoded == 20)
        #expect(video.psnrY.mean >= 32, "Y4M input mean PSNR-Y \(video.psnrY.mean) dB")
        let received = try readY4M(run.path("received.y4m"))
        #expect(received.header.width == 640 && received.header.height == 360)
        #expect(received.frames.count == 20)
    }

    @Test func stereo44100IsResampled() throws {
        let scratch = try Fixtures.scratchDirectory("parley-loopback")
        let wav = scratch.appendingPathComponent("stereo-44k.wav")
        let writer = try WAVWriter(path: wav.path, format: AudioFormat(sampleRate: 44100, channels: 2))
        // 1 s: a gliding tone, different in each channel, with a few onsets for the alignment.
        var samples = [Float](repeating: 0, count: 44100 * 2)
        var phase = 0.0
        for i in 0..<44100 {
            let t = Double(i) / 44100
            phase += 2 * .pi * (300 + 500 * t) / 44100
            let envelope = 0.3 + 0.3 * Double((i / 4410) % 2)
            samples[2 * i] = Float(envelope * sin(phase))
            samples[2 * i + 1] = Float(envelope * 0.5 * sin(phase * 1.5))
        }
        try writer.write(samples)
        try writer.close()

        let run = try runLoopback(audio: wav.path, video: nil, seconds: nil)
        let audio = try #require(run.report.audio)
        #expect(audio.sourceSampleRate == 44100)
        #expect(audio.sourceChannels == 2)
        #expect(audio.sampleRate == 48000)
        #expect(audio.channels == 1)
        // 1 s at 48 kHz is 50 frames of 20 ms; the resampler's tail may add one.
        #expect((50...51).contains(audio.framesEncoded), "\(audio.framesEncoded) frames")
        #expect(audio.framesDecoded == audio.framesEncoded)
        #expect(audio.alignment.correlation > 0.8, "correlation \(audio.alignment.correlation)")
        let received = try WAVReader(path: run.path("received.wav"))
        #expect(received.info.format == AudioFormat(sampleRate: 48000, channels: 1))
        #expect(received.info.frameCount == audio.framesDecoded * 960)
    }

    @Test func badInputCreatesNothing() throws {
        let scratch = try Fixtures.scratchDirectory("parley-loopback")
        let out = scratch.appendingPathComponent("out")
        let missing = scratch.appendingPathComponent("missing.wav").path
        let options = LoopbackOptions(audioPath: speech, videoPath: missing, outputDirectory: out.path)
        #expect(throws: MediaError.fileNotFound(path: missing)) { try FileLoopback(options: options) }
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(throws: EngineError.noInput) { try FileLoopback(options: LoopbackOptions(outputDirectory: out.path)) }
    }

    @Test func staleReportIsReplaced() throws {
        // A report left by an earlier run in the same directory must not survive a new one.
        let scratch = try Fixtures.scratchDirectory("parley-loopback")
        let out = scratch.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("{\"stale\": true}".utf8).write(to: out.appendingPathComponent("report.json"))
        let options = LoopbackOptions(audioPath: speech, outputDirectory: out.path, maximumSeconds: 0.2)
        let report = try FileLoopback(options: options).run()
        #expect(report.completed)
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let decoded = try JSONDecoder().decode(LoopbackReport.self, from: data)
        #expect(decoded.audio?.framesEncoded == 10)
    }
}

@Suite("FileLoopback stopped part-way")
struct FileLoopbackFailureTests {
    @Test func truncatedY4MKeepsTheFramesBeforeTheCut() throws {
        // 6 whole 64x48 frames, then a frame cut in half.
        let scratch = try Fixtures.scratchDirectory("parley-loopback")
        let y4m = scratch.appendingPathComponent("cut.y4m")
        let writer = try Y4MWriter(path: y4m.path, width: 64, height: 48)
        var frame = VideoFrame(width: 64, height: 48)
        for i in 0..<6 {
            for p in 0..<frame.byteCount { frame.data[p] = UInt8(truncatingIfNeeded: p / 64 + 5 * i) }
            try writer.write(frame)
        }
        try writer.close()
        let handle = try FileHandle(forWritingTo: y4m)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("FRAME\n".utf8) + Data(count: frame.byteCount / 2))
        try handle.close()

        let out = scratch.appendingPathComponent("out")
        let options = LoopbackOptions(videoPath: y4m.path, outputDirectory: out.path)
        var caught: LoopbackFailure?
        do {
            _ = try FileLoopback(options: options).run()
        } catch let failure as LoopbackFailure {
            caught = failure
        }
        let failure = try #require(caught, "a truncated input must stop the run with a LoopbackFailure")
        guard case MediaError.truncated(let path, _)? = failure.underlying as? MediaError else {
            Issue.record("expected MediaError.truncated, got \(failure.underlying)")
            return
        }
        #expect(path == y4m.path)
        #expect(failure.report.completed == false)
        #expect(failure.report.error == "\(failure.underlying)")
        #expect(failure.report.video?.framesDecoded == 6)

        let received = try readY4M(out.appendingPathComponent("received.y4m").path)
        #expect(received.frames.count == 6)
        let (_, packets, redecoded) = try decodeIVF(out.appendingPathComponent("sent.ivf").path)
        #expect(packets == 6)
        #expect(redecoded.map { $0.data.prefix($0.byteCount) } == received.frames.map { $0.data.prefix($0.byteCount) })
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try JSONDecoder().decode(LoopbackReport.self, from: data)
        #expect(report.completed == false)
        #expect(report.error?.contains("truncated") == true)
    }
}
