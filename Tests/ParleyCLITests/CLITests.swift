import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleyMedia
import ParleyTestSupport
import Testing

// MARK: - Byte-level builders for the bad (and small good) inputs

/// Hand-made media files, written byte by byte so each defect is exactly the one named.
enum MediaBytes {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }

    /// A RIFF/WAVE file with a 16-byte fmt chunk. `dataSize` defaults to `data.count`.
    static func wav(tag: Int = 1, channels: Int = 1, rate: Int = 48000, bits: Int = 16,
                    dataSize: UInt32? = nil, data: [UInt8] = []) -> [UInt8] {
        let blockAlign = channels * bits / 8
        let fmt = le16(tag) + le16(channels) + le32(UInt32(rate)) + le32(UInt32(rate * blockAlign))
            + le16(blockAlign) + le16(bits)
        var body: [UInt8] = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(UInt32(fmt.count)) + fmt
        body += Array("data".utf8) + le32(dataSize ?? UInt32(data.count)) + data
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    /// 16-bit PCM mono samples of a 440 Hz tone with a slow amplitude wobble.
    static func tone(rate: Int, seconds: Double) -> [UInt8] {
        let frames = Int(Double(rate) * seconds)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames * 2)
        for i in 0..<frames {
            let t = Double(i) / Double(rate)
            let value = 0.4 * sin(2 * .pi * 440 * t) * (0.6 + 0.4 * sin(2 * .pi * 3 * t))
            bytes += le16(Int(Int16(value * 32767)) & 0xFFFF)
        }
        return bytes
    }

    /// A Y4M stream header plus `frames` frames of `frameBytes` bytes each.
    static func y4m(width: Int, height: Int, colorSpace: String, frames: Int, frameBytes: Int) -> [UInt8] {
        var bytes = Array("YUV4MPEG2 W\(width) H\(height) F30:1 Ip A1:1 C\(colorSpace)\n".utf8)
        for f in 0..<frames {
            bytes += Array("FRAME\n".utf8)
            bytes += (0..<frameBytes).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ f &* 13) }
        }
        return bytes
    }

    /// A 32-byte IVF header with an arbitrary fourcc, then one small frame.
    static func ivf(fourcc: String, width: Int = 64, height: Int = 48, frames: Int = 1) -> [UInt8] {
        var bytes = Array("DKIF".utf8) + le16(0) + le16(32) + Array(fourcc.utf8)
        bytes += le16(width) + le16(height) + le32(30) + le32(1) + le32(UInt32(frames)) + le32(0)
        for f in 0..<frames {
            let payload: [UInt8] = [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x00, 0x30, 0x00]
            bytes += le32(UInt32(payload.count)) + le32(UInt32(f)) + le32(0) + payload
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try Data(bytes).write(to: url)
    }
}

// MARK: - Helpers

private func fileExists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

/// Runs `parley loopback <arguments> --out <dir>/out` for an input that must be refused
/// before any output is created, and checks the error's shape.
private func expectRefused(
    _ arguments: [String], in scratch: URL, mentions words: [String], naming path: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let out = scratch.appendingPathComponent("out")
    let result = try ParleyExecutable.run(["loopback"] + arguments + ["--out", out.path])
    #expect(result.status != 0, "exit status should be non-zero; stderr: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("parley: error: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
    let lowered = result.stderr.lowercased()
    for word in words {
        #expect(lowered.contains(word.lowercased()), "stderr should mention \"\(word)\": \(result.stderr)",
                sourceLocation: sourceLocation)
    }
    if let path {
        #expect(result.stderr.contains(path), "stderr should name \(path): \(result.stderr)", sourceLocation: sourceLocation)
    }
    #expect(result.stdout.isEmpty, "nothing on stdout for a refused run: \(result.stdout)", sourceLocation: sourceLocation)
    // Refused at open time: not even the output directory is created.
    #expect(!fileExists(out), "the output directory should not be created: \(out.path)", sourceLocation: sourceLocation)
    for name in ["report.json", "received.wav", "received.y4m", "sent.ivf"] {
        #expect(!fileExists(out.appendingPathComponent(name)), "\(name) should not exist", sourceLocation: sourceLocation)
    }
}

/// A valid half-second 48 kHz mono WAV in `scratch`.
private func goodWAV(in scratch: URL, seconds: Double = 0.5, rate: Int = 48000) throws -> URL {
    let url = scratch.appendingPathComponent("good.wav")
    try MediaBytes.write(MediaBytes.wav(rate: rate, data: MediaBytes.tone(rate: rate, seconds: seconds)), to: url)
    return url
}

/// A valid two-frame 32x32 I420 Y4M in `scratch`.
private func goodY4M(in scratch: URL) throws -> URL {
    let url = scratch.appendingPathComponent("good.y4m")
    try MediaBytes.write(MediaBytes.y4m(width: 32, height: 32, colorSpace: "420jpeg", frames: 2,
                                        frameBytes: VideoFrame.byteCount(width: 32, height: 32)), to: url)
    return url
}

private func decodeReport(_ data: Data) throws -> LoopbackReport {
    try JSONDecoder().decode(LoopbackReport.self, from: data)
}

/// A deterministic moving picture for the synthetic IVF.
private func syntheticFrame(width: Int, height: Int, index: Int) -> VideoFrame {
    var frame = VideoFrame(width: width, height: height, timestamp: Int64(index))
    for y in 0..<height {
        for x in 0..<width {
            let square = (x - 3 * index) / 16 % 2 == (y / 16) % 2
            frame.data[y * width + x] = UInt8(truncatingIfNeeded: 40 + x + y / 2 + (square ? 60 : 0))
        }
    }
    for i in frame.uOffset..<frame.byteCount { frame.data[i] = UInt8(truncatingIfNeeded: 110 + (i % 23)) }
    return frame
}

// MARK: - Bad inputs: refused at open time, nothing written

@Suite("parley loopback refuses bad input")
struct CLIBadInputTests {
    @Test func missingAudioFile() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let missing = scratch.appendingPathComponent("does-not-exist.wav").path
        try expectRefused(["--audio", missing], in: scratch, mentions: ["no such file"], naming: missing)
    }

    @Test func textFileAsAudio() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("notes.wav")
        try Data("These are meeting notes, not audio.\nSecond line.\n".utf8).write(to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["not a WAV"], naming: url.path)
    }

    @Test func truncatedWAV() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("cut.wav")
        // The header promises 2 s of 48 kHz mono 16-bit audio; the data chunk is empty.
        try MediaBytes.write(MediaBytes.wav(rate: 48000, dataSize: 2 * 48000 * 2, data: []), to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["truncated"], naming: url.path)
    }

    @Test func wavCutShortMidData() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("half.wav")
        // The header promises 2 s; the file holds 1 s.
        try MediaBytes.write(MediaBytes.wav(rate: 48000, dataSize: 2 * 48000 * 2, data: MediaBytes.tone(rate: 48000, seconds: 1)), to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["truncated", "2.00 s", "1.00 s", "--accept-truncated"], naming: url.path)

        // With --accept-truncated the second that is there goes through.
        let out = scratch.appendingPathComponent("accepted")
        let result = try ParleyExecutable.run(["loopback", "--audio", url.path, "--accept-truncated", "--out", out.path, "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try decodeReport(Data(result.stdout.utf8))
        #expect(report.audio?.framesEncoded == 50)
    }

    @Test func y4mIn444() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("full-chroma.y4m")
        try MediaBytes.write(MediaBytes.y4m(width: 16, height: 16, colorSpace: "444", frames: 2, frameBytes: 16 * 16 * 3), to: url)
        try expectRefused(["--video", url.path], in: scratch, mentions: ["4:4:4", "C444"], naming: url.path)
    }

    @Test func ivfWithUnknownFourcc() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("mystery.ivf")
        try MediaBytes.write(MediaBytes.ivf(fourcc: "XXXX"), to: url)
        try expectRefused(["--video", url.path], in: scratch, mentions: ["XXXX", "fourcc"], naming: url.path)
    }

    @Test func emptyFileAsAudio() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("empty.wav")
        try Data().write(to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["empty"], naming: url.path)
    }

    @Test func emptyFileAsVideo() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("empty.y4m")
        try Data().write(to: url)
        try expectRefused(["--video", url.path], in: scratch, mentions: ["empty"], naming: url.path)
    }

    @Test func textFileAsVideo() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("notes.ivf")
        try Data("not a video at all\n".utf8).write(to: url)
        try expectRefused(["--video", url.path], in: scratch, mentions: ["not a Y4M"], naming: url.path)
    }

    @Test func wavWithSampleRateZero() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("rate0.wav")
        try MediaBytes.write(MediaBytes.wav(rate: 0, data: [UInt8](repeating: 0, count: 960)), to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["sample rate 0"], naming: url.path)
    }

    @Test(arguments: [("1k", "1000"), ("900k", "900000")])
    func audioBitrateOutOfOpusRange(_ value: String, _ bitsPerSecond: String) throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path, "--audio-bitrate", value], in: scratch,
                          mentions: ["bitrate", bitsPerSecond, "6000...510000"])
    }

    @Test func videoBitrateZero() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let y4m = try goodY4M(in: scratch)
        try expectRefused(["--video", y4m.path, "--video-bitrate", "0"], in: scratch,
                          mentions: ["--video-bitrate", "0 bit/s", "10...100000"])
    }

    @Test func videoBitrateZeroWithAudioOnly() throws {
        // An option out of range is an error even when no video is given.
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path, "--video-bitrate", "0"], in: scratch, mentions: ["--video-bitrate"])
    }

    @Test(arguments: [
        (["--cpu-used", "99"], "--cpu-used"),
        (["--video-codec", "vp9", "--cpu-used=-12"], "--cpu-used"),  // fine for VP8 (-16...16), not for VP9
        (["--threads", "0"], "--threads"),
        (["--keyframe-interval=-1"], "--keyframe-interval"),
    ])
    func videoSettingOutOfRangeWithAudioOnly(_ setting: [String], _ option: String) throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path] + setting, in: scratch, mentions: [option, "is not valid"])
    }

    @Test func outputPathIsAFile() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        let blocker = scratch.appendingPathComponent("out")
        try Data("I am a file".utf8).write(to: blocker)
        let result = try ParleyExecutable.run(["loopback", "--audio", wav.path, "--out", blocker.path])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("parley: error: \(blocker.path): cannot create"), "stderr: \(result.stderr)")
        #expect(try String(contentsOf: blocker, encoding: .utf8) == "I am a file", "the file in the way is left alone")
    }

    @Test func eightBitWAV() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let url = scratch.appendingPathComponent("8bit.wav")
        try MediaBytes.write(MediaBytes.wav(bits: 8, data: [UInt8](repeating: 0x80, count: 4800)), to: url)
        try expectRefused(["--audio", url.path], in: scratch, mentions: ["unsupported WAV", "8-bit"], naming: url.path)
    }

    @Test func unknownVideoCodec() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let y4m = try goodY4M(in: scratch)
        try expectRefused(["--video", y4m.path, "--video-codec", "h264"], in: scratch,
                          mentions: ["--video-codec", "h264", "vp8", "vp9"])
    }

    @Test func unsupportedOpusSampleRate() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path, "--sample-rate", "44100"], in: scratch,
                          mentions: ["sample rate", "44100", "48000"])
    }

    @Test func unknownOption() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path, "--frobnicate", "3"], in: scratch, mentions: ["--frobnicate"])
    }

    @Test func unparsableBitrate() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch)
        try expectRefused(["--audio", wav.path, "--audio-bitrate", "fast"], in: scratch, mentions: ["--audio-bitrate", "fast"])
    }
}

// MARK: - Help, version, a good run

@Suite("parley command line")
struct CLICommandTests {
    @Test func executableIsFound() throws {
        let url = try ParleyExecutable.url()
        #expect(url.lastPathComponent == "parley")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }

    @Test func loopbackHelpListsTheOptions() throws {
        let result = try ParleyExecutable.run(["loopback", "--help"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for option in ["--audio", "--video", "--out", "--json", "--audio-bitrate", "--video-codec"] {
            #expect(result.stdout.contains(option), "help should list \(option): \(result.stdout)")
        }
        #expect(!result.stderr.contains("parley: error:"))
    }

    @Test func versionListsTheEightLibraries() throws {
        let result = try ParleyExecutable.run(["version"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.hasPrefix("parley \(FileLoopback.parleyVersion)"))
        let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for library in ["libopus", "libvpx", "libsrtp2", "libsodium", "libqrencode", "libnice", "alsa-lib", "speexdsp"] {
            let line = lines.first { $0.hasPrefix(library + " ") }
            #expect(line != nil, "no line for \(library): \(result.stdout)")
            if let line {
                let version = line.dropFirst(library.count).trimmingCharacters(in: .whitespaces)
                #expect(!version.isEmpty, "\(library) has no version")
                #expect(version.rangeOfCharacter(from: .decimalDigits) != nil || library == "speexdsp",
                        "\(library) version has no number: \(version)")
            }
        }
        #expect(!result.stdout.contains("FAILED"), "\(result.stdout)")
    }

    @Test func versionJSONDecodes() throws {
        let result = try ParleyExecutable.run(["version", "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let libraries = object?["libraries"] as? [String: String]
        #expect(libraries?.count == 8, "\(result.stdout)")
        #expect(object?["parley"] as? String == FileLoopback.parleyVersion)
    }

    @Test func jsonRunOnAShortWAV() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch, seconds: 0.5)
        let out = scratch.appendingPathComponent("out")
        let result = try ParleyExecutable.run(["loopback", "--audio", wav.path, "--out", out.path, "--json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(!result.stderr.contains("parley: error:"))
        let report = try decodeReport(Data(result.stdout.utf8))
        #expect(report.completed)
        #expect(report.error == nil)
        #expect(report.inputs.audio == wav.path)
        #expect(report.video == nil)
        let audio = try #require(report.audio)
        // 0.5 s at 48 kHz in 20 ms frames.
        #expect(audio.framesEncoded == 25)
        #expect(audio.framesDecoded == 25)
        #expect(audio.sampleRate == 48000)
        // The report on disk is the one printed.
        let onDisk = try decodeReport(Data(contentsOf: out.appendingPathComponent("report.json")))
        #expect(onDisk.completed)
        #expect(onDisk.audio?.framesEncoded == audio.framesEncoded)
        let received = try WAVReader(path: out.appendingPathComponent("received.wav").path)
        #expect(received.info.frameCount == 25 * 960)
        #expect(!fileExists(out.appendingPathComponent("received.y4m")))
    }

    @Test func summaryRunWithoutJSON() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let wav = try goodWAV(in: scratch, seconds: 0.3)
        let out = scratch.appendingPathComponent("out")
        let result = try ParleyExecutable.run(["loopback", "--audio", wav.path, "--out", out.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("completed"))
        #expect(result.stdout.contains(out.appendingPathComponent("report.json").path))
        #expect(fileExists(out.appendingPathComponent("report.json")))
    }

    @Test func defaultFixturesAreFound() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let out = scratch.appendingPathComponent("out")
        // Run from an unrelated directory so the fixtures are not found by accident through the cwd.
        let result = try ParleyExecutable.run(["loopback", "--out", out.path, "--json", "--duration", "0.3"],
                                              environment: ["PARLEY_FIXTURES": ""], currentDirectory: scratch)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let report = try decodeReport(Data(result.stdout.utf8))
        #expect(report.completed)
        #expect(report.inputs.audio?.hasSuffix("Fixtures/speech-48k-mono.wav") == true)
        #expect(report.inputs.video?.hasSuffix("Fixtures/motion-640x360.ivf") == true)
        #expect(report.video?.width == 640)
        #expect(report.video?.height == 360)
        for name in ["received.wav", "received.y4m", "sent.ivf", "report.json"] {
            #expect(fileExists(out.appendingPathComponent(name)), "\(name) missing")
        }
    }
}

// MARK: - An error part-way keeps what was written

@Suite("parley loopback stopped part-way")
struct CLIMidRunErrorTests {
    static let goodFrames = 10
    static let width = 160
    static let height = 96

    /// An IVF of `goodFrames` real VP8 frames followed by a frame libvpx rejects.
    static func makeDamagedIVF(at url: URL) throws {
        let encoder = try VideoEncoder(configuration: VideoEncoderConfiguration(
            codec: .vp8, width: width, height: height, bitrateKbps: 300))
        let writer = try IVFWriter(path: url.path, codec: .vp8, width: width, height: height,
                                   timebaseNumerator: 1, timebaseDenominator: 30)
        var packet = EncodedVideoFrame(capacity: 1 << 16)
        for i in 0..<goodFrames {
            let produced = try encoder.encode(syntheticFrame(width: width, height: height, index: i), pts: Int64(i), into: &packet)
            #expect(produced, "the test encoder dropped frame \(i)")
            try writer.write(packet.data, count: packet.size, pts: Int64(i))
        }
        // A "keyframe" (bit 0 clear) without the 9d 01 2a start code: not VP8.
        let garbage: [UInt8] = [0x00, 0x00, 0x00, 0xDE, 0xAD, 0xBE, 0xEF] + [UInt8](repeating: 0x5A, count: 57)
        try writer.write(garbage, pts: Int64(goodFrames))
        try writer.close()
    }

    @Test func damagedIVFKeepsTheGoodFramesAndAReport() throws {
        let scratch = try Fixtures.scratchDirectory("parley-cli")
        let input = scratch.appendingPathComponent("damaged.ivf")
        try Self.makeDamagedIVF(at: input)
        let out = scratch.appendingPathComponent("out")
        let result = try ParleyExecutable.run(["loopback", "--video", input.path, "--out", out.path, "--json"])

        #expect(result.status != 0)
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("parley: error: ") }
        #expect(errorLines.count == 1, "stderr: \(result.stderr)")
        let errorLine = String(errorLines.first ?? "")
        #expect(errorLine.contains(input.path), "the error should name the input: \(errorLine)")
        #expect(errorLine.contains("frame \(Self.goodFrames)"), "the error should name the bad frame: \(errorLine)")
        #expect(result.stdout.isEmpty, "a failed run prints no report on stdout")

        // The decoded video so far is a valid Y4M with exactly the good frames.
        let y4m = try Y4MReader(path: out.appendingPathComponent("received.y4m").path)
        #expect(y4m.header.width == Self.width)
        #expect(y4m.header.height == Self.height)
        var frame = VideoFrame(width: Self.width, height: Self.height)
        var count = 0
        while try y4m.read(into: &frame) { count += 1 }
        #expect(count == Self.goodFrames)

        // The encoded stream so far is a valid IVF whose header counts its frames.
        let ivf = try IVFReader(path: out.appendingPathComponent("sent.ivf").path)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var packets = 0
        while try ivf.readFrame(into: &buffer) != nil { packets += 1 }
        #expect(packets == Self.goodFrames)
        #expect(ivf.header.frameCount == Self.goodFrames)

        // The report says the run stopped, and why.
        let report = try decodeReport(Data(contentsOf: out.appendingPathComponent("report.json")))
        #expect(report.completed == false)
        let message = try #require(report.error)
        #expect(message.contains(input.path))
        #expect(errorLine.contains(message), "stderr and the report should give the same error")
        #expect(report.video?.framesDecoded == Self.goodFrames)
        #expect(report.video?.frames.count == Self.goodFrames)
        #expect(!fileExists(out.appendingPathComponent("received.wav")))
    }
}
