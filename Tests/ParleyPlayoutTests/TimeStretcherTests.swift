import Foundation
import Testing
import ParleyMetrics
@testable import ParleyPlayout

@Suite struct TimeStretcherTests {
    /// A 440 Hz sine at 48 kHz (period 109.09 samples: not an integer, so the stretch
    /// must find a near-multiple of it).
    static func sine(_ count: Int, start: Int = 0, frequency: Double = 440, rate: Double = 48000) -> [Float] {
        (0..<count).map { Float(sin(2 * Double.pi * frequency * Double(start + $0) / rate)) * 0.5 }
    }

    /// Zero-crossing frequency estimate (rising crossings, interpolated).
    static func zeroCrossingFrequency(_ x: [Float], rate: Double) -> Double {
        var crossings: [Double] = []
        for i in 1..<x.count where x[i - 1] < 0 && x[i] >= 0 {
            crossings.append(Double(i - 1) + Double(-x[i - 1] / (x[i] - x[i - 1])))
        }
        guard crossings.count >= 2 else { return 0 }
        return rate * Double(crossings.count - 1) / (crossings.last! - crossings.first!)
    }

    @Test func accelerateRemovesWholePeriodsAndKeepsThePitch() throws {
        var stretcher = TimeStretcher(sampleRate: 48000, channels: 1)
        var output: [Float] = []
        var removedTotal = 0
        for frame in 0..<25 {
            var pcm = Self.sine(960, start: frame * 960)
            let removed = stretcher.accelerate(&pcm, frames: 960)
            // Whole periods (a multiple of 109.09 samples, within a sample).
            let periods = Double(removed) / (48000.0 / 440)
            #expect(removed >= stretcher.minimumLag && removed <= 480)
            #expect(abs(periods - periods.rounded()) * 109.09 <= 1.5, "removed \(removed) samples")
            output += pcm[0..<(960 - removed)]
            removedTotal += removed
        }
        #expect(output.count == 25 * 960 - removedTotal)
        #expect(Double(removedTotal) >= 0.25 * 25 * 960, "accelerated by \(removedTotal) samples")
        let fft = AudioAlignment.dominantFrequency(output, sampleRate: 48000)
        let zc = Self.zeroCrossingFrequency(output, rate: 48000)
        #expect(abs(fft - 440) < 4.4, "FFT frequency \(fft) Hz")
        #expect(abs(zc - 440) < 4.4, "zero-crossing frequency \(zc) Hz")
    }

    @Test func preemptiveExpandInsertsWholePeriodsAndKeepsThePitch() throws {
        var stretcher = TimeStretcher(sampleRate: 48000, channels: 2)
        var output: [Float] = []
        var insertedTotal = 0
        for frame in 0..<25 {
            let mono = Self.sine(960, start: frame * 960)
            var pcm = [Float](repeating: 0, count: (960 + stretcher.maximumLag) * 2)
            for i in 0..<960 { pcm[2 * i] = mono[i]; pcm[2 * i + 1] = mono[i] }
            let inserted = stretcher.preemptiveExpand(&pcm, frames: 960, desired: 218)
            #expect(inserted > 0)
            let periods = Double(inserted) / (48000.0 / 440)
            #expect(abs(periods - periods.rounded()) * 109.09 <= 1.5, "inserted \(inserted) samples")
            for i in 0..<(960 + inserted) {
                #expect(pcm[2 * i] == pcm[2 * i + 1])
                output.append(pcm[2 * i])
            }
            insertedTotal += inserted
        }
        #expect(output.count == 25 * 960 + insertedTotal)
        let zc = Self.zeroCrossingFrequency(output, rate: 48000)
        #expect(abs(zc - 440) < 4.4, "zero-crossing frequency \(zc) Hz")
        #expect(abs(AudioAlignment.dominantFrequency(output, sampleRate: 48000) - 440) < 4.4)
        // Continuity: no sample-to-sample jump larger than the sine's own steepest step.
        let maxStep = 0.5 * 2 * Double.pi * 440 / 48000
        for i in 1..<output.count { #expect(Double(abs(output[i] - output[i - 1])) <= maxStep * 1.5) }
    }

    @Test func leavesNoiseAloneAndStretchesSilence() throws {
        var stretcher = TimeStretcher(sampleRate: 8000, channels: 1)
        var r = TraceRandom(seed: 3)
        var noise = (0..<160).map { _ in Float(r.uniform() - 0.5) }
        #expect(stretcher.accelerate(&noise, frames: 160) == 0)
        var silence = [Float](repeating: 0, count: 160)
        #expect(stretcher.accelerate(&silence, frames: 160, desired: 40) == 40)
    }
}
