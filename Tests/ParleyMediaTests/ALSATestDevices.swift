import Foundation
@testable import ParleyMedia

/// ALSA devices for tests on a machine without a sound card: an asoundrc in a scratch
/// directory, loaded per stream on top of the system configuration
/// (`ALSAConfiguration.configFile` → `snd_pcm_open_lconf`), so no environment variable
/// and no global ALSA state changes. It defines:
/// - `parley_out`: the `file` plugin over `null`, writing the raw stream to `out.raw`;
/// - `parley_in`: the `file` plugin over `null` whose `infile` (`in.raw`) is what capture reads;
/// - `parley_full`: the `file` plugin writing to /dev/full: writes fail with ENOSPC, ALSA
///   reports -EIO, and the stream must be marked lost;
/// - `parley_s16only`: the `linear` plugin over `null`, which only takes integer formats.
/// `null` itself comes from the system configuration.
struct ALSATestDevices {
    let directory: URL
    let configFile: String
    var outPath: String { directory.appendingPathComponent("out.raw").path }
    var inPath: String { directory.appendingPathComponent("in.raw").path }

    init() throws {
        directory = try MediaTestHelpers.scratchDirectoryURL("parley-alsa")
        configFile = directory.appendingPathComponent("asoundrc").path
        let text = """
        pcm.parley_out { type file; slave.pcm "null"; file "\(directory.path)/out.raw"; format "raw" }
        pcm.parley_in { type file; slave.pcm "null"; file "/dev/null"; infile "\(directory.path)/in.raw"; format "raw" }
        pcm.parley_full { type file; slave.pcm "null"; file "/dev/full"; format "raw" }
        pcm.parley_s16only { type linear; slave { pcm "null"; format S16_LE } }

        """
        try text.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    /// A configuration using this asoundrc, paced by the monotonic clock (these plugins never block).
    func configuration(rate: Int = 48_000, channels: Int = 1, formats: [ALSAConfiguration.SampleFormat] = [.s16LE, .floatLE],
                       ringMilliseconds: Int = 200, scale: Double = 1.0) -> ALSAConfiguration {
        ALSAConfiguration(channels: channels, preferredRate: rate, formats: formats, ringMilliseconds: ringMilliseconds,
                          configFile: configFile, pacing: .monotonic(rateScale: scale))
    }

    static func device(_ name: String) throws -> ALSADeviceName { try ALSADeviceName(parsing: "alsa:" + name) }

    /// Raw little-endian S16 samples as floats.
    static func readS16(_ path: String) throws -> [Float] {
        let bytes = try MediaTestHelpers.readFile(path)
        return stride(from: 0, to: bytes.count - 1, by: 2).map {
            Float(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768
        }
    }

    static func writeS16(_ path: String, _ samples: [Float]) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(samples.count * 2)
        for s in samples {
            let v = UInt16(bitPattern: Int16(max(-32768, min(32767, (s * 32767).rounded()))))
            bytes += [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        try MediaTestHelpers.writeFile(path, bytes)
    }

    static func rms(_ s: ArraySlice<Float>) -> Float {
        s.isEmpty ? 0 : (s.reduce(0) { $0 + $1 * $1 } / Float(s.count)).squareRoot()
    }

    /// Waits up to `seconds` for `condition`.
    static func wait(_ seconds: Double, until condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }
}
