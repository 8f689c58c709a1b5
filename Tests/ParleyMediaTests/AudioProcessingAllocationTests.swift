@testable import ParleyMedia
import ParleyTestSupport
import Testing

private typealias S = AudioTestSignals

/// The media path rule: once a stream has started, processing a frame allocates nothing.
@Suite struct AudioProcessingAllocationTests {
    @Test("steady-state AEC + preprocess (Float and 16-bit paths) allocate nothing on the heap")
    func noAllocationPerFrame() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let speech = try S.speech()
        let echo = S.convolve(Array(speech[0..<(3 * S.rate)]), S.roomImpulseResponse())
        let chain = try CaptureProcessor(configuration: .device)
        let canceller = try EchoCanceller(configuration: .device)
        let preprocessor = try AudioPreprocessor(configuration: .device, echoCanceller: canceller)
        var capture = [Float](repeating: 0, count: S.frame), far = capture, out = capture
        var capture16 = [Int16](repeating: 0, count: S.frame), far16 = capture16, out16 = capture16

        func oneFrame(_ index: Int) throws {
            let start = (index * S.frame) % (echo.count - S.frame)
            for i in 0..<S.frame {
                capture[i] = echo[start + i]
                far[i] = speech[start + i]
                capture16[i] = Int16(capture[i] * 32767)
                far16[i] = Int16(far[i] * 32767)
            }
            _ = try chain.process(capture: capture, farEnd: far, into: &out)
            try canceller.process(capture: capture16, farEnd: far16, into: &out16)
            _ = try preprocessor.process(&out16)
            _ = preprocessor.speechProbability
            _ = preprocessor.agcGainDecibels
        }
        for i in 0..<10 { try oneFrame(i) }   // warm-up
        var failure: Error?
        let allocations = AllocationCounter.count {
            do { for i in 10..<300 { try oneFrame(i) } } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(allocations == 0, "\(allocations) heap allocations in 290 frames")
    }
}
