/// Mix-minus for a mesh conference: every tick (one 20 ms frame) each listener gets the
/// mix of everyone but themself, in O(N) frame passes rather than O(N²).
///
/// Per tick the engine
/// 1. hands over each participant's decoded frame with `setInput(_:for:audioLevel:)`
///    (interleaved Float PCM, `frameSize * channels` samples; a participant with no frame
///    this tick — silence, DTX, not joined yet — is simply not set),
/// 2. calls `mix()`,
/// 3. reads each listener's frame with `withOutput(for:_:)` or `copyOutput(for:into:)`
///    (valid until the next `mix()`), and may feed `audioLevel(for:)` to an
///    `ActiveSpeakerDetector`.
///
/// `mix()` applies each participant's gain and mute, keeps only the `maximumMixed`
/// loudest contributors (loudness is the RFC 6464 level given with the frame, or else the
/// frame's RMS; ties go to a contributor already in the mix, then to the lower index),
/// sums them once, subtracts each listener's own contribution (a listener among the
/// loudest hears the others of them; any other listener hears all of them) and passes
/// each output through a `SoftLimiter`. Inputs are consumed: after `mix()` no participant
/// has an input until set again.
///
/// Every buffer is allocated in `init`; `setInput`, `mix`, `withOutput` and
/// `copyOutput` do no heap allocation. Not thread-safe: use it from the media thread.
public final class AudioMixer {
    public let participants: Int
    /// Samples per channel in one frame.
    public let frameSize: Int
    public let channels: Int
    /// How many of the loudest contributors are mixed (at most `participants`).
    public let maximumMixed: Int
    public let limiter: SoftLimiter
    /// Interleaved samples in one frame: `frameSize * channels`.
    public let samplesPerFrame: Int

    private let inputs: UnsafeMutableBufferPointer<Float>   // participants × samplesPerFrame
    private let outputs: UnsafeMutableBufferPointer<Float>  // participants × samplesPerFrame
    private let sum: UnsafeMutableBufferPointer<Float>      // samplesPerFrame
    private let gains: UnsafeMutableBufferPointer<Float>
    private let muted: UnsafeMutableBufferPointer<Bool>
    private let present: UnsafeMutableBufferPointer<Bool>
    private let givenLevels: UnsafeMutableBufferPointer<UInt8> // 255 = none given
    private let loudness: UnsafeMutableBufferPointer<Float>  // linear RMS of the last frame, after gain
    private let inMix: UnsafeMutableBufferPointer<Bool>
    private let wasInMix: UnsafeMutableBufferPointer<Bool>
    private let ranking: UnsafeMutableBufferPointer<Int>    // maximumMixed slots
    private let levelAmplitude: UnsafeMutableBufferPointer<Float> // RFC 6464 level -> linear RMS
    private var mixedCount = 0

    /// - Parameters:
    ///   - participants: how many people are in the call (listeners and talkers), ≥ 1.
    ///   - frameSize: samples per channel in one frame (960 for 20 ms at 48 kHz).
    ///   - channels: interleaved channels, ≥ 1.
    ///   - maximumMixed: how many of the loudest contributors to mix (≥ 1); pass
    ///     `participants` to mix everyone.
    ///   - limiter: the soft limiter applied to each output.
    public init(participants: Int, frameSize: Int, channels: Int, maximumMixed: Int = 3,
                limiter: SoftLimiter = .standard) throws(ConferenceError) {
        guard participants >= 1, participants <= 1024 else {
            throw .invalidAudioSetting(field: "participants", value: "\(participants)", expected: "between 1 and 1024")
        }
        guard frameSize >= 1, frameSize <= 48_000 else {
            throw .invalidAudioSetting(field: "frameSize", value: "\(frameSize)", expected: "samples per channel, between 1 and 48000")
        }
        guard channels >= 1, channels <= 8 else {
            throw .invalidAudioSetting(field: "channels", value: "\(channels)", expected: "between 1 and 8")
        }
        guard maximumMixed >= 1 else {
            throw .invalidAudioSetting(field: "maximumMixed", value: "\(maximumMixed)", expected: "at least 1 (the number of loudest talkers mixed)")
        }
        self.participants = participants
        self.frameSize = frameSize
        self.channels = channels
        self.maximumMixed = min(maximumMixed, participants)
        self.limiter = limiter
        samplesPerFrame = frameSize * channels

        func buffer<T>(_ count: Int, _ value: T) -> UnsafeMutableBufferPointer<T> {
            let pointer = UnsafeMutableBufferPointer<T>.allocate(capacity: count)
            pointer.initialize(repeating: value)
            return pointer
        }
        inputs = buffer(participants * samplesPerFrame, 0)
        outputs = buffer(participants * samplesPerFrame, 0)
        sum = buffer(samplesPerFrame, 0)
        gains = buffer(participants, 1)
        muted = buffer(participants, false)
        present = buffer(participants, false)
        givenLevels = buffer(participants, 255)
        loudness = buffer(participants, 0)
        inMix = buffer(participants, false)
        wasInMix = buffer(participants, false)
        ranking = buffer(self.maximumMixed, 0)
        levelAmplitude = buffer(128, 0)
        // 10^(-level/20), from the emulator's libm-free exp; level 127 means silence.
        var level = 0
        while level < 127 {
            levelAmplitude[level] = Float(EmulatorMath.exp(-Double(level) / 20 * 2.302_585_092_994_045_684))
            level += 1
        }
    }

    deinit {
        inputs.deallocate(); outputs.deallocate(); sum.deallocate()
        gains.deallocate(); muted.deallocate(); present.deallocate(); givenLevels.deallocate()
        loudness.deallocate(); inMix.deallocate(); wasInMix.deallocate(); ranking.deallocate()
        levelAmplitude.deallocate()
    }

    // MARK: Settings

    /// A linear gain applied to `participant`'s contribution (1 = unchanged; 0...16).
    public func setGain(_ gain: Float, for participant: Int) throws(ConferenceError) {
        try check(participant)
        guard gain.isFinite, gain >= 0, gain <= 16 else {
            throw .invalidAudioSetting(field: "gain", value: "\(gain)", expected: "a linear gain between 0 and 16")
        }
        gains[participant] = gain
    }

    public func gain(for participant: Int) -> Float {
        participant >= 0 && participant < participants ? gains[participant] : 0
    }

    /// A muted participant contributes nothing (they still hear the others).
    public func setMuted(_ isMuted: Bool, for participant: Int) throws(ConferenceError) {
        try check(participant)
        muted[participant] = isMuted
    }

    public func isMuted(_ participant: Int) -> Bool {
        participant >= 0 && participant < participants ? muted[participant] : false
    }

    // MARK: Per tick

    /// Copies `participant`'s frame for the next `mix()`. `audioLevel` is its RFC 6464
    /// level (-dBov, 0...127, 127 = silence) when the sender gave one; otherwise the mixer
    /// measures the frame's RMS. Non-finite samples are taken as 0.
    public func setInput(_ samples: UnsafeBufferPointer<Float>, for participant: Int,
                         audioLevel: UInt8? = nil) throws(ConferenceError) {
        try check(participant)
        guard samples.count == samplesPerFrame else {
            throw .invalidAudioSetting(field: "frame", value: "\(samples.count) samples",
                                       expected: "\(samplesPerFrame) interleaved samples (\(frameSize) × \(channels) channels)")
        }
        if let audioLevel, audioLevel > 127 {
            throw .invalidAudioSetting(field: "audioLevel", value: "\(audioLevel)", expected: "an RFC 6464 level, 0...127 (-dBov)")
        }
        let base = participant * samplesPerFrame
        var index = 0
        while index < samplesPerFrame {
            let x = samples[index]
            inputs[base + index] = x.isFinite ? x : 0
            index += 1
        }
        present[participant] = true
        givenLevels[participant] = audioLevel ?? 255
    }

    /// Gives the RFC 6464 level (-dBov, 0...127) of `participant`'s input set this tick,
    /// when it is known only after the frame was set (a jitter buffer says which packet it
    /// played); the mixer then ranks it by this level instead of measuring its RMS.
    public func setAudioLevel(_ level: UInt8, for participant: Int) throws(ConferenceError) {
        try check(participant)
        guard level <= 127 else {
            throw .invalidAudioSetting(field: "audioLevel", value: "\(level)", expected: "an RFC 6464 level, 0...127 (-dBov)")
        }
        givenLevels[participant] = level
    }

    /// Lets `body` write `participant`'s frame straight into the mixer's input slot
    /// (`samplesPerFrame` interleaved samples; a jitter buffer pulling into it), then counts
    /// it as set for the next `mix()`. Unlike `setInput`, the samples are not checked: the
    /// writer must give finite values (a decoder's output is). Allocates nothing.
    public func withInputSlot<R>(for participant: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) throws -> R {
        try check(participant)
        let slot = UnsafeMutableBufferPointer(start: inputs.baseAddress! + participant * samplesPerFrame, count: samplesPerFrame)
        let result = try body(slot)
        present[participant] = true
        givenLevels[participant] = 255
        return result
    }

    /// `setInput` for an array.
    public func setInput(_ samples: [Float], for participant: Int, audioLevel: UInt8? = nil) throws(ConferenceError) {
        try samples.withUnsafeBufferPointer { (pointer) throws(ConferenceError) in
            try setInput(pointer, for: participant, audioLevel: audioLevel)
        }
    }

    /// Mixes the inputs set since the last `mix()` into every listener's output, then
    /// clears the inputs.
    public func mix() { mix(onlyFor: nil) }

    /// Like `mix()`, but computes only `listener`'s output (the others keep their last
    /// output): what one participant of a mesh call needs from its own mixer, whose own
    /// slot stays empty because it never receives itself.
    public func mix(onlyFor: Int?) {
        let frame = samplesPerFrame
        // 1. Loudness of each contribution, after gain and mute.
        var p = 0
        while p < participants {
            wasInMix[p] = inMix[p]
            inMix[p] = false
            var value: Float = 0
            if present[p] && !muted[p] && gains[p] > 0 {
                let level = givenLevels[p]
                if level <= 127 {
                    value = levelAmplitude[Int(level)] * gains[p]
                } else {
                    value = rms(participant: p) * gains[p]
                }
            }
            loudness[p] = value
            p += 1
        }
        // 2. The K loudest (insertion into a K-slot ranking: O(N·K)).
        mixedCount = 0
        p = 0
        while p < participants {
            if loudness[p] > 0 {
                var slot = mixedCount
                while slot > 0 && louder(p, than: ranking[slot - 1]) { slot -= 1 }
                if slot < maximumMixed {
                    var move = Swift.min(mixedCount, maximumMixed - 1)
                    while move > slot { ranking[move] = ranking[move - 1]; move -= 1 }
                    ranking[slot] = p
                    if mixedCount < maximumMixed { mixedCount += 1 }
                }
            }
            p += 1
        }
        // 3. Sum the mixed contributions once (the loudest writes, the others add).
        var index = 0
        if mixedCount == 0 {
            while index < frame { sum[index] = 0; index += 1 }
        }
        var rank = 0
        while rank < mixedCount {
            let talker = ranking[rank]
            inMix[talker] = true
            let gain = gains[talker]
            let base = talker * frame
            index = 0
            if rank == 0 {
                while index < frame { sum[index] = gain * inputs[base + index]; index += 1 }
            } else {
                while index < frame { sum[index] += gain * inputs[base + index]; index += 1 }
            }
            rank += 1
        }
        // 4. Each listener: the sum minus their own contribution, limited.
        var listener = 0
        while listener < participants {
            if let onlyFor, onlyFor != listener {
                present[listener] = false
                listener += 1
                continue
            }
            let base = listener * frame
            if inMix[listener] {
                let gain = gains[listener]
                index = 0
                while index < frame { outputs[base + index] = sum[index] - gain * inputs[base + index]; index += 1 }
            } else {
                index = 0
                while index < frame { outputs[base + index] = sum[index]; index += 1 }
            }
            limit(UnsafeMutableBufferPointer(rebasing: outputs[base..<(base + frame)]))
            present[listener] = false
            listener += 1
        }
    }

    /// The limiter over one output frame: a frame whose peak is within the threshold (the
    /// usual case) passes as it is after one vectorizable scan; otherwise every sample
    /// goes through `SoftLimiter.apply` (which also zeroes non-finite samples).
    private func limit(_ frame: UnsafeMutableBufferPointer<Float>) {
        var peak: Float = 0, total: Float = 0
        var i = 0
        while i < frame.count {
            let v = frame[i]
            let m = Swift.abs(v)
            peak = m > peak ? m : peak
            total += v  // NaN or infinity anywhere makes it non-finite
            i += 1
        }
        if peak <= limiter.threshold && total.isFinite { return }
        i = 0
        while i < frame.count { frame[i] = limiter.apply(frame[i]); i += 1 }
    }

    /// Calls `body` with `listener`'s last mixed frame (valid only inside `body`); an
    /// index outside `0..<participants` gets an empty buffer.
    public func withOutput<R, E: Error>(for listener: Int,
                                        _ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        guard listener >= 0 && listener < participants else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        let start = outputs.baseAddress! + listener * samplesPerFrame
        return try body(UnsafeBufferPointer(start: start, count: samplesPerFrame))
    }

    /// Copies `listener`'s last mixed frame into `destination` (at least `samplesPerFrame`).
    public func copyOutput(for listener: Int, into destination: UnsafeMutableBufferPointer<Float>) throws(ConferenceError) {
        try check(listener)
        guard destination.count >= samplesPerFrame else {
            throw .invalidAudioSetting(field: "output buffer", value: "\(destination.count) samples",
                                       expected: "room for \(samplesPerFrame) samples")
        }
        let base = listener * samplesPerFrame
        var index = 0
        while index < samplesPerFrame { destination[index] = outputs[base + index]; index += 1 }
    }

    /// `listener`'s last mixed frame as an array (allocates; for tests and offline use).
    public func output(for listener: Int) -> [Float] {
        withOutput(for: listener) { Array($0) }
    }

    /// Whether `participant` was among the mixed contributors in the last `mix()`.
    public func isMixed(_ participant: Int) -> Bool {
        participant >= 0 && participant < participants ? inMix[participant] : false
    }

    /// The RFC 6464 level (-dBov, 0...127) of `participant`'s contribution in the last
    /// `mix()` (after gain and mute; 127 when silent, muted or absent), for an
    /// `ActiveSpeakerDetector`.
    public func audioLevel(for participant: Int) -> UInt8 {
        guard participant >= 0 && participant < participants else { return 127 }
        return ActiveSpeakerDetector.audioLevel(rms: loudness[participant])
    }

    /// Array convenience: sets every non-nil frame (with its optional level), mixes, and
    /// returns each listener's output (allocates).
    public func mix(_ frames: [[Float]?], audioLevels: [UInt8?]? = nil) throws(ConferenceError) -> [[Float]] {
        guard frames.count == participants else {
            throw .invalidAudioSetting(field: "frames", value: "\(frames.count)", expected: "one entry (or nil) per participant, \(participants)")
        }
        if let audioLevels, audioLevels.count != participants {
            throw .invalidAudioSetting(field: "audioLevels", value: "\(audioLevels.count)", expected: "one entry (or nil) per participant, \(participants)")
        }
        for participant in 0..<participants {
            if let frame = frames[participant] {
                try setInput(frame, for: participant, audioLevel: audioLevels?[participant] ?? nil)
            }
        }
        mix()
        return (0..<participants).map { output(for: $0) }
    }

    // MARK: Helpers

    private func check(_ participant: Int) throws(ConferenceError) {
        guard participant >= 0 && participant < participants else {
            throw .invalidAudioSetting(field: "participant", value: "\(participant)", expected: "an index in 0..<\(participants)")
        }
    }

    /// Ranking order: louder first; on equal loudness one already in the mix, then the lower index.
    @inline(__always)
    private func louder(_ a: Int, than b: Int) -> Bool {
        if loudness[a] != loudness[b] { return loudness[a] > loudness[b] }
        if wasInMix[a] != wasInMix[b] { return wasInMix[a] }
        return a < b
    }

    private func rms(participant: Int) -> Float {
        let base = participant * samplesPerFrame
        var energy: Float = 0
        var index = 0
        while index < samplesPerFrame {
            let x = inputs[base + index]
            energy += x * x
            index += 1
        }
        return (energy / Float(samplesPerFrame)).squareRoot()
    }
}
