import Foundation
@testable import ParleyMedia
import Testing

private typealias S = AudioTestSignals

/// Noise suppression, voice activity detection and AGC of the speexdsp preprocessor, each
/// on its own, on the speech fixture and seeded Gaussian noise.
@Suite struct AudioPreprocessorTests {
    static func only(ns: Bool = false, agc: Bool = false, vad: Bool = false) -> AudioProcessing {
        AudioProcessing(echoCancellation: false, noiseSuppression: ns, automaticGainControl: agc, voiceActivityDetection: vad)
    }

    /// 2 s of noise, the 10 s speech fixture over the noise, 2 s of noise again.
    static func speechInNoise(noiseDBFS: Double) throws -> (clean: [Float], noisy: [Float], speech: Range<Int>) {
        let speech = try S.speech()
        let lead = 2 * S.rate
        var clean = [Float](repeating: 0, count: lead + speech.count + lead)
        for i in 0..<speech.count { clean[lead + i] = speech[i] }
        let noise = S.noise(count: clean.count, sigma: Float(pow(10, noiseDBFS / 20)), seed: 23)
        return (clean, zip(clean, noise).map(+), lead..<(lead + speech.count))
    }

    /// Frames (indices) whose clean signal is speech (above −45 dBFS) or silence (below −80 dBFS).
    static func labels(_ clean: [Float]) -> (speech: [Int], silence: [Int]) {
        let levels = S.frames(count: clean.count) { S.rmsDecibels(clean, $0) }
        return (levels.indices.filter { levels[$0] > -45 }, levels.indices.filter { levels[$0] < -80 })
    }

    @Test("noise suppression lowers stationary noise by ≥ 6 dB while speech passes within 3 dB")
    func noiseSuppression() throws {
        let (clean, noisy, speech) = try Self.speechInNoise(noiseDBFS: -45)
        let preprocessor = try AudioPreprocessor(configuration: Self.only(ns: true))
        let output = try S.preprocess(preprocessor, noisy).output

        // Noise alone: 1–2 s (after the estimator settled) and the last 1.5 s.
        let noiseRanges = [S.rate..<(2 * S.rate), (noisy.count - 3 * S.rate / 2)..<noisy.count]
        let noiseIn = noiseRanges.reduce(0) { $0 + S.energy(noisy, $1) }
        let noiseOut = noiseRanges.reduce(0) { $0 + S.energy(output, $1) }
        let reduction = S.decibels(noiseIn / noiseOut)
        // Speech: energy in the frames where the clean speech is loud, in vs out.
        let speechFrames = Self.labels(clean).speech.map { ($0 * S.frame)..<($0 * S.frame + S.frame) }.filter { speech.contains($0.lowerBound) }
        let speechIn = speechFrames.reduce(0) { $0 + S.energy(clean, $1) }
        let speechOut = speechFrames.reduce(0) { $0 + S.energy(output, $1) }
        let speechChange = S.decibels(speechOut / speechIn)
        print("AudioPreprocessor NS: noise −\(String(format: "%.1f", reduction)) dB, speech \(String(format: "%+.1f", speechChange)) dB")
        #expect(reduction >= 6, "noise reduced by only \(reduction) dB")
        #expect(abs(speechChange) <= 3, "speech changed by \(speechChange) dB")
    }

    @Test("VAD (with and without noise suppression): noise-only frames mostly say no voice, speech frames mostly say voice",
          arguments: [true, false])
    func voiceActivity(noiseSuppression: Bool) throws {
        let (clean, noisy, _) = try Self.speechInNoise(noiseDBFS: -60)
        let preprocessor = try AudioPreprocessor(configuration: Self.only(ns: noiseSuppression, vad: true))
        let voice = try S.preprocess(preprocessor, noisy).voice
        let (speechFrames, silenceFrames) = Self.labels(clean)
        // Leave out the first second (the noise estimate starts from nothing) and the 100 ms
        // after each speech frame: holding "voice" a little past the end of a word (hangover)
        // is what DTX wants, so it is not counted against the detector.
        let speechSet = Set(speechFrames)
        let silence = silenceFrames.filter { index in index >= 100 && !(1...10).contains { speechSet.contains(index - $0) } }
        let speechTrue = Double(speechFrames.filter { voice[$0] }.count) / Double(speechFrames.count)
        let silenceTrue = Double(silence.filter { voice[$0] }.count) / Double(silence.count)
        print("AudioPreprocessor VAD (NS \(noiseSuppression ? "on" : "off")): voice in \(String(format: "%.0f", speechTrue * 100)) % of \(speechFrames.count) speech frames, \(String(format: "%.0f", silenceTrue * 100)) % of \(silence.count) noise-only frames")
        #expect(speechFrames.count > 300 && silence.count > 200)
        #expect(speechTrue >= 0.8, "voice found in only \(speechTrue) of speech frames")
        #expect(silenceTrue <= 0.1, "voice found in \(silenceTrue) of noise-only frames")
    }

    @Test("VAD off: every frame counts as voice")
    func vadOffSaysVoice() throws {
        let preprocessor = try AudioPreprocessor(configuration: Self.only(ns: true))
        var silence = [Float](repeating: 0, count: S.frame)
        for _ in 0..<50 { #expect(try preprocessor.process(&silence)) }
    }

    @Test("AGC raises speech 26 dB too quiet by at least 4× in RMS, towards the target")
    func automaticGainControl() throws {
        let speech = try S.speech()
        let quiet = speech.map { $0 * 0.05 }   // −26 dB: about −49 dBFS RMS
        let preprocessor = try AudioPreprocessor(configuration: Self.only(agc: true))
        let output = try S.preprocess(preprocessor, quiet).output
        let late = (5 * S.rate)..<quiet.count
        let gain = (S.energy(output, late) / S.energy(quiet, late)).squareRoot()
        print("AudioPreprocessor AGC: RMS ×\(String(format: "%.1f", gain)) over 5–10 s (\(String(format: "%.1f", S.rmsDecibels(quiet, late))) → \(String(format: "%.1f", S.rmsDecibels(output, late))) dBFS), AGC gain \(preprocessor.agcGainDecibels) dB")
        #expect(gain >= 4, "RMS grew only ×\(gain)")
        // And it does not overshoot: a loud input is not pushed into clipping.
        let loud = try S.preprocess(try AudioPreprocessor(configuration: Self.only(agc: true)), speech).output
        #expect(S.rmsDecibels(loud, late) <= S.rmsDecibels(speech, late) + 6)
    }
}
