import Foundation
import ParleyCore
@testable import ParleyMedia
import Testing

private typealias H = MediaTestHelpers

@Suite struct ResamplerTests {
    static func zeroCrossings(_ samples: ArraySlice<Float>) -> Int {
        var count = 0
        var previous = samples.first ?? 0
        for s in samples.dropFirst() {
            if (previous < 0) != (s < 0) { count += 1 }
            previous = s
        }
        return count
    }

    @Test func upsample16kTo48kKeepsLengthAndFrequency() throws {
        let path = try H.scratchPath("16k.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 16000, channels: 1), sampleFormat: .float32)
        try writer.write(H.sine(frequency: 1000, rate: 16000, frames: 16000, amplitude: 0.8))
        try writer.close()

        let reader = try WAVReader(path: path, output: AudioFormat(sampleRate: 48000, channels: 1))
        #expect(reader.outputFormat == AudioFormat(sampleRate: 48000, channels: 1))
        let out = try H.readAll(reader, chunk: 960)
        let latency = try Resampler(channels: 1, inputRate: 16000, outputRate: 48000).outputLatencyFrames
        #expect(latency > 0)
        #expect(abs(out.count - 48000) <= latency)
        guard out.count > 47900 else {
            Issue.record("only \(out.count) frames came out")
            return
        }
        let crossings = Self.zeroCrossings(out[...])
        let perSecond = Double(crossings) * 48000 / Double(out.count)
        #expect(abs(perSecond - 2000) <= 40, "got \(perSecond) zero crossings per second")
        // Amplitude survives, including at the very end (the tail was flushed).
        #expect((out[100..<47900].map(abs).max() ?? 0) > 0.75)
        #expect((out[(out.count - 200)..<(out.count - 20)].map(abs).max() ?? 0) > 0.5)
    }

    @Test func downsampleStereo48kTo16kMono() throws {
        let path = try H.scratchPath("48k.wav")
        let writer = try WAVWriter(path: path, format: AudioFormat(sampleRate: 48000, channels: 2), sampleFormat: .pcm24)
        try writer.write(H.sine(frequency: 500, rate: 48000, frames: 24000, channels: 2))
        try writer.close()
        let reader = try WAVReader(path: path, output: AudioFormat(sampleRate: 16000, channels: 1), resamplerQuality: 3)
        let out = try H.readAll(reader, chunk: 333)
        #expect(abs(out.count - 8000) <= 40)
        let perSecond = Double(Self.zeroCrossings(out[...])) * 16000 / Double(out.count)
        #expect(abs(perSecond - 1000) <= 20)
    }

    @Test func stereoToMonoAveragesAndMonoToStereoDuplicates() throws {
        let stereo = try H.scratchPath("stereo.wav")
        let w = try WAVWriter(path: stereo, format: AudioFormat(sampleRate: 8000, channels: 2), sampleFormat: .float32)
        try w.write([0.5, -0.25, 1, 0, -1, -0.5])
        try w.close()
        let mono = try WAVReader(path: stereo, output: AudioFormat(sampleRate: 8000, channels: 1))
        #expect(try H.readAll(mono) == [0.125, 0.5, -0.75])

        let monoPath = try H.scratchPath("mono.wav")
        let m = try WAVWriter(path: monoPath, format: AudioFormat(sampleRate: 8000, channels: 1), sampleFormat: .float32)
        try m.write([0.5, -0.25])
        try m.close()
        let toStereo = try WAVReader(path: monoPath, output: AudioFormat(sampleRate: 8000, channels: 2))
        #expect(try H.readAll(toStereo) == [0.5, 0.5, -0.25, -0.25])
        // Stereo -> 4 channels repeats the input channels cyclically: L R L R.
        let toFour = try WAVReader(path: stereo, output: AudioFormat(sampleRate: 8000, channels: 4))
        #expect(try H.readAll(toFour) == [0.5, -0.25, 0.5, -0.25, 1, 0, 1, 0, -1, -0.5, -1, -0.5])
    }

    @Test func resamplerRejectsBadParameters() {
        #expect(H.mediaError { _ = try Resampler(channels: 0, inputRate: 8000, outputRate: 16000) } != nil)
        #expect(H.mediaError { _ = try Resampler(channels: 1, inputRate: 0, outputRate: 16000) } != nil)
        #expect(H.mediaError { _ = try Resampler(channels: 1, inputRate: 8000, outputRate: 16000, quality: 11) } != nil)
        #expect(H.mediaError { _ = try Resampler(channels: 2, inputRate: 8000, outputRate: 16000, quality: 10) } == nil)
    }

    @Test func resamplerProcessReportsConsumedAndProduced() throws {
        let r = try Resampler(channels: 2, inputRate: 8000, outputRate: 16000)
        let input = [Float](repeating: 0.25, count: 2 * 160)
        var output = [Float](repeating: 0, count: 2 * 1000)
        let (consumed, produced) = input.withUnsafeBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in r.process(input: i, output: o) }
        }
        #expect(consumed == 160)
        #expect(abs(produced - 320) <= r.outputLatencyFrames)
        // A tiny output buffer limits consumption.
        var small = [Float](repeating: 0, count: 2 * 10)
        let limited = input.withUnsafeBufferPointer { i in
            small.withUnsafeMutableBufferPointer { o in r.process(input: i, output: o) }
        }
        #expect(limited.producedFrames == 10)
        #expect(limited.consumedFrames < 160)
    }
}
