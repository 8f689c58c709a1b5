/// Video freezes as webrtc-stats defines them (W3C webrtc-stats, `freezeCount`): a frame
/// duration — the time between two consecutively rendered frames — that is at least
/// `max(3 × average, average + 150 ms)`, where the average is the linear average of the
/// durations of the last 30 rendered frames. Also the `totalFramesDuration` and the
/// sum of the squared durations (`totalSquaredInterFrameDelay`) and the pauses (no frame
/// for 5 s or more, counted as pauses, not freezes).
public struct FreezeDetector: Sendable, Equatable, Codable {
    public static let window = 30
    public static let pauseThreshold = 5.0

    public private(set) var freezeCount = 0
    public private(set) var totalFreezesDuration = 0.0
    public private(set) var pauseCount = 0
    public private(set) var totalPausesDuration = 0.0
    public private(set) var framesRendered = 0
    public private(set) var totalInterFrameDelay = 0.0
    public private(set) var totalSquaredInterFrameDelay = 0.0
    private var lastRender: Double?
    private var recent: [Double] = []
    private var next = 0

    public init() {}

    /// The average of the last (up to 30) frame durations, seconds.
    public var averageFrameDuration: Double? {
        recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
    }

    /// A frame was rendered at `time` (seconds). Returns true if the gap before it was a freeze.
    @discardableResult
    public mutating func frameRendered(at time: Double) -> Bool {
        framesRendered += 1
        defer { lastRender = time }
        guard let last = lastRender else { return false }
        let duration = max(0, time - last)
        totalInterFrameDelay += duration
        totalSquaredInterFrameDelay += duration * duration
        var froze = false
        if duration >= Self.pauseThreshold {
            pauseCount += 1
            totalPausesDuration += duration
        } else if let average = averageFrameDuration, duration >= max(3 * average, average + 0.150) {
            freezeCount += 1
            totalFreezesDuration += duration
            froze = true
        }
        if recent.count < Self.window {
            recent.append(duration)
        } else {
            recent[next] = duration
            next = (next + 1) % Self.window
        }
        return froze
    }
}
