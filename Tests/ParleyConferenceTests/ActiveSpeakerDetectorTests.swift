import ParleyConference
import Testing

@Suite("ActiveSpeakerDetector: hysteresis on RFC 6464 levels")
struct ActiveSpeakerDetectorTests {
    /// A small deterministic wobble (±2 dB) so levels are not flat lines.
    static func wobble(_ frame: Int, _ who: Int) -> Int { [0, 2, -1, 1, -2, 0, 1, -1][(frame * 3 + who * 5) % 8] }

    /// Runs `seconds` of 20 ms frames; `level(frame, participant)` gives each RFC 6464 level.
    static func run(_ detector: ActiveSpeakerDetector, seconds: Double,
                    level: (Int, Int) -> Int) throws -> [ActiveSpeakerEvent] {
        var events: [ActiveSpeakerEvent] = []
        let frames = Int((seconds / 0.02).rounded())
        for frame in 0..<frames {
            for p in 0..<detector.participants {
                try detector.setLevel(UInt8(max(0, min(127, level(frame, p)))), for: p)
            }
            if let event = detector.advance() { events.append(event) }
        }
        return events
    }

    @Test("Scripted talkers: A 0–2 s (with a pause), B 2–4 s (a cough from C), then A and B equally loud")
    func scriptedConversation() throws {
        let detector = try ActiveSpeakerDetector(participants: 3)
        let (a, b) = (0, 1)  // and C = 2, background noise
        let events = try Self.run(detector, seconds: 6) { frame, p in
            let t = Double(frame) * 0.02
            let speech = 20 + Self.wobble(frame, p)
            switch p {
            case a:
                if t < 2 { return t >= 0.8 && t < 1.0 ? 127 : speech }   // a 200 ms pause at 0.8 s
                return t >= 4 ? 25 + Self.wobble(frame, p) : 127
            case b:
                if t >= 2 && t < 4 { return speech }
                return t >= 4 ? 25 + Self.wobble(frame, p) : 127
            default:
                // Background noise at -70 dBov, and a 100 ms cough at 3.0 s louder than B.
                return t >= 3 && t < 3.1 ? 8 : 70 + Self.wobble(frame, p)
            }
        }
        // A takes the role ~0.3 s after starting, B ~0.3 s after A stops (0.34 and 2.34 s
        // here: the hold plus one frame of attack); nothing else.
        #expect(events.count == 2, "\(events)")
        #expect(events.first?.participant == a && events.first?.previous == nil)
        #expect(events.count == 2 && events[1].participant == b && events[1].previous == a)
        if events.count == 2 {
            #expect(events[0].time >= 0.3 && events[0].time <= 0.36, "\(events[0])")
            #expect(events[1].time >= 2.3 && events[1].time <= 2.42, "\(events[1])")
        }
        #expect(detector.activeSpeaker == b)
        #expect(detector.changes == 2)
        #expect(abs(detector.time - 6) < 1e-9)
    }

    @Test("Alternating loudness shorter than the hold never flaps; held longer, it switches")
    func noFlapping() throws {
        let detector = try ActiveSpeakerDetector(participants: 2)
        // 0–1 s: A alone, so A becomes speaker. Then A and B trade 10 dB every 200 ms.
        let events = try Self.run(detector, seconds: 5) { frame, p in
            let t = Double(frame) * 0.02
            if t < 1 { return p == 0 ? 20 : 127 }
            let aLouder = Int((t - 1) / 0.2) % 2 == 0
            return (p == 0) == aLouder ? 20 : 30
        }
        #expect(events.map(\.participant) == [0])
        // Now B holds 10 dB above A for 600 ms: it switches once.
        let more = try Self.run(detector, seconds: 0.6) { _, p in p == 1 ? 20 : 30 }
        #expect(more.map(\.participant) == [1])
    }

    @Test("Silence everywhere keeps the last speaker; quiet background never takes the role")
    func silenceAndBackground() throws {
        let detector = try ActiveSpeakerDetector(participants: 3)
        _ = try Self.run(detector, seconds: 1) { _, p in p == 2 ? 25 : 127 }
        #expect(detector.activeSpeaker == 2)
        // Participant 0 alone, but only at -75 dBov background: below the activity threshold.
        let events = try Self.run(detector, seconds: 3) { _, p in p == 0 ? 75 : 127 }
        #expect(events.isEmpty && detector.activeSpeaker == 2)
        // A fresh detector with only background noise has no speaker at all.
        let fresh = try ActiveSpeakerDetector(participants: 2)
        #expect(try Self.run(fresh, seconds: 2) { _, _ in 80 }.isEmpty && fresh.activeSpeaker == nil)
    }

    @Test("RMS to RFC 6464 level, and levels measured from frames drive the detector")
    func rmsLevels() throws {
        #expect(ActiveSpeakerDetector.audioLevel(rms: 1) == 0)
        #expect(ActiveSpeakerDetector.audioLevel(rms: 0.1) == 20)
        #expect(ActiveSpeakerDetector.audioLevel(rms: 0.01) == 40)
        #expect(ActiveSpeakerDetector.audioLevel(rms: 2) == 0)
        #expect(ActiveSpeakerDetector.audioLevel(rms: 0) == 127)
        #expect(ActiveSpeakerDetector.audioLevel(rms: 1e-9) == 127)
        #expect(ActiveSpeakerDetector.audioLevel(rms: .nan) == 127)
        let detector = try ActiveSpeakerDetector(participants: 2, holdTime: 0.1)
        var event: ActiveSpeakerEvent?
        for _ in 0..<10 {
            try detector.setLevel(rms: 0.001, for: 0)
            try detector.setLevel(rms: 0.2, for: 1)
            event = detector.advance() ?? event
        }
        #expect(event?.participant == 1)
        #expect(throws: ConferenceError.self) { try detector.setLevel(10, for: 2) }
        #expect(throws: ConferenceError.self) { try ActiveSpeakerDetector(participants: 2, frameDuration: 0) }
        #expect(throws: ConferenceError.self) { try detector.update(levels: [1]) }
    }
}
