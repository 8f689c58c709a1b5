import Foundation
import Testing
import ParleyMetrics

@Suite struct AudioAlignmentTests {
    @Test func findsPositiveDelay() {
        let reference = TestSignals.noise(count: 16_000, seed: 1)
        let received = [Float](repeating: 0, count: 317) + reference
        let result = AudioAlignment.delay(reference: reference, received: received, sampleRate: 16_000)
        #expect(result.lagSamples == 317)
        #expect(result.correlation > 0.99)
        #expect(abs(result.delayMilliseconds - 317.0 / 16) < 1e-9)
    }

    @Test func findsNegativeDelay() {
        let reference = TestSignals.noise(count: 16_000, seed: 2)
        // The received signal starts 250 samples into the reference: it is early.
        let received = Array(reference[250...])
        let result = AudioAlignment.delay(reference: reference, received: received, sampleRate: 16_000)
        #expect(result.lagSamples == -250)
        #expect(result.correlation > 0.99)
        #expect(result.delayMilliseconds < 0)
    }

    @Test func findsDelayUnderNoiseAndGain() {
        let reference = TestSignals.noise(count: 24_000, seed: 3)
        let noise = TestSignals.noise(count: 24_000 + 1_234, seed: 4)
        let delayed = [Float](repeating: 0, count: 1_234) + reference
        let received = zip(delayed, noise).map { 0.6 * $0 + 0.5 * $1 }
        let result = AudioAlignment.delay(reference: reference, received: received, sampleRate: 48_000)
        #expect(result.lagSamples == 1_234)
        // Signal and noise of equal power, the signal scaled by 0.6 and the noise by 0.5.
        let expected = 0.6 / (0.6 * 0.6 + 0.5 * 0.5).squareRoot()
        #expect(abs(result.correlation - expected) < 0.05)
    }

    @Test func lagOutsideTheSearchRangeIsNotFound() {
        let reference = TestSignals.noise(count: 8_000, seed: 5)
        let received = [Float](repeating: 0, count: 2_000) + reference
        let wide = AudioAlignment.delay(reference: reference, received: received, sampleRate: 8_000, maxLagSeconds: 0.5)
        #expect(wide.lagSamples == 2_000)
        let narrow = AudioAlignment.delay(reference: reference, received: received, sampleRate: 8_000, maxLagSeconds: 0.1)
        #expect(abs(narrow.lagSamples) <= 800)
        #expect(narrow.correlation < 0.2)
    }

    @Test func degenerateInputsGiveZero() {
        let zero = AlignmentResult(lagSamples: 0, delayMilliseconds: 0, correlation: 0)
        #expect(AudioAlignment.delay(reference: [], received: [1, 2], sampleRate: 48_000) == zero)
        #expect(AudioAlignment.delay(reference: [1, 2], received: [1, 2], sampleRate: 0) == zero)
        let silence = [Float](repeating: 0, count: 1_000)
        #expect(AudioAlignment.delay(reference: silence, received: silence, sampleRate: 48_000).correlation == 0)
    }

    @Test func tenSecondsAt48kHzCompletes() {
        let reference = TestSignals.noise(count: 480_000, seed: 6)
        let received = [Float](repeating: 0, count: 4_321) + reference.dropLast(4_321)
        let result = AudioAlignment.delay(reference: reference, received: received, sampleRate: 48_000)
        #expect(result.lagSamples == 4_321)
        #expect(result.correlation > 0.99)
    }

    @Test(arguments: [(1000.0, 48_000), (440.0, 16_000), (3_111.5, 44_100)])
    func dominantFrequencyOfSine(frequency: Double, sampleRate: Int) {
        let tone = TestSignals.sine(frequency: frequency, sampleRate: sampleRate, count: sampleRate)
        let found = AudioAlignment.dominantFrequency(tone, sampleRate: sampleRate)
        #expect(abs(found - frequency) < 1, "found \(found) Hz for \(frequency) Hz")
    }

    @Test func dominantFrequencyIgnoresDCAndWeakerTones() {
        let strong = TestSignals.sine(frequency: 700, sampleRate: 8_000, count: 4_000, amplitude: 0.5)
        let weak = TestSignals.sine(frequency: 2_000, sampleRate: 8_000, count: 4_000, amplitude: 0.2)
        let mixed = zip(strong, weak).map { $0 + $1 + 0.3 }
        #expect(abs(AudioAlignment.dominantFrequency(mixed, sampleRate: 8_000) - 700) < 1)
        #expect(AudioAlignment.dominantFrequency([Float](repeating: 0.2, count: 512), sampleRate: 8_000) == 0)
        #expect(AudioAlignment.dominantFrequency([], sampleRate: 8_000) == 0)
    }

    @Test func signalToNoiseRatio() {
        let reference: [Float] = [1, -1, 1, -1]
        let test: [Float] = [0.9, -1.1, 0.9, -1.1]
        // Σref² = 4, Σ(ref − test)² = 0.04 → 20 dB.
        #expect(abs(AudioAlignment.signalToNoiseRatio(reference: reference[...], test: test[...]) - 20) < 1e-5)
        #expect(AudioAlignment.signalToNoiseRatio(reference: reference[...], test: reference[...]) == 100)
        let silence = [Float](repeating: 0, count: 4)
        #expect(AudioAlignment.signalToNoiseRatio(reference: silence[...], test: reference[...]) == -100)
        // Slices that do not start at index 0.
        let longer: [Float] = [5, 5] + reference
        #expect(AudioAlignment.signalToNoiseRatio(reference: longer[2...], test: reference[...]) == 100)
    }

    @Test func energyAndRMS() {
        let samples: [Float] = [3, -4, 0, 0]
        #expect(AudioAlignment.energy(samples[...]) == 6.25)
        #expect(AudioAlignment.rms(samples[...]) == 2.5)
        #expect(AudioAlignment.energy(samples[1...1]) == 16)
        #expect(AudioAlignment.energy([Float]()[...]) == 0)
        let sine = TestSignals.sine(frequency: 50, sampleRate: 8_000, count: 8_000, amplitude: 1)
        #expect(abs(AudioAlignment.rms(sine[...]) - 0.5.squareRoot()) < 1e-6)
    }
}
