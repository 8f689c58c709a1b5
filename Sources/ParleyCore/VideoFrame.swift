/// An uncompressed I420 (YUV 4:2:0, 8-bit) picture held in one tightly packed buffer:
/// the Y plane (`width`×`height`), then U and V (`chromaWidth`×`chromaHeight` each).
///
/// A frame is a reusable, caller-owned buffer: readers and decoders write into an
/// existing frame and only reallocate when the picture size changes.
public struct VideoFrame: Sendable, Equatable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// Y, then U, then V, no padding between rows.
    public var data: [UInt8]
    /// Presentation time in 90 kHz units (RTP video clock), or the frame index for files.
    public var timestamp: Int64

    public init(width: Int, height: Int, timestamp: Int64 = 0) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.timestamp = timestamp
        let luma = self.width * self.height
        let chroma = ((self.width + 1) / 2) * ((self.height + 1) / 2)
        data = [UInt8](repeating: 0, count: luma)
        data.append(contentsOf: repeatElement(128, count: 2 * chroma))
    }

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public var lumaCount: Int { width * height }
    public var chromaCount: Int { chromaWidth * chromaHeight }
    /// Bytes in one I420 picture of this size.
    public var byteCount: Int { lumaCount + 2 * chromaCount }

    public static func byteCount(width: Int, height: Int) -> Int {
        width * height + 2 * (((width + 1) / 2) * ((height + 1) / 2))
    }

    /// Offsets of the Y, U and V planes in `data`.
    public var yOffset: Int { 0 }
    public var uOffset: Int { lumaCount }
    public var vOffset: Int { lumaCount + chromaCount }

    /// Changes the picture size, reallocating only when the byte count changes.
    public mutating func resize(width: Int, height: Int) {
        guard width != self.width || height != self.height else { return }
        self.width = max(0, width)
        self.height = max(0, height)
        let needed = byteCount
        if data.count != needed {
            data = [UInt8](repeating: 0, count: needed)
        }
    }
}
