import ParleyCore

/// The 32-byte header of an IVF file (the VP8/VP9 test container).
///
/// Layout, little-endian: "DKIF", version u16 (0), header size u16 (32), fourcc,
/// width u16, height u16, timebase denominator u32, timebase numerator u32,
/// frame count u32, unused u32.
public struct IVFHeader: Sendable, Equatable {
    public var codec: VideoCodecKind
    public var width: Int
    public var height: Int
    /// One pts tick lasts `timebaseNumerator / timebaseDenominator` seconds (1/30 for 30 fps).
    public var timebaseNumerator: Int
    public var timebaseDenominator: Int
    /// The frame count the header states (writers update it after every frame).
    public var frameCount: Int

    public static let size = 32
    /// The largest frame accepted, in bytes.
    public static let maxFrameSize = 64 * 1024 * 1024

    public init(codec: VideoCodecKind, width: Int, height: Int, timebaseNumerator: Int = 1,
                timebaseDenominator: Int = 30, frameCount: Int = 0) {
        self.codec = codec
        self.width = width
        self.height = height
        self.timebaseNumerator = timebaseNumerator
        self.timebaseDenominator = timebaseDenominator
        self.frameCount = frameCount
    }

    /// The 32 header bytes.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(IVFHeader.size)
        out.appendASCII("DKIF")
        out.appendLE(UInt16(0))
        out.appendLE(UInt16(IVFHeader.size))
        out.appendASCII(codec.fourcc)
        out.appendLE(UInt16(truncatingIfNeeded: width))
        out.appendLE(UInt16(truncatingIfNeeded: height))
        out.appendLE(UInt32(truncatingIfNeeded: timebaseDenominator))
        out.appendLE(UInt32(truncatingIfNeeded: timebaseNumerator))
        out.appendLE(UInt32(truncatingIfNeeded: frameCount))
        out.appendLE(UInt32(0))
        return out
    }

    /// Parses the first 32 bytes of a file. `path` names the file in errors.
    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> (header: IVFHeader, headerSize: Int) {
        guard bytes.count >= 4, bytes.ascii(0, 4) == "DKIF" else {
            throw MediaError.notIVF(path: path)
        }
        guard bytes.count >= IVFHeader.size else {
            throw MediaError.truncated(path: path, reason: "the IVF header has \(bytes.count) of its 32 bytes")
        }
        let headerSize = Int(bytes.u16(6))
        guard headerSize >= IVFHeader.size else {
            throw MediaError.corrupt(path: path, reason: "IVF header size \(headerSize) is below 32")
        }
        let fourcc = bytes.ascii(8, 4)
        guard let codec = VideoCodecKind(fourcc: fourcc) else {
            throw MediaError.unsupportedIVFCodec(path: path, fourcc: fourcc)
        }
        let header = IVFHeader(codec: codec, width: Int(bytes.u16(12)), height: Int(bytes.u16(14)),
                               timebaseNumerator: Int(bytes.u32(20)), timebaseDenominator: Int(bytes.u32(16)),
                               frameCount: Int(bytes.u32(24)))
        return (header, headerSize)
    }
}
