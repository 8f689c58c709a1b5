import Testing

@testable import ParleyPlayout

/// Frames of 3 packets each: frame i covers sequence numbers base + 3i ... base + 3i + 2.
private func frame(_ i: Int, key: Bool = false, base: Int = 1000) -> VideoFrameBuffer<Int>.Frame {
    let first = UInt16(truncatingIfNeeded: base + 3 * i)
    return .init(timestamp: UInt32(i * 3000), firstSequenceNumber: first, lastSequenceNumber: first &+ 2,
                 isKeyframe: key, payload: i)
}

private func decoded(_ actions: [VideoFrameBuffer<Int>.Action]) -> [Int] {
    actions.compactMap { if case .decode(let frame, _) = $0 { return frame.payload } else { return nil } }
}

private func requests(_ actions: [VideoFrameBuffer<Int>.Action]) -> Int {
    actions.filter { if case .requestKeyframe = $0 { return true } else { return false } }.count
}

@Suite("VideoFrameBuffer: decode order, waiting for retransmissions, keyframes")
struct VideoFrameBufferTests {
    @Test func framesCompletedOutOfOrderAreDecodedInOrder() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        #expect(decoded(buffer.poll(now: 0)) == [0])
        buffer.insert(frame(2), now: 0.066)  // frame 1's last packet is late
        #expect(decoded(buffer.poll(now: 0.066)).isEmpty, "frame 2 waits for frame 1")
        buffer.insert(frame(1), now: 0.080)
        #expect(decoded(buffer.poll(now: 0.080)) == [1, 2])
        #expect(buffer.counters.framesDecoded == 3 && buffer.counters.framesDropped == 0)
        #expect(buffer.counters.keyframeRequests == 0)
    }

    @Test func aRetransmittedFrameInTimeIsDecodedWithoutAKeyframe() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        _ = buffer.poll(now: 0)
        for i in 2...5 {
            buffer.insert(frame(i), now: Double(i) / 30)
            #expect(decoded(buffer.poll(now: Double(i) / 30)).isEmpty)
        }
        buffer.insert(frame(1), now: 0.2)  // the NACKed packet arrived, 200 ms later
        #expect(decoded(buffer.poll(now: 0.2)) == [1, 2, 3, 4, 5])
        #expect(buffer.counters.keyframeRequests == 0)
    }

    @Test func aLostFrameDropsUntilTheNextKeyframeAndAsksForOneAtMostEveryInterval() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        _ = buffer.poll(now: 0)
        buffer.insert(frame(2), now: 0.066)
        buffer.insert(frame(3), now: 0.100)
        buffer.packetsLost([UInt16(1000 + 3 + 1)])  // the NACK scheduler gave a packet of frame 1 up
        var actions = buffer.poll(now: 0.100)
        #expect(decoded(actions).isEmpty)
        #expect(requests(actions) == 1)
        #expect(buffer.counters.framesDropped == 2 && buffer.counters.framesLost == 1)
        #expect(buffer.isWaitingForKeyframe)
        buffer.insert(frame(4), now: 0.133)
        actions = buffer.poll(now: 0.133)
        #expect(decoded(actions).isEmpty && requests(actions) == 0, "no second request within the interval")
        actions = buffer.poll(now: 0.45)
        #expect(requests(actions) == 1, "asked again after the interval")
        buffer.insert(frame(5, key: true), now: 0.5)
        buffer.insert(frame(6), now: 0.53)
        actions = buffer.poll(now: 0.53)
        #expect(decoded(actions) == [5, 6])
        if case .decode(_, let startsOver) = actions[0] { #expect(startsOver) }
        #expect(!buffer.isWaitingForKeyframe)
        #expect(buffer.counters.framesDropped == 3)
    }

    @Test func aGapThatNeverFillsIsGivenUpAfterTheMaximumWait() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        _ = buffer.poll(now: 0)
        buffer.insert(frame(2), now: 0.066)
        #expect(requests(buffer.poll(now: 0.3)) == 0)
        let actions = buffer.poll(now: 0.6)
        #expect(requests(actions) == 1)
        #expect(buffer.counters.framesDropped == 1)
    }

    @Test func aKeyframeAfterAGapIsDecodedAtOnce() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        _ = buffer.poll(now: 0)
        buffer.insert(frame(3, key: true), now: 0.1)
        #expect(decoded(buffer.poll(now: 0.1)) == [3])
        buffer.insert(frame(1), now: 0.2)  // too late now
        #expect(decoded(buffer.poll(now: 0.2)).isEmpty)
        #expect(buffer.counters.framesDropped == 1)
    }

    @Test func framesBeforeTheFirstKeyframeAreDroppedAndAKeyframeIsRequested() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(7), now: 0)
        let actions = buffer.poll(now: 0)
        #expect(decoded(actions).isEmpty && requests(actions) == 1)
        buffer.insert(frame(8, key: true), now: 0.03)
        #expect(decoded(buffer.poll(now: 0.03)) == [8])
    }

    @Test func sequenceNumbersWrapAcrossFrames() {
        let buffer = VideoFrameBuffer<Int>()
        for i in 0..<6 { buffer.insert(frame(i, key: i == 0, base: 65_530), now: Double(i) / 30) }
        #expect(decoded(buffer.poll(now: 0.2)) == [0, 1, 2, 3, 4, 5])
    }

    @Test func duplicatesAreDropped() {
        let buffer = VideoFrameBuffer<Int>()
        buffer.insert(frame(0, key: true), now: 0)
        buffer.insert(frame(0, key: true), now: 0)
        #expect(decoded(buffer.poll(now: 0)) == [0])
        buffer.insert(frame(0, key: true), now: 0.1)
        #expect(buffer.counters.framesDropped == 2)
    }
}
