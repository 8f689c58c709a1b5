import ParleyConference
import ParleyTestSupport
import Testing

@Suite("Mixer and speaker detector: no heap allocation per 20 ms tick")
struct MixerAllocationTests {
    @Test("500 ticks of 8 participants (set inputs, mix, copy outputs, detect the speaker) allocate nothing")
    func zeroAllocations() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let participants = 8, frameSize = 960, channels = 2
        let mixer = try AudioMixer(participants: participants, frameSize: frameSize, channels: channels)
        let detector = try ActiveSpeakerDetector(participants: participants)
        try mixer.setGain(0.7, for: 2)
        try mixer.setMuted(true, for: 5)
        let frames = (0..<participants).map {
            MixerTestSignals.frame(participant: $0, frame: 0, frameSize: frameSize, channels: channels, amplitude: $0 == 3 ? 0.3 : 0.02)  // 3 is the clear talker
        }
        let inputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: participants * mixer.samplesPerFrame)
        defer { inputs.deallocate() }
        for p in 0..<participants {
            for i in 0..<mixer.samplesPerFrame { inputs[p * mixer.samplesPerFrame + i] = frames[p][i] }
        }
        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: mixer.samplesPerFrame)
        defer { output.deallocate() }
        var checksum: Float = 0
        var changes = 0
        var failures = 0

        func tick(_ index: Int) {
            do throws(ConferenceError) {
                var p = 0
                while p < participants {
                    if p == 3 || (index + p) % 7 != 0 {  // someone is missing now and then
                        let frame = UnsafeBufferPointer(rebasing: inputs[(p * mixer.samplesPerFrame)..<((p + 1) * mixer.samplesPerFrame)])
                        try mixer.setInput(frame, for: p, audioLevel: p == 1 ? UInt8(40 + index % 20) : nil)
                    }
                    p += 1
                }
                mixer.mix()
                p = 0
                while p < participants {
                    try mixer.copyOutput(for: p, into: output)
                    checksum += output[index % mixer.samplesPerFrame]
                    checksum += mixer.withOutput(for: p) { $0[7] }
                    try detector.setLevel(mixer.audioLevel(for: p), for: p)
                    p += 1
                }
                if detector.advance() != nil { changes += 1 }
            } catch {
                failures += 1
            }
        }
        tick(0)  // warm up (one-time runtime metadata)
        let allocations = AllocationCounter.count {
            for index in 1...500 { tick(index) }
        }
        #expect(failures == 0)
        #expect(checksum != 0)
        #expect(changes == 1 && detector.activeSpeaker == 3)
        #expect(allocations == 0, "\(allocations) heap allocations in 500 ticks")
    }

    @Test("The counter sees the allocating array convenience (the test can fail)")
    func counterSeesAllocations() throws {
        try #require(AllocationCounter.isActive)
        let mixer = try AudioMixer(participants: 3, frameSize: 160, channels: 1)
        let frame = [Float](repeating: 0.1, count: 160)
        let allocations = AllocationCounter.count {
            _ = try? mixer.mix([frame, frame, nil])
        }
        #expect(allocations > 0)
    }
}
