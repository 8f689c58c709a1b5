import Foundation
@testable import ParleyMedia
import Testing

private typealias S = AudioTestSignals

/// The echo canceller on a synthetic echo path: the speech fixture played out, convolved
/// with a seeded room impulse response (4 ms direct path, RT60 200 ms, 120 ms long, −6 dB
/// path gain) and recorded together with low noise (−70 dBFS).
@Suite struct EchoCancellerTests {
    struct Scene {
        let far: [Float]
        let echo: [Float]
        let noise: [Float]
    }

    static func scene() throws -> Scene {
        let far = try S.speech()
        let echo = S.convolve(far, S.roomImpulseResponse())
        return Scene(far: far, echo: echo, noise: S.noise(count: far.count, sigma: 0.000_316, seed: 11))
    }

    /// ERLE = 10·log10(E[echo²] / E[residual²]) from `start` to the end, where the residual
    /// is everything in the output that is not the near-end signal.
    static func erle(echo: [Float], residual: [Float], from start: Int) -> Double {
        let range = start..<echo.count
        return S.decibels(S.energy(echo, range) / S.energy(residual, range))
    }

    @Test("after 3 s of convergence the canceller alone removes ≥ 15 dB of echo (ERLE)")
    func echoReturnLossEnhancement() throws {
        let scene = try Self.scene()
        let capture = zip(scene.echo, scene.noise).map(+)
        // The echo is a real one: about 40 dB above the noise, within 10 dB of the far end.
        #expect(S.decibels(S.energy(scene.echo, 0..<scene.echo.count) / S.energy(scene.noise, 0..<scene.noise.count)) > 30)
        #expect(S.decibels(S.energy(scene.echo, 0..<scene.echo.count) / S.energy(scene.far, 0..<scene.far.count)) > -10)

        let canceller = try EchoCanceller(configuration: .device)
        #expect(canceller.frameSize == 480)
        #expect(canceller.filterLength == 7200)
        let output = try S.cancel(canceller, capture: capture, farEnd: scene.far)
        // The output holds the residual echo plus the (tiny) noise: counting the noise as
        // residual only makes the figure more conservative.
        let erle = Self.erle(echo: scene.echo, residual: output, from: 3 * S.rate)
        let firstSecond = Self.erle(echo: Array(scene.echo[0..<S.rate]), residual: Array(output[0..<S.rate]), from: 0)
        print("EchoCanceller: ERLE \(String(format: "%.1f", erle)) dB after 3 s (first second: \(String(format: "%.1f", firstSecond)) dB)")
        #expect(erle >= 15, "ERLE \(erle) dB")
    }

    @Test("with residual echo suppression (canceller + preprocessor, no AGC) the echo falls further")
    func chainSuppressesResidualEcho() throws {
        let scene = try Self.scene()
        let capture = zip(scene.echo, scene.noise).map(+)
        var configuration = AudioProcessing.device
        configuration.automaticGainControl = false   // a gain would scale the residual, not remove it
        let chain = try CaptureProcessor(configuration: configuration)
        let output = try S.run(chain, capture: capture, farEnd: scene.far).output
        let erle = Self.erle(echo: scene.echo, residual: output, from: 3 * S.rate)
        print("CaptureProcessor (AEC + residual echo suppression + NS): ERLE \(String(format: "%.1f", erle)) dB after 3 s")
        #expect(erle >= 25, "ERLE \(erle) dB")
    }

    /// Double talk: the near-end talker (the fixture 5 s on, so other words, at −3 dB) talks
    /// from 4 s to 7 s, once the filter has converged on the far end alone. A linear
    /// canceller subtracts only its estimate of the echo, so the near-end speech must come
    /// out nearly unchanged: projected on the near-end signal, the output over 4.5–7 s keeps
    /// it within ±3 dB, and what is left (residual echo + noise) stays ≥ 6 dB under it.
    /// speexdsp slows its adaptation while both talk but does not freeze it, so the echo
    /// cancellation degrades during double talk (measured ≈ 6 dB here, asserted ≥ 3 dB: the
    /// residual stays below the echo, i.e. the filter did not diverge), and it must recover
    /// to ≥ 15 dB within a second once the near end is quiet again (8–10 s).
    @Test("double talk: the near-end talker passes within ±3 dB, the filter does not diverge and recovers")
    func doubleTalkPreservesNearEnd() throws {
        let scene = try Self.scene()
        let speech = scene.far
        let talk = (4 * S.rate)..<(7 * S.rate)
        var near = [Float](repeating: 0, count: speech.count)
        for i in talk { near[i] = 0.7 * speech[(i + 5 * S.rate) % speech.count] }
        var capture = [Float](repeating: 0, count: speech.count)
        for i in 0..<capture.count { capture[i] = scene.echo[i] + near[i] + scene.noise[i] }

        let canceller = try EchoCanceller(configuration: .device)
        let output = try S.cancel(canceller, capture: capture, farEnd: scene.far)

        let range = (talk.lowerBound + S.rate / 2)..<talk.upperBound
        var cross = 0.0
        for i in range { cross += Double(output[i]) * Double(near[i]) }
        let nearEnergy = S.energy(near, range)
        let gain = cross / nearEnergy
        var rest = [Float](repeating: 0, count: speech.count)
        for i in range { rest[i] = output[i] - Float(gain) * near[i] }
        // The residual echo is everything in the output that is not the near end.
        let residualEcho = zip(output, near).map { $0 - $1 }
        let gainDecibels = 20 * log10(max(gain, 1e-9))
        let nearToRest = S.decibels(nearEnergy * gain * gain / S.energy(rest, range))
        let during = S.decibels(S.energy(scene.echo, range) / S.energy(residualEcho, range))
        let after = Self.erle(echo: scene.echo, residual: residualEcho, from: 8 * S.rate)
        print("EchoCanceller double talk: near-end gain \(String(format: "%+.2f", gainDecibels)) dB, near-end/rest \(String(format: "%.1f", nearToRest)) dB, ERLE during double talk \(String(format: "%.1f", during)) dB, 1–3 s after it \(String(format: "%.1f", after)) dB")
        #expect(abs(gainDecibels) <= 3, "near-end gain \(gainDecibels) dB")
        #expect(nearToRest >= 6, "near-end/rest \(nearToRest) dB")
        #expect(during >= 3, "ERLE during double talk \(during) dB")
        #expect(after >= 15, "ERLE after double talk \(after) dB")
    }

    @Test("the 16-bit path gives the same output as the Float path, and reset() forgets the echo path")
    func int16MatchesFloatAndReset() throws {
        let scene = try Self.scene()
        let count = 2 * S.rate
        let capture = Array(scene.echo[0..<count])
        let far = Array(scene.far[0..<count])
        let floatCanceller = try EchoCanceller(configuration: .device)
        let floatOut = try S.cancel(floatCanceller, capture: capture, farEnd: far)

        let intCanceller = try EchoCanceller(configuration: .device)
        var c = [Int16](repeating: 0, count: S.frame), f = c, o = c
        var maxDifference: Float = 0
        for r in stride(from: 0, to: count, by: S.frame) {
            for i in 0..<S.frame {
                c[i] = Int16(max(-32768, min(32767, (capture[r + i] * 32768).rounded())))
                f[i] = Int16(max(-32768, min(32767, (far[r + i] * 32768).rounded())))
            }
            try intCanceller.process(capture: c, farEnd: f, into: &o)
            for i in 0..<S.frame { maxDifference = max(maxDifference, abs(Float(o[i]) / 32768 - floatOut[r + i])) }
        }
        #expect(maxDifference == 0, "Int16 and Float outputs differ by \(maxDifference)")

        // After reset the filter starts from nothing: the first frame passes the echo through.
        floatCanceller.reset()
        let again = try S.cancel(floatCanceller, capture: Array(capture[0..<S.frame * 20]), farEnd: Array(far[0..<S.frame * 20]))
        #expect(again == Array(floatOut[0..<S.frame * 20]))
    }
}
