import Foundation
import ParleyCore
import ParleyMedia
import ParleyNetwork
import ParleyTestSupport
import Testing

/// Inputs, ports and report reading shared by the send/receive and interop tests.
enum CallTestSupport {
    static func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 2.5 s of a 440 Hz tone, 48 kHz mono.
    static func toneWAV(in directory: URL, seconds: Double = 2.5) throws -> URL {
        let url = directory.appendingPathComponent("tone.wav")
        try MediaBytes.write(MediaBytes.wav(rate: 48000, data: MediaBytes.tone(rate: 48000, seconds: seconds)), to: url)
        return url
    }

    /// `frames` frames of 160x96 30 fps I420 video with a moving gradient.
    static func movingY4M(in directory: URL, frames: Int = 45, width: Int = 160, height: Int = 96) throws -> URL {
        let url = directory.appendingPathComponent("clip.y4m")
        var bytes = Array("YUV4MPEG2 W\(width) H\(height) F30:1 Ip A1:1 C420jpeg\n".utf8)
        for f in 0..<frames {
            bytes += Array("FRAME\n".utf8)
            for y in 0..<height { for x in 0..<width { bytes.append(UInt8(truncatingIfNeeded: (x + 2 * f) * 2 + y)) } }
            for y in 0..<(height / 2) { for x in 0..<(width / 2) { bytes.append(UInt8(truncatingIfNeeded: 128 + x - f)) ; _ = y } }
            for y in 0..<(height / 2) { for _ in 0..<(width / 2) { bytes.append(UInt8(truncatingIfNeeded: 100 + y + f)) } }
        }
        try MediaBytes.write(bytes, to: url)
        return url
    }

    /// A port P on 127.0.0.1 with P and P + 2 free (checked by binding, then released).
    static func freePortPair() throws -> UInt16 {
        for _ in 0..<50 {
            let first = try UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: 0))
            let port = first.localEndpoint.port
            guard port < 65_000, port % 2 == 0 else { continue }
            let second = try? UDPSocket(bind: IPv4Endpoint(address: 0x7F00_0001, port: port + 2))
            first.close()
            guard let second else { continue }
            second.close()
            return port
        }
        throw NetworkError.cannotBind(endpoint: "127.0.0.1", reason: "no free pair of ports found")
    }

    /// Waits for a file to appear (the SDP `parley send` writes before sending).
    static func waitForFile(_ url: URL, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: url.path) {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    static func json(_ url: URL) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        return try #require(object as? [String: Any], "\(url.path) is not a JSON object")
    }

    static func streams(_ report: [String: Any]) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for case let stream as [String: Any] in report["streams"] as? [Any] ?? [] {
            if let kind = stream["kind"] as? String { result[kind] = stream }
        }
        return result
    }

    /// Duration (s) and RMS (0...1) of a WAV, read with Parley's reader.
    static func wavDurationAndRMS(_ url: URL) throws -> (seconds: Double, rms: Double) {
        let reader = try WAVReader(path: url.path)
        let channels = reader.info.format.channels
        var buffer = [Float](repeating: 0, count: 4800 * channels)
        var sum = 0.0
        var count = 0
        while true {
            let n = try reader.read(into: &buffer, frames: 4800)
            if n == 0 { break }
            for i in 0..<(n * channels) { sum += Double(buffer[i] * buffer[i]) }
            count += n * channels
        }
        return (Double(count / max(1, channels)) / Double(reader.info.format.sampleRate), count > 0 ? (sum / Double(count)).squareRoot() : 0)
    }

    /// Whole I420 frames in a Y4M file, counted by walking its FRAME headers (lenient about
    /// the stream header: GStreamer's y4menc writes F0:1 for RTP video, which has no frame rate).
    static func y4mFrameCount(_ url: URL) throws -> Int {
        let bytes = [UInt8](try Data(contentsOf: url))
        let newline = UInt8(ascii: "\n")
        let headerEnd = try #require(bytes.firstIndex(of: newline), "\(url.path): no Y4M header")
        let header = String(decoding: bytes[..<headerEnd], as: UTF8.self).split(separator: " ")
        let width = try #require(header.first { $0.hasPrefix("W") }.flatMap { Int($0.dropFirst()) })
        let height = try #require(header.first { $0.hasPrefix("H") }.flatMap { Int($0.dropFirst()) })
        let frameBytes = width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2)
        var offset = headerEnd + 1
        var count = 0
        while offset + 5 <= bytes.count, bytes[offset..<offset + 5].elementsEqual("FRAME".utf8) {
            guard let end = bytes[offset...].firstIndex(of: newline), end + 1 + frameBytes <= bytes.count else { break }
            offset = end + 1 + frameBytes
            count += 1
        }
        return count
    }

    /// The first a=crypto key of an SDP, as bytes, and the first a=ssrc of each section.
    static func sdpKey(_ sdp: String) throws -> [UInt8] {
        let line = try #require(sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=crypto:") }, "no a=crypto in the SDP")
        let b64 = try #require(line.components(separatedBy: "inline:").last?.split(separator: "|").first)
        return Array(try #require(Data(base64Encoded: String(b64))))
    }

    static func sdpSSRCs(_ sdp: String) -> [UInt32] {
        sdp.split(whereSeparator: \.isNewline).compactMap { line -> UInt32? in
            guard line.hasPrefix("a=ssrc:") else { return nil }
            return UInt32(line.dropFirst(7).prefix { $0.isNumber })
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
