import Testing

@testable import ParleyPlayout

@Suite("FreezeDetector: webrtc-stats freezes")
struct FreezeDetectorTests {
    @Test func steadyFramesNeverFreeze() {
        var detector = FreezeDetector()
        for i in 0..<300 { detector.frameRendered(at: Double(i) / 30) }
        #expect(detector.freezeCount == 0)
        #expect(abs((detector.averageFrameDuration ?? 0) - 1.0 / 30) < 1e-9)
        #expect(abs(detector.totalInterFrameDelay - 299.0 / 30) < 1e-9)
    }

    @Test func aGapOfMaxThreeTimesOrPlus150msIsAFreeze() {
        var detector = FreezeDetector()
        var time = 0.0
        for _ in 0..<31 { detector.frameRendered(at: time); time += 1.0 / 30 }
        // At 30 fps the threshold is max(100 ms, 183.3 ms) = 183.3 ms.
        time += 0.170 - 1.0 / 30
        let early = detector.frameRendered(at: time)
        #expect(!early, "170 ms is not a freeze at 30 fps")
        for _ in 0..<30 { time += 1.0 / 30; detector.frameRendered(at: time) }
        time += 0.400
        let late = detector.frameRendered(at: time)
        #expect(late, "400 ms is")
        #expect(detector.freezeCount == 1)
        #expect(abs(detector.totalFreezesDuration - 0.4) < 1e-9)
        // At 5 fps, 3 × 200 ms = 600 ms rules: 500 ms is no freeze.
        var slow = FreezeDetector()
        var t = 0.0
        for _ in 0..<31 { slow.frameRendered(at: t); t += 0.2 }
        let short = slow.frameRendered(at: t + 0.3)
        let long = slow.frameRendered(at: t + 0.3 + 0.7)
        #expect(!short)
        #expect(long)
    }

    @Test func fiveSecondsWithoutFramesIsAPauseNotAFreeze() {
        var detector = FreezeDetector()
        for i in 0..<31 { detector.frameRendered(at: Double(i) / 30) }
        detector.frameRendered(at: 1 + 6)
        #expect(detector.freezeCount == 0)
        #expect(detector.pauseCount == 1)
    }
}
