import Foundation
@testable import ParleyMedia
import Testing

private typealias D = ALSATestDevices

/// A capture device that fails mid-call (the PCM dropped to its SETUP state: reads give
/// -EBADFD, as for a device that went away). The `file` plugin ignores read errors on its
/// infile, so this fault is made with `breakDeviceForTesting`, on the test thread.
@Suite struct ALSACaptureLossTests {
    @Test func aCaptureDeviceThatFailsIsLostAndYieldsSilence() throws {
        let devices = try D()
        try D.writeS16(devices.inPath, MediaTestHelpers.sine(frequency: 440, rate: 48_000, frames: 48_000))
        var configuration = devices.configuration()
        configuration.pacing = .device
        let capture = try ALSACapture(device: D.device("parley_in"), configuration: configuration)
        capture.runDeviceLoopHere(periods: 3)
        #expect(capture.availableFrames == 3 * capture.periodFrames)
        #expect(!capture.isLost)
        capture.breakDeviceForTesting()
        capture.runDeviceLoopHere(periods: 1)
        #expect(capture.isLost)
        let reason = try #require(capture.lostReason)
        #expect(reason.contains("bad state"), "\(reason)")
        // The media side goes on: what was captured, then silence.
        var block = [Float](repeating: 1, count: 4 * 480)
        #expect(block.withUnsafeMutableBufferPointer { capture.read(into: $0, padWithSilence: true) } == 3 * 480)
        #expect(block[0..<1440].contains { abs($0) > 0.1 })
        #expect(block[1440...].allSatisfy { $0 == 0 })
        #expect(block.withUnsafeMutableBufferPointer { capture.read(into: $0, padWithSilence: true) } == 0)
        #expect(block.allSatisfy { $0 == 0 })
        #expect(capture.stats.isLost)
    }
}
