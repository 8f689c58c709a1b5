import Foundation
@testable import ParleyMedia
import ParleyTestSupport
import Testing

private typealias D = ALSATestDevices

/// design.md: no heap allocation per frame on the media path in steady state — neither in
/// the device loop (ALSA transfer, conversion, resampling, ring) nor on the media side.
/// The device loop runs on the test thread here so the per-thread counter sees it.
@Suite struct ALSAAllocationTests {
    @Test func playbackLoopAndWriteDoNotAllocate() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let devices = try D()
        var configuration = devices.configuration(rate: 44_100)
        configuration.pacing = .device // null never blocks: run flat out
        let playback = try ALSAPlayback(device: D.device("parley_out"), configuration: configuration)
        let block = MediaTestHelpers.sine(frequency: 1000, rate: 48_000, frames: 960)
        block.withUnsafeBufferPointer { b in
            for _ in 0..<20 {
                playback.write(b)
                playback.runDeviceLoopHere(periods: 2)
            }
        }
        let allocations = block.withUnsafeBufferPointer { b in
            AllocationCounter.count {
                for _ in 0..<200 {
                    playback.write(b)
                    playback.runDeviceLoopHere(periods: 2)
                    playback.runDeviceLoopHere(periods: 1) // an underflow period too
                }
            }
        }
        #expect(allocations == 0)
        #expect(playback.stats.deviceFrames > 200 * 3 * 400)
        #expect(playback.stats.underflows > 0)
    }

    @Test func captureLoopAndReadDoNotAllocate() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let devices = try D()
        try D.writeS16(devices.inPath, MediaTestHelpers.sine(frequency: 440, rate: 44_100, frames: 441_000))
        var configuration = devices.configuration(rate: 44_100)
        configuration.pacing = .device
        let capture = try ALSACapture(device: D.device("parley_in"), configuration: configuration)
        var block = [Float](repeating: 0, count: 960)
        block.withUnsafeMutableBufferPointer { b in
            for _ in 0..<20 {
                capture.runDeviceLoopHere(periods: 2)
                capture.read(into: b)
            }
        }
        let allocations = block.withUnsafeMutableBufferPointer { b in
            AllocationCounter.count {
                for _ in 0..<200 {
                    capture.runDeviceLoopHere(periods: 2)
                    capture.read(into: b, padWithSilence: true)
                }
            }
        }
        #expect(allocations == 0)
        #expect(capture.stats.engineFrames > 200 * 900)
        #expect(block.contains { abs($0) > 0.1 }) // real audio came through
    }
}
