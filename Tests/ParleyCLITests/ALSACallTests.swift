import Foundation
import ParleyMedia
import ParleyMetrics
import ParleyTestSupport
import Testing

/// `parley call` with ALSA devices, on a machine without a sound card: an asoundrc (given
/// with --alsa-config) defines a capture device that reads a raw file (ALSA's `file`
/// plugin with an `infile`), a playback device that writes one, and one that fails.
@Suite("parley call with ALSA devices (file plugins)", .serialized)
struct ALSACallTests {
    struct Devices {
        let config: String
        let inPath: String
        let outPath: String

        /// `microphone`: what the capture device reads (48 kHz mono); nil: 8 s of a 440 Hz tone.
        init(_ root: URL, microphone: [Float]? = nil) throws {
            inPath = root.appendingPathComponent("in.raw").path
            outPath = root.appendingPathComponent("out.raw").path
            config = root.appendingPathComponent("asoundrc").path
            try """
            pcm.parley_in { type file; slave.pcm "null"; file "/dev/null"; infile "\(inPath)"; format "raw" }
            pcm.parley_out { type file; slave.pcm "null"; file "\(outPath)"; format "raw" }
            pcm.parley_full { type file; slave.pcm "null"; file "/dev/full"; format "raw" }

            """.write(toFile: config, atomically: true, encoding: .utf8)
            // The microphone, S16_LE, 48 kHz mono.
            let samples: [Float] = microphone ?? (0..<(48_000 * 8)).map { n -> Float in
                let phase = 2 * Double.pi * 440 * Double(n) / 48_000
                return Float(0.3 * sin(phase))
            }
            var bytes = [UInt8]()
            for x in samples {
                let v = UInt16(bitPattern: Int16(max(-32768, min(32767, (x * 32767).rounded()))))
                bytes += [UInt8(v & 0xFF), UInt8(v >> 8)]
            }
            try Data(bytes).write(to: URL(fileURLWithPath: inPath))
        }

        var options: [String] { ["--alsa-config", config, "--alsa-clock", "system"] }
    }

    static func rawRMS(_ path: String, seconds range: Range<Double>) throws -> (rms: Double, seconds: Double) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let samples = stride(from: 0, to: bytes.count - 1, by: 2).map { Double(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768 }
        let slice = samples[min(samples.count, Int(range.lowerBound * 48_000))..<min(samples.count, Int(range.upperBound * 48_000))]
        let rms = slice.isEmpty ? 0 : (slice.reduce(0) { $0 + $1 * $1 } / Double(slice.count)).squareRoot()
        return (rms, Double(samples.count) / 48_000)
    }

    @Test("the microphone and the speaker are ALSA devices: Bob hears what Alice's device captured, Alice's device plays Bob")
    func captureAndPlay() async throws {
        let (cli, relay, alice, bob, bobID) = try CallCommandTests.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }
        let devices = try Devices(cli.root)
        let talk = try cli.talkWAV()
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let common = ["--duration", "3", "--local-address", "127.0.0.1"]
        let listener = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--audio", talk, "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await cli.parleyAsync(["call", bobID, "--audio", "alsa:parley_in", "--play", "alsa:parley_out",
                                              "--audio-processing", "off", "--out", cli.root.appendingPathComponent("alice-out").path]
                                             + devices.options + common, alice)
        let listen = try await listener.wait()
        #expect(call.status == 0, "\(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "\(listen.stdout)\(listen.stderr)")
        // Bob received the tone Alice's ALSA device captured, all along.
        let heard = try CallCommandTests.rms((bobOut as NSString).appendingPathComponent("received.wav"), from: 0.5, to: 2.7)
        #expect(heard > 0.1, "Bob heard RMS \(heard)")
        // Alice's ALSA device played Bob's tone (2 s long), then his silence.
        let played = try Self.rawRMS(devices.outPath, seconds: 0.5..<1.8)
        #expect(played.rms > 0.05, "played RMS \(played.rms)")
        #expect(abs(played.seconds - 3) < 0.7, "the device played \(played.seconds) s")
    }

    @Test("a speaker that fails mid-call: the call goes on without it and says so; speech through echo cancellation and noise suppression")
    func lostSpeaker() async throws {
        let (cli, relay, alice, bob, bobID) = try CallCommandTests.contacts()
        defer { withExtendedLifetime(relay) { cli.remove() } }
        // Speech, not a tone: noise suppression rightly takes a steady tone for noise.
        let reader = try WAVReader(path: Fixtures.path("speech-48k-mono.wav"))
        var speech = [Float](repeating: 0, count: reader.info.frameCount)
        _ = try reader.read(into: &speech, frames: reader.info.frameCount)
        let devices = try Devices(cli.root, microphone: speech)
        let talk = try cli.talkWAV()
        let aliceOut = cli.root.appendingPathComponent("alice-out").path
        let bobOut = cli.root.appendingPathComponent("bob-out").path
        let common = ["--duration", "3", "--local-address", "127.0.0.1"]
        let listener = CallCommandTests.Background(["listen", "--auto-answer", "--once", "--audio", talk, "--out", bobOut] + common, bob)
        try await Task.sleep(for: .milliseconds(500))
        let call = try await cli.parleyAsync(["call", bobID, "--audio", "alsa:parley_in", "--play", "alsa:parley_full",
                                              "--audio-processing", "on", "--out", aliceOut] + devices.options + common, alice)
        let listen = try await listener.wait()
        #expect(call.status == 0, "\(call.stdout)\(call.stderr)")
        #expect(listen.status == 0, "\(listen.stdout)\(listen.stderr)")
        #expect(call.stdout.contains("Note: the speaker alsa:parley_full was lost"), "\(call.stdout)")
        let report = try CallCommandTests.report(aliceOut)
        #expect((report["notices"] as? [String] ?? []).count == 1, "\(report["notices"] ?? "-")")
        #expect((report["packetsReceived"] as? Int ?? 0) >= 140, "\(report["packetsReceived"] ?? "-")")
        // Alice's processed speech still reached Bob (the levels of each stage are the unit
        // tests' business; the first second is the processing converging).
        let heard = try CallCommandTests.rms((bobOut as NSString).appendingPathComponent("received.wav"), from: 0.3, to: 2.9)
        let original = Double(AudioAlignment.rms(speech[0..<(48_000 * 3)]))
        print("speech RMS \(original), heard through the processing \(heard)")
        #expect(heard > original / 8, "Bob heard RMS \(heard) of \(original)")
    }
}
