import ParleyConference
import Testing

@Suite("AudioMixer: mix-minus, K loudest, gain and mute, soft limiter")
struct AudioMixerTests {
    typealias S = MixerTestSignals

    @Test("A listener never hears itself and hears everyone else (3–8 participants, mixing all)",
          arguments: 3...8)
    func listenerNeverHearsItself(count: Int) throws {
        let frameSize = 960, channels = 2
        let mixer = try AudioMixer(participants: count, frameSize: frameSize, channels: channels, maximumMixed: count)
        var heardBy = [[Float]](repeating: [], count: count)
        var spoken = [[Float]](repeating: [], count: count)
        for tick in 0..<4 {
            let frames = (0..<count).map { S.frame(participant: $0, frame: tick, frameSize: frameSize, channels: channels, amplitude: 0.08) }
            let outputs = try mixer.mix(frames)
            for listener in 0..<count {
                // Quiet inputs: below the knee, so the output is exactly the sum of the others.
                #expect(S.maxError(outputs[listener], S.sum(frames, of: (0..<count).filter { $0 != listener })) < 1e-5)
                heardBy[listener] += outputs[listener]
                spoken[listener] += frames[listener]
            }
        }
        for listener in 0..<count {
            let own = S.correlation(spoken[listener], heardBy[listener])
            #expect(abs(own) < 0.05, "listener \(listener) of \(count) hears itself: correlation \(own)")
            for other in 0..<count where other != listener {
                let heard = S.correlation(spoken[other], heardBy[listener])
                #expect(heard > 0.2, "listener \(listener) of \(count) barely hears \(other): \(heard)")
            }
        }
    }

    @Test("The test's own-voice measure sees a listener who hears itself (the test can fail)")
    func correlationWouldSeeSelf() {
        let frames = (0..<8).map { S.frame(participant: $0, frame: 0, frameSize: 960, channels: 1, amplitude: 0.1) }
        for listener in 0..<8 {
            let everyone = S.sum(frames, of: Array(0..<8))
            #expect(S.correlation(frames[listener], everyone) > 0.2)
            #expect(abs(S.correlation(frames[listener], S.sum(frames, of: (0..<8).filter { $0 != listener }))) < 0.05)
        }
    }

    @Test("Only the K loudest are mixed; one of them hears the other K-1, everyone else hears all K")
    func kLoudest() throws {
        let amplitudes: [Float] = [0.03, 0.2, 0.05, 0.2, 0.01, 0.16]
        let mixer = try AudioMixer(participants: 6, frameSize: 480, channels: 1)  // K = 3 by default
        #expect(mixer.maximumMixed == 3)
        let frames = amplitudes.indices.map { S.frame(participant: $0, frame: 0, frameSize: 480, channels: 1, amplitude: amplitudes[$0]) }
        let outputs = try mixer.mix(frames)
        // Loudest by RMS: 3 (pure tone, 0.14), 1 (tone and noise, 0.10), 5 (0.08); then 2 (0.035).
        #expect((0..<6).filter { mixer.isMixed($0) } == [1, 3, 5])
        #expect(S.maxError(outputs[3], S.sum(frames, of: [1, 5])) < 1e-5)
        #expect(S.maxError(outputs[1], S.sum(frames, of: [3, 5])) < 1e-5)
        #expect(S.maxError(outputs[5], S.sum(frames, of: [1, 3])) < 1e-5)
        for listener in [0, 2, 4] {
            #expect(S.maxError(outputs[listener], S.sum(frames, of: [1, 3, 5])) < 1e-5)
        }
        // Levels given by the senders (RFC 6464, -dBov) rank instead of the RMS:
        // participant 4 says it is at -3 dBov, participant 3 that it is silent (127).
        var levels = [UInt8?](repeating: nil, count: 6)
        levels[4] = 3
        levels[3] = 127
        let ranked = try mixer.mix(frames, audioLevels: levels)
        #expect((0..<6).filter { mixer.isMixed($0) } == [1, 4, 5])
        #expect(S.maxError(ranked[3], S.sum(frames, of: [1, 4, 5])) < 1e-5)
        #expect(mixer.audioLevel(for: 4) == 3 && mixer.audioLevel(for: 3) == 127)
    }

    @Test("Equal loudness keeps the contributors already mixed (no flapping between ties)")
    func tiesKeepTheMix() throws {
        let mixer = try AudioMixer(participants: 4, frameSize: 160, channels: 1, maximumMixed: 2)
        let frame = [Float](repeating: 0.1, count: 160)
        // First tick: only 2 and 3 talk, so they are mixed.
        try mixer.setInput(frame, for: 2); try mixer.setInput(frame, for: 3)
        mixer.mix()
        #expect((0..<4).filter { mixer.isMixed($0) } == [2, 3])
        // Then all four are equally loud: 2 and 3 stay, though 0 and 1 have lower indices.
        for _ in 0..<5 {
            for p in 0..<4 { try mixer.setInput(frame, for: p) }
            mixer.mix()
            #expect((0..<4).filter { mixer.isMixed($0) } == [2, 3])
        }
    }

    @Test("Gain scales a contribution, mute removes it, and a muted participant still hears the others")
    func gainAndMute() throws {
        let mixer = try AudioMixer(participants: 4, frameSize: 480, channels: 2, maximumMixed: 4)
        let frames = (0..<4).map { S.frame(participant: $0, frame: 1, frameSize: 480, channels: 2, amplitude: 0.1) }
        try mixer.setGain(0.5, for: 1)
        try mixer.setGain(2, for: 2)
        try mixer.setMuted(true, for: 3)
        #expect(mixer.gain(for: 1) == 0.5 && mixer.isMuted(3))
        let outputs = try mixer.mix(frames)
        let weights: [Float] = [1, 0.5, 2, 0]
        #expect(S.maxError(outputs[0], S.sum(frames, of: [1, 2], weights: weights)) < 1e-5)
        #expect(S.maxError(outputs[1], S.sum(frames, of: [0, 2], weights: weights)) < 1e-5)
        #expect(S.maxError(outputs[3], S.sum(frames, of: [0, 1, 2], weights: weights)) < 1e-5)
        #expect(!mixer.isMixed(3))
        #expect(abs(S.correlation(frames[3], outputs[0])) < 0.06)
        // Unmuted again, with gain 0 for participant 0: 3 is back, 0 is gone.
        try mixer.setMuted(false, for: 3)
        try mixer.setGain(0, for: 0)
        let again = try mixer.mix(frames)
        #expect(S.maxError(again[2], S.sum(frames, of: [1, 3], weights: [0, 0.5, 2, 1])) < 1e-5)
        #expect(!mixer.isMixed(0))
        // A participant with no frame this tick contributes nothing but still gets the mix.
        var partial: [[Float]?] = frames
        partial[1] = nil
        let absent = try mixer.mix(partial)
        #expect(S.maxError(absent[1], S.sum(frames, of: [2, 3], weights: [0, 0.5, 2, 1])) < 1e-5)
    }

    @Test("Bad settings and frames are refused with a ConferenceError, never a crash")
    func badInputsThrow() throws {
        #expect(throws: ConferenceError.self) { try AudioMixer(participants: 0, frameSize: 960, channels: 1) }
        #expect(throws: ConferenceError.self) { try AudioMixer(participants: 3, frameSize: 960, channels: 1, maximumMixed: 0) }
        let mixer = try AudioMixer(participants: 3, frameSize: 4, channels: 1)
        #expect(throws: ConferenceError.self) { try mixer.setGain(-1, for: 0) }
        #expect(throws: ConferenceError.self) { try mixer.setGain(.nan, for: 0) }
        #expect(throws: ConferenceError.self) { try mixer.setMuted(true, for: 3) }
        #expect(throws: ConferenceError.self) { try mixer.setInput([0, 0, 0], for: 0) }
        #expect(throws: ConferenceError.self) { try mixer.setInput([0, 0, 0, 0], for: 0, audioLevel: 128) }
        // Non-finite samples count as silence.
        try mixer.setInput([.nan, .infinity, 0.1, -0.1], for: 0)
        mixer.mix()
        #expect(mixer.output(for: 1) == [0, 0, 0.1, -0.1])
        #expect(mixer.output(for: 3).isEmpty && mixer.output(for: -1).isEmpty)
        #expect(throws: ConferenceError.self) { try mixer.copyOutput(for: 0, into: UnsafeMutableBufferPointer(start: nil, count: 0)) }
        let message = String(describing: ConferenceError.invalidAudioSetting(field: "gain", value: "-1", expected: "a linear gain between 0 and 16"))
        #expect(message.contains("gain=-1") && message.contains("between 0 and 16"))
    }

    @Test("Loud sums stay within [-1, 1] through the soft limiter, without hard clipping")
    func loudMixIsLimited() throws {
        let mixer = try AudioMixer(participants: 4, frameSize: 960, channels: 1, maximumMixed: 4)
        // Three in-phase, near full-scale talkers: the raw sum reaches 2.7.
        let loud = (0..<960).map { 0.9 * S.sine(2 * Float.pi * 440 * Float($0) / 48_000) }
        let outputs = try mixer.mix([loud, loud, loud, nil])
        let peak = outputs[3].map { abs($0) }.max() ?? 0
        #expect(peak <= 1 && peak > 0.9)
        // Not a hard clip: nothing sits at full scale, and wherever the raw sum rises the
        // output still rises (a clipper would flatten the tops).
        #expect(!outputs[3].contains { abs($0) >= 1 })
        var flat = 0
        for i in 1..<960 where loud[i] > loud[i - 1] && !(outputs[3][i] > outputs[3][i - 1]) { flat += 1 }
        #expect(flat == 0)
    }
}

@Suite("SoftLimiter")
struct SoftLimiterTests {
    @Test("Bit-exact below the knee, bounded by 1 above it, continuous and monotonic")
    func shape() throws {
        let limiter = SoftLimiter.standard
        #expect(abs(limiter.threshold - 0.7079) < 1e-3)
        var previous = limiter.apply(-1000)
        var x: Float = -1000
        while x <= 1000 {
            let y = limiter.apply(x)
            #expect(abs(y) <= 1)
            #expect(y >= previous)
            if abs(x) <= limiter.threshold { #expect(y == x) }
            previous = y
            x += x.magnitude < 2 ? 0.001 : 0.37
        }
        // Slope ~1 just above the knee: no corner.
        let t = limiter.threshold
        let slope = (limiter.apply(t + 1e-3) - limiter.apply(t)) / 1e-3
        #expect(abs(slope - 1) < 0.01)
        #expect(limiter.apply(.greatestFiniteMagnitude) <= 1)
        #expect(limiter.apply(-.greatestFiniteMagnitude) >= -1)
        #expect(limiter.apply(.nan) == 0 && limiter.apply(.infinity) == 0)
        #expect(limiter.apply(2) > limiter.apply(1.5) && limiter.apply(1.5) > 0.8)
        #expect(throws: ConferenceError.self) { try SoftLimiter(threshold: 1) }
        #expect(throws: ConferenceError.self) { try SoftLimiter(threshold: 0) }
    }

    @Test("Transparent for quiet signals: error < 1e-3 for a mix below the knee")
    func transparentWhenQuiet() throws {
        let mixer = try AudioMixer(participants: 5, frameSize: 960, channels: 2, maximumMixed: 5)
        let frames = (0..<5).map { MixerTestSignals.frame(participant: $0, frame: 3, frameSize: 960, channels: 2, amplitude: 0.15) }
        let outputs = try mixer.mix(frames)
        for listener in 0..<5 {
            let exact = MixerTestSignals.sum(frames, of: (0..<5).filter { $0 != listener })
            #expect((exact.map { abs($0) }.max() ?? 1) < SoftLimiter.defaultThreshold)
            #expect(MixerTestSignals.maxError(outputs[listener], exact) < 1e-3)
        }
    }
}
