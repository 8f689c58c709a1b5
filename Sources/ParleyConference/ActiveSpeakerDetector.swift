/// A change of active speaker: `participant` took the role from `previous` (nil for the
/// first speaker of the call) at media time `time` (seconds since the detector started:
/// the end of the frame that completed the hold).
public struct ActiveSpeakerEvent: Sendable, Equatable, CustomStringConvertible {
    public let participant: Int
    public let previous: Int?
    public let time: Double

    public init(participant: Int, previous: Int?, time: Double) {
        self.participant = participant
        self.previous = previous
        self.time = time
    }

    public var description: String {
        "active speaker \(participant) at \(time) s" + (previous.map { " (was \($0))" } ?? "")
    }
}

/// Picks the active speaker of a conference from per-participant audio levels, one per
/// frame (RFC 6464: -dBov, 0...127, 127 = silence — what the audio-level header
/// extension carries — or measured from the frame's RMS).
///
/// Each participant's level is smoothed in dB with a fast attack and a slower release.
/// A participant becomes a candidate when their smoothed level is above the activity
/// threshold and at least `margin` dB above every other participant's; a candidate that
/// stays a candidate for `holdTime` becomes the active speaker. The current speaker keeps
/// the role through pauses, through equal levels and through interjections shorter than
/// the hold: nothing changes until someone else is clearly loudest for long enough.
/// When everyone is quiet the last speaker stays.
///
/// Per tick (every `frameDuration`): `setLevel(_:for:)` (or `setLevel(rms:for:)`) for each
/// participant that sent audio, then `advance()`, which returns an event when the speaker
/// changed. Participants not set in a tick count as silent. No heap allocation per tick.
/// Not thread-safe: use it from the media thread.
public final class ActiveSpeakerDetector {
    public let participants: Int
    public let frameDuration: Double
    public let holdTime: Double
    /// dB by which a candidate must exceed every other participant.
    public let margin: Double
    /// Highest RFC 6464 level (-dBov) that counts as speech; quieter is background.
    public let activityThreshold: UInt8
    /// Smoothing factors per frame, rising and falling.
    public let attack: Double
    public let release: Double

    public private(set) var activeSpeaker: Int?
    /// Frames processed so far.
    public private(set) var frames = 0
    /// Speaker changes so far (including the first speaker).
    public private(set) var changes = 0
    /// Media time after the frames processed so far.
    public var time: Double { Double(frames) * frameDuration }

    private let levels: UnsafeMutableBufferPointer<UInt8>
    private let smoothed: UnsafeMutableBufferPointer<Double>
    private let holdFrames: Int
    private var candidate = -1
    private var candidateFrames = 0

    public init(participants: Int, frameDuration: Double = 0.020, holdTime: Double = 0.300,
                margin: Double = 6, activityThreshold: UInt8 = 60,
                attack: Double = 0.6, release: Double = 0.15) throws(ConferenceError) {
        guard participants >= 1, participants <= 1024 else {
            throw .invalidAudioSetting(field: "participants", value: "\(participants)", expected: "between 1 and 1024")
        }
        guard frameDuration.isFinite, frameDuration > 0, frameDuration <= 1 else {
            throw .invalidAudioSetting(field: "frameDuration", value: "\(frameDuration)", expected: "seconds per frame, e.g. 0.02")
        }
        guard holdTime.isFinite, holdTime >= 0, holdTime <= 60 else {
            throw .invalidAudioSetting(field: "holdTime", value: "\(holdTime)", expected: "seconds between 0 and 60, e.g. 0.3")
        }
        guard margin.isFinite, margin >= 0, margin <= 60 else {
            throw .invalidAudioSetting(field: "margin", value: "\(margin)", expected: "dB between 0 and 60, e.g. 6")
        }
        guard activityThreshold <= 127 else {
            throw .invalidAudioSetting(field: "activityThreshold", value: "\(activityThreshold)", expected: "an RFC 6464 level, 0...127")
        }
        guard attack > 0, attack <= 1, release > 0, release <= 1 else {
            throw .invalidAudioSetting(field: "attack/release", value: "\(attack)/\(release)", expected: "smoothing factors in (0, 1]")
        }
        self.participants = participants
        self.frameDuration = frameDuration
        self.holdTime = holdTime
        self.margin = margin
        self.activityThreshold = activityThreshold
        self.attack = attack
        self.release = release
        // At least one frame; the small epsilon keeps 0.3 / 0.02 at 15 frames.
        holdFrames = Swift.max(1, Int((holdTime / frameDuration + 1e-9).rounded(.up)))
        levels = .allocate(capacity: participants)
        levels.initialize(repeating: 127)
        smoothed = .allocate(capacity: participants)
        smoothed.initialize(repeating: -127)
    }

    deinit {
        levels.deallocate()
        smoothed.deallocate()
    }

    /// `participant`'s RFC 6464 level for this frame (values above 127 count as 127).
    public func setLevel(_ level: UInt8, for participant: Int) throws(ConferenceError) {
        try check(participant)
        levels[participant] = Swift.min(level, 127)
    }

    /// `participant`'s level for this frame from the frame's RMS (1.0 = full scale).
    public func setLevel(rms: Float, for participant: Int) throws(ConferenceError) {
        try setLevel(Self.audioLevel(rms: rms), for: participant)
    }

    /// Ends the frame: smooths the levels, runs the hysteresis, and returns the change
    /// of speaker this frame caused, if any. Then every level resets to silence.
    public func advance() -> ActiveSpeakerEvent? {
        frames += 1
        var loudest = -1
        var loudestLevel = -Double.infinity
        var secondLevel = -Double.infinity
        var p = 0
        while p < participants {
            let x = -Double(levels[p])
            let factor = x > smoothed[p] ? attack : release
            smoothed[p] += factor * (x - smoothed[p])
            let s = smoothed[p]
            if s > loudestLevel {
                secondLevel = loudestLevel
                loudestLevel = s
                loudest = p
            } else if s > secondLevel {
                secondLevel = s
            }
            levels[p] = 127
            p += 1
        }
        let qualifies = loudest >= 0 && loudest != activeSpeaker
            && loudestLevel >= -Double(activityThreshold)
            && loudestLevel - secondLevel >= margin
        guard qualifies else {
            candidate = -1
            candidateFrames = 0
            return nil
        }
        if loudest == candidate {
            candidateFrames += 1
        } else {
            candidate = loudest
            candidateFrames = 1
        }
        guard candidateFrames >= holdFrames else { return nil }
        let event = ActiveSpeakerEvent(participant: loudest, previous: activeSpeaker, time: time)
        activeSpeaker = loudest
        changes += 1
        candidate = -1
        candidateFrames = 0
        return event
    }

    /// One frame from an array of levels (one per participant).
    public func update(levels frameLevels: [UInt8]) throws(ConferenceError) -> ActiveSpeakerEvent? {
        guard frameLevels.count == participants else {
            throw .invalidAudioSetting(field: "levels", value: "\(frameLevels.count)", expected: "one level per participant, \(participants)")
        }
        var p = 0
        while p < participants {
            levels[p] = Swift.min(frameLevels[p], 127)
            p += 1
        }
        return advance()
    }

    /// `participant`'s smoothed level in dBov (-127 = silence).
    public func smoothedLevel(for participant: Int) -> Double {
        participant >= 0 && participant < participants ? smoothed[participant] : -127
    }

    /// The RFC 6464 level of a frame whose RMS is `rms` (1.0 = full scale): -20·log10(rms)
    /// rounded, clamped to 0...127; 127 for silence or a non-finite value.
    public static func audioLevel(rms: Float) -> UInt8 {
        guard rms.isFinite, rms > 0 else { return 127 }
        let dB = 20 * EmulatorMath.log(Double(rms)) / 2.302_585_092_994_045_684
        let level = (-dB).rounded()
        if level <= 0 { return 0 }
        if level >= 127 { return 127 }
        return UInt8(level)
    }

    private func check(_ participant: Int) throws(ConferenceError) {
        guard participant >= 0 && participant < participants else {
            throw .invalidAudioSetting(field: "participant", value: "\(participant)", expected: "an index in 0..<\(participants)")
        }
    }
}
