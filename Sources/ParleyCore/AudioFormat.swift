/// Sample rate and channel count of interleaved 32-bit float PCM, the sample format
/// Parley's audio path uses between files, devices and the codec.
public struct AudioFormat: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var sampleRate: Int
    public var channels: Int

    public init(sampleRate: Int, channels: Int) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Samples per channel in `milliseconds` of audio.
    public func frames(milliseconds: Int) -> Int { sampleRate * milliseconds / 1000 }

    public var description: String { "\(sampleRate) Hz, \(channels == 1 ? "mono" : channels == 2 ? "stereo" : "\(channels) channels")" }
}
