import Foundation
import ParleyCore
import ParleyMedia
import ParleyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `parley loopback` killed with SIGKILL part-way must leave outputs that open and play:
/// the WAV and IVF headers are kept valid as the writers go, Y4M frames are written whole.
@Suite("parley loopback killed mid-run")
struct KilledRunTests {
    @Test func outputsOfAKilledRunStayPlayable() throws {
        let scratch = try Fixtures.scratchDirectory("parley-kill")
        // Long inputs so that the run is surely still going when it is killed:
        // 300 s of audio, 60 s of 160x96 video.
        let audio = scratch.appendingPathComponent("long.wav")
        let wav = try WAVWriter(path: audio.path, format: AudioFormat(sampleRate: 48000, channels: 1))
        var second = [Float](repeating: 0, count: 48000)
        for i in 0..<second.count { second[i] = Float(0.3 * sin(2 * Double.pi * 330 * Double(i) / 48000)) }
        for _ in 0..<300 { try wav.write(second) }
        try wav.close()
        let video = scratch.appendingPathComponent("long.y4m")
        let y4m = try Y4MWriter(path: video.path, width: 160, height: 96)
        var frame = VideoFrame(width: 160, height: 96)
        for i in 0..<1800 {
            frame.data[i % frame.lumaCount] = UInt8(truncatingIfNeeded: i)
            try y4m.write(frame)
        }
        try y4m.close()

        let out = scratch.appendingPathComponent("out")
        let process = Process()
        process.executableURL = try ParleyExecutable.url()
        process.arguments = ["loopback", "--audio", audio.path, "--video", video.path, "--out", out.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait until both outputs have real content, then kill without warning.
        let received = out.appendingPathComponent("received.wav")
        let receivedVideo = out.appendingPathComponent("received.y4m")
        let deadline = Date().addingTimeInterval(60)
        func size(_ url: URL) -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0
        }
        while process.isRunning, Date() < deadline, size(received) < 200_000 || size(receivedVideo) < 200_000 {
            usleep(20_000)
        }
        #expect(process.isRunning, "the run ended before it could be killed; make the inputs longer")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        // The WAV: a header that matches its data (no more declared than present).
        let reader = try WAVReader(path: received.path)
        #expect(reader.info.frameCount >= 48000, "at least a second of audio was written")
        // A real size in the header (not the 0 it starts with), updated as the writer went.
        let declared = try #require(reader.info.declaredFrameCount, "the header still has no data size")
        #expect(declared >= 48000)
        #expect(!reader.info.isTruncated, "header declares \(reader.info.declaredFrameCount ?? -1) frames, file holds \(reader.info.frameCount)")
        #expect(reader.info.format == AudioFormat(sampleRate: 48000, channels: 1))

        // The Y4M: whole frames, except at most the very last one. Each frame goes out in one
        // writev(2), but SIGKILL can stop a write between pages (measured once: frame 86 had
        // 16844 of its 23040 bytes); the frames before it are whole and a reader (a player)
        // stops at the cut.
        let frames = try Y4MReader(path: receivedVideo.path)
        var picture = VideoFrame(width: 160, height: 96)
        var count = 0
        var cutTail = false
        do {
            while try frames.read(into: &picture) { count += 1 }
        } catch {
            guard case MediaError.truncated = error else { throw error }
            cutTail = true
        }
        #expect(count > 0, "no whole frame before \(cutTail ? "the cut" : "the end")")

        // The IVF: every frame the header counts is there and readable.
        let ivf = try IVFReader(path: out.appendingPathComponent("sent.ivf").path)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var packets = 0
        while try ivf.readFrame(into: &buffer) != nil { packets += 1 }
        #expect(ivf.header.frameCount > 0)
        #expect(packets >= ivf.header.frameCount && packets <= ivf.header.frameCount + 1)
        // The run never finished, so it wrote no report.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("report.json").path))
    }
}
