import Foundation
@testable import ParleyMedia
import Testing

private typealias D = ALSATestDevices

/// Devices and settings ALSA refuses: each gives a MediaError that says what to do.
@Suite struct ALSAErrorTests {
    @Test func anUnknownDeviceIsNotFound() throws {
        let devices = try D()
        let error = MediaTestHelpers.mediaError {
            _ = try ALSAPlayback(device: D.device("parley_nosuch"), configuration: devices.configuration())
        }
        guard case .alsaDeviceNotFound(let device, let detail)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(device == "parley_nosuch")
        #expect(detail.contains("Unknown PCM parley_nosuch"), "\(detail)")
        #expect(error!.description.contains("check `aplay -L`"))
    }

    @Test func aMissingCardIsNotFound() throws {
        let error = MediaTestHelpers.mediaError {
            _ = try ALSACapture(device: D.device("hw:9,0"), configuration: ALSAConfiguration(realTimePriority: nil))
        }
        guard case .alsaDeviceNotFound(let device, _)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(device == "hw:9,0")
        #expect(error!.description.hasPrefix("no ALSA device 'hw:9,0': "))
    }

    @Test func anUnsupportedFormatNamesWhatTheDeviceOffers() throws {
        let devices = try D()
        let error = MediaTestHelpers.mediaError {
            _ = try ALSAPlayback(device: D.device("parley_s16only"), configuration: devices.configuration(formats: [.floatLE]))
        }
        guard case .alsaUnsupported(_, let what, let requested, let offered)? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        #expect(what == "sample format")
        #expect(requested == "FLOAT_LE")
        #expect(offered.contains("S16_LE") && !offered.contains("FLOAT_LE"), "\(offered)")
        // With the default list the same device falls back to S16_LE.
        let playback = try ALSAPlayback(device: D.device("parley_s16only"), configuration: devices.configuration())
        #expect(playback.sampleFormat == .s16LE)
    }

    @Test func aBadConfigurationFileIsReported() throws {
        let devices = try D()
        var configuration = devices.configuration()
        configuration.configFile = devices.directory.appendingPathComponent("missing").path
        let missing = MediaTestHelpers.mediaError { _ = try ALSAPlayback(device: D.device("null"), configuration: configuration) }
        guard case .alsaConfiguration? = missing else { Issue.record("got \(String(describing: missing))"); return }

        let broken = devices.directory.appendingPathComponent("broken").path
        try "pcm.x { type file; slave.pcm \"null\"".write(toFile: broken, atomically: true, encoding: .utf8)
        configuration.configFile = broken
        let error = MediaTestHelpers.mediaError { _ = try ALSAPlayback(device: D.device("null"), configuration: configuration) }
        guard case .alsaConfiguration(let path, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == broken)
    }

    @Test(arguments: [
        ALSAConfiguration(channels: 3),
        ALSAConfiguration(preferredRate: 1_000),
        ALSAConfiguration(formats: []),
        ALSAConfiguration(periodMilliseconds: 0),
        ALSAConfiguration(periods: 1),
        ALSAConfiguration(realTimePriority: 120),
    ])
    func settingsOutOfRangeAreRefusedBeforeOpening(_ configuration: ALSAConfiguration) throws {
        let error = MediaTestHelpers.mediaError { _ = try ALSACapture(device: D.device("null"), configuration: configuration) }
        guard case .invalidParameter? = error else { Issue.record("got \(String(describing: error))"); return }
    }
}
