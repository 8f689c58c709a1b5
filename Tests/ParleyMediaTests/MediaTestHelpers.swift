import Foundation
import ParleyCore
@testable import ParleyMedia
import ParleyTestSupport

/// Shared helpers for the ParleyMedia tests.
enum MediaTestHelpers {
    /// A fresh scratch file path.
    static func scratchPath(_ name: String) throws -> String {
        try Fixtures.scratchDirectory("parley-media").appendingPathComponent(name).path
    }

    /// The MediaError `body` throws, or nil when it throws nothing (or something else).
    static func mediaError(_ body: () throws -> Void) -> MediaError? {
        do {
            try body()
            return nil
        } catch let error as MediaError {
            return error
        } catch {
            return nil
        }
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }

    /// A hand-made WAV file. `dataSize` defaults to `data.count`; `before` chunks go between fmt and data.
    static func wav(tag: Int = 1, channels: Int = 1, rate: Int = 16000, bits: Int = 16,
                    dataSize: UInt32? = nil, data: [UInt8] = [], before: [UInt8] = [],
                    extensibleSubformat: Int? = nil) -> [UInt8] {
        let blockAlign = channels * bits / 8
        var fmt: [UInt8] = le16(extensibleSubformat == nil ? tag : 0xFFFE) + le16(channels) + le32(UInt32(rate))
        fmt += le32(UInt32(rate * blockAlign)) + le16(blockAlign) + le16(bits)
        if let sub = extensibleSubformat {
            fmt += le16(22) + le16(bits) + le32(0) + le16(sub)
            fmt += [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        }
        var body: [UInt8] = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(UInt32(fmt.count)) + fmt + before
        body += Array("data".utf8) + le32(dataSize ?? UInt32(data.count)) + data
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    /// Interleaved sine: `frames` frames of `channels` channels, same signal in each channel.
    static func sine(frequency: Double, rate: Int, frames: Int, channels: Int = 1, amplitude: Float = 0.5) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        for f in 0..<frames {
            let v = amplitude * Float(sin(2 * Double.pi * frequency * Double(f) / Double(rate)))
            for c in 0..<channels { out[f * channels + c] = v }
        }
        return out
    }

    /// Reads all of a WAVReader's output in `chunk`-frame reads.
    static func readAll(_ reader: WAVReader, chunk: Int = 480) throws -> [Float] {
        var buffer: [Float] = []
        var all: [Float] = []
        while true {
            let n = try reader.read(into: &buffer, frames: chunk)
            if n == 0 { break }
            all += buffer[0..<(n * reader.outputFormat.channels)]
        }
        return all
    }

    /// Runs a command; returns its exit status.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension MediaTestHelpers {
    /// A fresh scratch directory.
    static func scratchDirectoryURL(_ label: String) throws -> URL {
        try Fixtures.scratchDirectory(label)
    }
}
