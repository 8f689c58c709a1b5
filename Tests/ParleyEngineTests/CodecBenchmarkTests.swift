import Foundation
import ParleyCodecs
import ParleyEngine
import Testing

/// Structure of `parley bench`'s report, from the smallest run it allows. No timing
/// thresholds: benchmarks are a command, not a timed test.
@Suite("Codec benchmark")
struct CodecBenchmarkTests {
    static let tiny = CodecBenchmark.Parameters(
        audioFrames: 6, videoFrames: 3, repetitions: 2, videoWidth: 64, videoHeight: 48)

    @Test("a tiny run reports every case with positive, finite times and ratios")
    func structure() throws {
        var steps: [String] = []
        let report = try CodecBenchmark(parameters: Self.tiny).run { step, repetition, repetitions in
            #expect(repetitions == 2)
            #expect((1...2).contains(repetition))
            steps.append(step)
        }
        #expect(report.cases.map(\.name) == CodecBenchmark.caseNames)
        #expect(Set(steps) == [
            "opus-encode-c10", "opus-encode-c5", "opus-decode", "opus-plc", "vp8-encode+decode", "vp9-encode+decode",
        ])
        #expect(steps.count == 6 * 2)
        for c in report.cases {
            let video = c.name.hasPrefix("vp")
            #expect(c.frames == (video ? 3 : 6), "\(c.name)")
            #expect(c.repetitions == 2)
            for value in [c.bareMicrosecondsPerFrame.min, c.bareMicrosecondsPerFrame.median,
                          c.wrapperMicrosecondsPerFrame.min, c.wrapperMicrosecondsPerFrame.median] {
                #expect(value.isFinite && value > 0, "\(c.name): \(value)")
            }
            #expect(c.bareMicrosecondsPerFrame.min <= c.bareMicrosecondsPerFrame.median)
            #expect(c.wrapperMicrosecondsPerFrame.min <= c.wrapperMicrosecondsPerFrame.median)
            #expect(c.ratio.isFinite && c.ratio > 0, "\(c.name): ratio \(c.ratio)")
            let expected = c.wrapperMicrosecondsPerFrame.min / c.bareMicrosecondsPerFrame.min
            #expect(abs(c.ratio - expected) <= 1e-9 * expected, "\(c.name): ratio \(c.ratio), minima give \(expected)")
            #expect(c.goal == 1.05)
            #expect(c.withinGoal == (c.ratio <= c.goal))
            // Both paths did the same work.
            #expect(c.bareOutput > 0, "\(c.name)")
            #expect(c.bareOutput == c.wrapperOutput, "\(c.name): bare \(c.bareOutput), wrapper \(c.wrapperOutput)")
            if video {
                let cpu = try #require(c.processCPU, "\(c.name) has no process CPU time")
                #expect(cpu.bareMicrosecondsPerFrame.min >= 0 && cpu.bareMicrosecondsPerFrame.min.isFinite)
                #expect(cpu.wrapperMicrosecondsPerFrame.min >= 0 && cpu.wrapperMicrosecondsPerFrame.min.isFinite)
                #expect(cpu.ratio.isFinite && cpu.ratio > 0)
            } else {
                #expect(c.processCPU == nil)
            }
        }
        // Opus outputs: samples per channel for decode and PLC, one 20 ms frame each.
        let decode = try #require(report.cases.first { $0.name == "opus-decode" })
        #expect(decode.bareOutput == 6 * 960)
        let plc = try #require(report.cases.first { $0.name == "opus-plc" })
        #expect(plc.bareOutput == 6 * 960)

        let worst = try #require(report.cases.max { $0.ratio < $1.ratio })
        #expect(report.summary.worstCase == worst.name)
        #expect(report.summary.worstRatio == worst.ratio)
        #expect(report.summary.allWithinGoal == report.cases.allSatisfy(\.withinGoal))
        #expect(report.parameters == Self.tiny)
        #expect(report.buildConfiguration == "debug" || report.buildConfiguration == "release")
        #expect(report.libraries.opus.contains("opus"))
        #expect(!report.libraries.vpx.isEmpty)
        #expect(report.machine.coreCount > 0)
        #expect(!report.machine.architecture.isEmpty)
        #expect(ISO8601DateFormatter().date(from: report.date) != nil, "date \(report.date) is not ISO 8601")
    }

    @Test("the JSON report decodes back to the same report, with sorted keys")
    func jsonRoundTrip() throws {
        let report = try CodecBenchmark(parameters: Self.tiny).run()
        let data = try report.jsonData()
        let decoded = try JSONDecoder().decode(BenchmarkReport.self, from: data)
        #expect(decoded == report)
        let text = String(decoding: data, as: UTF8.self)
        let keys = ["\"buildConfiguration\"", "\"cases\"", "\"clock\"", "\"date\"", "\"libraries\"", "\"machine\"",
                    "\"parameters\"", "\"summary\""]
        let positions = keys.compactMap { text.range(of: "\n  \($0)")?.lowerBound }
        #expect(positions.count == keys.count, "top-level keys missing in \(text.prefix(400))")
        #expect(positions == positions.sorted())
    }

    @Test("an empty configuration is refused with a message")
    func refusesEmptyRuns() {
        for parameters in [
            CodecBenchmark.Parameters(audioFrames: 0, videoFrames: 3, repetitions: 1, videoWidth: 64, videoHeight: 48),
            CodecBenchmark.Parameters(audioFrames: 3, videoFrames: 0, repetitions: 1, videoWidth: 64, videoHeight: 48),
            CodecBenchmark.Parameters(audioFrames: 3, videoFrames: 3, repetitions: 0, videoWidth: 64, videoHeight: 48),
        ] {
            #expect(throws: CodecError.self) { try CodecBenchmark(parameters: parameters).run() }
        }
    }

    @Test("the bare Opus calls produce what the wrappers produce")
    func bareOpusMatchesWrapper() throws {
        let frames = BenchmarkSignals.speechFrames(frames: 10)
        let configuration = OpusConfiguration(bitrate: 32_000, complexity: 10)
        let encoder = try OpusEncoder(configuration: configuration)
        var buffer = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var packets: [[UInt8]] = []
        for frame in frames {
            let n = try encoder.encode(frame, into: &buffer)
            packets.append(Array(buffer[0..<n]))
        }
        let bare = try OpusBareCalls.encode(configuration: configuration, frames: frames)
        #expect(bare.bytes == packets.reduce(0) { $0 + $1.count })
        #expect(bare.seconds > 0)
        let decoded = try OpusBareCalls.decode(sampleRate: 48000, channels: 1, packets: packets)
        #expect(decoded.samples == 10 * 960)
        let concealed = try OpusBareCalls.conceal(sampleRate: 48000, channels: 1, frameSize: 960, packets: packets)
        #expect(concealed.samples == 10 * 960)
        #expect(throws: CodecError.self) {
            try OpusBareCalls.conceal(sampleRate: 48000, channels: 1, frameSize: 0, packets: packets)
        }
        #expect(throws: CodecError.self) {
            try OpusBareCalls.encode(configuration: configuration, frames: [[0, 0, 0]])
        }
    }

    @Test("the synthetic inputs are deterministic, audible and moving")
    func syntheticInputs() {
        let a = BenchmarkSignals.speechFrames(frames: 50)
        #expect(a == BenchmarkSignals.speechFrames(frames: 50))
        #expect(a.count == 50 && a.allSatisfy { $0.count == 960 })
        let samples = a.flatMap { $0 }
        let peak = samples.map { abs($0) }.max() ?? 0
        #expect(peak > 0.05 && peak <= 1)
        // Syllables: some frames are much louder than others.
        let energies = a.map { frame in frame.reduce(0) { $0 + $1 * $1 } }
        #expect((energies.max() ?? 0) > 10 * (energies.min() ?? 0))

        let clip = BenchmarkSignals.movingClip(width: 64, height: 48, frames: 3)
        #expect(clip == BenchmarkSignals.movingClip(width: 64, height: 48, frames: 3))
        #expect(clip.count == 3 && clip.allSatisfy { $0.width == 64 && $0.height == 48 })
        #expect(clip[0].data != clip[1].data)
    }
}
