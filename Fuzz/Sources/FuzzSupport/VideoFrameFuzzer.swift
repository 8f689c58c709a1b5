import ParleyCodecs
import ParleyCore

/// Feeds fuzz bytes to a `VideoDecoder` as one compressed frame, after a real keyframe,
/// so that libvpx's inter-frame paths (and Parley's copy of their pictures) are reached.
///
/// The reference keyframe and inter frame are encoded once per process (64x48, by
/// `VideoEncoder`); each run uses a fresh decoder so that a crash reproduces from its
/// input alone.
public final class VideoFrameFuzzer: @unchecked Sendable {
    public let codec: VideoCodecKind
    private let keyframe: [UInt8]
    private let interFrame: [UInt8]
    private var picture = VideoFrame(width: 64, height: 48)

    public init(codec: VideoCodecKind) {
        self.codec = codec
        do {
            let configuration = VideoEncoderConfiguration(codec: codec, width: 64, height: 48, bitrateKbps: 200)
            let encoder = try VideoEncoder(configuration: configuration)
            var frames: [[UInt8]] = []
            var output = EncodedVideoFrame()
            for index in 0..<2 {
                var source = VideoFrame(width: 64, height: 48)
                for y in 0..<48 {
                    for x in 0..<64 { source.data[y * 64 + x] = UInt8(truncatingIfNeeded: x * 4 + y * 2 + index * 9) }
                }
                guard try encoder.encode(source, pts: Int64(index), into: &output) else {
                    fatalError("VideoFrameFuzzer: the \(codec.rawValue) encoder produced no frame \(index)")
                }
                frames.append(output.bytes)
            }
            keyframe = frames[0]
            interFrame = frames[1]
        } catch {
            // The harness itself cannot run: not an input-driven path.
            fatalError("VideoFrameFuzzer: cannot encode the \(codec.rawValue) reference frames: \(error)")
        }
    }

    /// One run: keyframe, the input, then a real inter frame (decoding after a bad frame).
    /// Decoder errors are expected; only crashes and sanitizer reports are findings.
    public func run(_ data: UnsafePointer<UInt8>, _ size: Int) {
        guard let decoder = try? VideoDecoder(codec: codec) else {
            fatalError("VideoFrameFuzzer: cannot open a \(codec.rawValue) decoder")
        }
        _ = try? keyframe.withUnsafeBytes { try decoder.decode($0, into: &picture) }
        _ = try? decoder.decode(UnsafeRawBufferPointer(start: data, count: size), into: &picture)
        _ = try? interFrame.withUnsafeBytes { try decoder.decode($0, into: &picture) }
    }
}
