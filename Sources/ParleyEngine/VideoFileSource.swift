import ParleyCodecs
import ParleyCore
import ParleyMedia

/// Raw I420 frames from a video file: a Y4M read directly, or an IVF (VP8/VP9)
/// decoded with libvpx. The decoding cost of an IVF source is not part of any report.
public final class VideoFileSource {
    public enum Kind: String, Codable, Sendable { case y4m, ivf }

    public let path: String
    public let kind: Kind
    public let width: Int
    public let height: Int
    public let frameRateNumerator: Int
    public let frameRateDenominator: Int
    /// Frames the file says it has (IVF header) or holds (Y4M size), for progress.
    public let expectedFrameCount: Int?
    public private(set) var framesRead = 0

    private let y4m: Y4MReader?
    private let ivf: IVFReader?
    private let decoder: VideoDecoder?
    private var packet: [UInt8] = []

    /// Opens `path`, choosing the format from its first bytes (YUV4MPEG2 or DKIF).
    public init(path: String) throws {
        self.path = path
        let magic = try MediaProbe.magic(path: path)
        if magic.starts(with: Array("DKIF".utf8)) {
            let reader = try IVFReader(path: path)
            kind = .ivf
            ivf = reader
            y4m = nil
            decoder = try VideoDecoder(codec: reader.header.codec)
            width = reader.header.width
            height = reader.header.height
            // IVF's time base is seconds per tick; files from encoders use one tick per frame.
            frameRateNumerator = max(1, reader.header.timebaseDenominator)
            frameRateDenominator = max(1, reader.header.timebaseNumerator)
            expectedFrameCount = reader.header.frameCount > 0 ? reader.header.frameCount : nil
            packet = [UInt8](repeating: 0, count: 1 << 16)
        } else {
            let reader = try Y4MReader(path: path)
            kind = .y4m
            y4m = reader
            ivf = nil
            decoder = nil
            width = reader.header.width
            height = reader.header.height
            frameRateNumerator = reader.header.frameRateNumerator
            frameRateDenominator = reader.header.frameRateDenominator
            let frameBytes = VideoFrame.byteCount(width: width, height: height) + 6
            expectedFrameCount = MediaProbe.size(path: path).map { $0 / frameBytes }
        }
    }

    public var frameRate: Double { Double(frameRateNumerator) / Double(frameRateDenominator) }

    /// Reads the next picture into `frame`; false at the end of the file.
    public func read(into frame: inout VideoFrame) throws -> Bool {
        if let y4m {
            guard try y4m.read(into: &frame) else { return false }
        } else if let ivf, let decoder {
            while true {
                guard let (size, _) = try ivf.readFrame(into: &packet) else { return false }
                do {
                    if try decoder.decode(packet, count: size, into: &frame) { break }
                } catch {
                    throw EngineError.badVideoInput(path: path, frame: ivf.framesRead - 1, reason: "\(error)")
                }
            }
            if frame.width != width || frame.height != height {
                throw EngineError.badVideoInput(
                    path: path, frame: ivf.framesRead - 1,
                    reason: "the picture is \(frame.width)x\(frame.height) but the file header says \(width)x\(height); resolution changes are not supported")
            }
        }
        frame.timestamp = Int64(framesRead)
        framesRead += 1
        return true
    }
}
