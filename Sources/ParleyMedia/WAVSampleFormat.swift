/// How samples are stored in a WAV file's data chunk.
public enum WAVSampleFormat: String, Sendable, Codable {
    /// Signed 16-bit little-endian PCM (WAVE_FORMAT_PCM).
    case pcm16
    /// Signed 24-bit little-endian PCM, packed in 3 bytes (WAVE_FORMAT_PCM).
    case pcm24
    /// 32-bit IEEE float (WAVE_FORMAT_IEEE_FLOAT).
    case float32

    /// Bytes one sample of one channel takes.
    public var bytesPerSample: Int {
        switch self {
        case .pcm16: return 2
        case .pcm24: return 3
        case .float32: return 4
        }
    }

    /// Bits per sample as written in the fmt chunk.
    public var bitsPerSample: Int { bytesPerSample * 8 }
}
