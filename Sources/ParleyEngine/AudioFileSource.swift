import ParleyCore
import ParleyMedia

/// Fixed-size PCM frames from a WAV file, resampled and mixed to the codec's format: what
/// the loopback and `parley send` encode. The file is checked when it is opened (empty,
/// or cut short without `acceptTruncated`); reading allocates nothing per frame.
public final class AudioFileSource {
    public let path: String
    public let format: AudioFormat
    /// Samples per channel in one frame.
    public let frameSize: Int
    private let reader: WAVReader
    private var scratch: [Float]

    public init(path: String, format: AudioFormat, frameSize: Int, acceptTruncated: Bool) throws {
        self.path = path
        self.format = format
        self.frameSize = frameSize
        reader = try WAVReader(path: path, output: format)
        let info = reader.info
        if info.frameCount == 0 {
            throw MediaError.truncated(path: path, reason: "the data chunk holds no audio; give a WAV with at least one sample")
        }
        if info.isTruncated, !acceptTruncated, let declared = info.declaredFrameCount {
            let rate = Double(info.format.sampleRate)
            throw MediaError.truncated(path: path, reason: String(
                format: "the header declares %.2f s of audio but the file holds only %.2f s; "
                    + "pass --accept-truncated to use what is there",
                Double(declared) / rate, Double(info.frameCount) / rate))
        }
        scratch = [Float](repeating: 0, count: frameSize * format.channels)
    }

    /// The source file's own format and length.
    public var info: WAVInfo { reader.info }

    /// Seconds of audio in the file.
    public var expectedSeconds: Double { Double(reader.info.frameCount) / Double(max(1, reader.info.format.sampleRate)) }

    /// Fills `frame` (`frameSize × channels` interleaved samples) with the next frame; the
    /// last one is padded with silence. Returns the samples per channel read: 0 at the end,
    /// less than `frameSize` for the last frame.
    public func readFrame(into frame: inout [Float]) throws -> Int {
        let channels = format.channels
        var filled = 0
        while filled < frameSize {
            let n = try reader.read(into: &scratch, frames: frameSize - filled)
            if n == 0 { break }
            for i in 0..<(n * channels) { frame[filled * channels + i] = scratch[i] }
            filled += n
        }
        if filled > 0 {
            for i in (filled * channels)..<(frameSize * channels) { frame[i] = 0 }
        }
        return filled
    }
}
