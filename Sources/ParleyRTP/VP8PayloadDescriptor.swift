/// The VP8 payload descriptor of RFC 7741 §4.2, at the start of every VP8 RTP payload.
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PictureID   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
///      |   PictureID   | (present when M = 1: 15-bit PictureID)
///      +-+-+-+-+-+-+-+-+
/// L:   |   TL0PICIDX   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// ```
///
/// The extension byte (X) is written exactly when one of I, L, T or K is present; a
/// received descriptor with X = 1 and none of them parses to the same value as one
/// without the extension byte. Reserved bits are written as zero and ignored on input.
public struct VP8PayloadDescriptor: Sendable, Equatable {
    /// N: the frame can be discarded without affecting any other frame.
    public var nonReference: Bool
    /// S: the payload starts a VP8 partition.
    public var startOfPartition: Bool
    /// PID: the partition index, 0...7 (partition 0 holds the frame header).
    public var partitionIndex: UInt8
    /// I: PictureID, 0...0x7F when `pictureIDIs15Bit` is false, 0...0x7FFF when true.
    public var pictureID: UInt16?
    /// M: the PictureID field is two bytes (15 bits) rather than one (7 bits).
    public var pictureIDIs15Bit: Bool
    /// L: TL0PICIDX, the running index of temporal base layer frames.
    public var tl0PicIdx: UInt8?
    /// T: TID, the temporal layer index, 0...3.
    public var temporalLayerID: UInt8?
    /// Y: layer sync (only meaningful, and only written, when `temporalLayerID` is set).
    public var layerSync: Bool
    /// K: KEYIDX, the temporal key frame index, 0...31.
    public var keyIndex: UInt8?

    public init(
        nonReference: Bool = false, startOfPartition: Bool = false, partitionIndex: UInt8 = 0,
        pictureID: UInt16? = nil, pictureIDIs15Bit: Bool = true, tl0PicIdx: UInt8? = nil,
        temporalLayerID: UInt8? = nil, layerSync: Bool = false, keyIndex: UInt8? = nil
    ) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.pictureIDIs15Bit = pictureIDIs15Bit
        self.tl0PicIdx = tl0PicIdx
        self.temporalLayerID = temporalLayerID
        self.layerSync = layerSync
        self.keyIndex = keyIndex
    }

    /// Equal when every field that goes on the wire is equal: `pictureIDIs15Bit` counts only
    /// with a PictureID, `layerSync` only with a TID.
    public static func == (a: VP8PayloadDescriptor, b: VP8PayloadDescriptor) -> Bool {
        a.nonReference == b.nonReference && a.startOfPartition == b.startOfPartition
            && a.partitionIndex == b.partitionIndex && a.pictureID == b.pictureID
            && (a.pictureID == nil || a.pictureIDIs15Bit == b.pictureIDIs15Bit)
            && a.tl0PicIdx == b.tl0PicIdx && a.temporalLayerID == b.temporalLayerID
            && (a.temporalLayerID == nil || a.layerSync == b.layerSync) && a.keyIndex == b.keyIndex
    }

    /// The largest descriptor: required byte, X byte, 2-byte PictureID, TL0PICIDX, T/K byte.
    public static let maximumSize = 6

    /// True when this payload starts a frame (S = 1 and PID = 0, RFC 7741 §4.2).
    public var startsFrame: Bool { startOfPartition && partitionIndex == 0 }

    private var hasExtension: Bool {
        pictureID != nil || tl0PicIdx != nil || temporalLayerID != nil || keyIndex != nil
    }

    /// Bytes `serialize(into:)` writes.
    public var encodedSize: Int {
        guard hasExtension else { return 1 }
        var size = 2
        if pictureID != nil { size += pictureIDIs15Bit ? 2 : 1 }
        if tl0PicIdx != nil { size += 1 }
        if temporalLayerID != nil || keyIndex != nil { size += 1 }
        return size
    }

    /// Checks every field against its width.
    public func validate() throws(RTPError) {
        guard partitionIndex <= 7 else {
            throw RTPError.malformed(what: "VP8 payload descriptor", reason: "partition index \(partitionIndex) exceeds 7")
        }
        if let pictureID, pictureID > (pictureIDIs15Bit ? 0x7FFF : 0x7F) {
            throw RTPError.malformed(
                what: "VP8 payload descriptor",
                reason: "PictureID \(pictureID) does not fit in \(pictureIDIs15Bit ? 15 : 7) bits")
        }
        if let temporalLayerID, temporalLayerID > 3 {
            throw RTPError.malformed(what: "VP8 payload descriptor", reason: "TID \(temporalLayerID) exceeds 3")
        }
        if let keyIndex, keyIndex > 31 {
            throw RTPError.malformed(what: "VP8 payload descriptor", reason: "KEYIDX \(keyIndex) exceeds 31")
        }
    }

    /// Writes the descriptor at the start of `buffer`; returns the bytes written.
    @discardableResult
    public func serialize(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
        try validate()
        let size = encodedSize
        guard buffer.count >= size, let base = buffer.baseAddress else {
            throw RTPError.bufferTooSmall(needed: size, available: buffer.count)
        }
        let out = base.assumingMemoryBound(to: UInt8.self)
        let extended = hasExtension
        out[0] = (extended ? 0x80 : 0) | (nonReference ? 0x20 : 0) | (startOfPartition ? 0x10 : 0) | (partitionIndex & 0x07)
        guard extended else { return 1 }
        let hasTK = temporalLayerID != nil || keyIndex != nil
        out[1] = (pictureID != nil ? 0x80 : 0) | (tl0PicIdx != nil ? 0x40 : 0)
            | (temporalLayerID != nil ? 0x20 : 0) | (keyIndex != nil ? 0x10 : 0)
        var index = 2
        if let pictureID {
            index += PayloadPictureID.write(pictureID, is15Bit: pictureIDIs15Bit, into: out, at: index)
        }
        if let tl0PicIdx {
            out[index] = tl0PicIdx
            index += 1
        }
        if hasTK {
            var byte: UInt8 = 0
            if let temporalLayerID { byte |= (temporalLayerID & 0x03) << 6 | (layerSync ? 0x20 : 0) }
            if let keyIndex { byte |= keyIndex & 0x1F }
            out[index] = byte
            index += 1
        }
        return index
    }

    /// Parses the descriptor at the start of `bytes`.
    ///
    /// - Throws: `RTPError.truncated` when a field the flags announce is missing.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPError) {
        self = try Self.parse(bytes).descriptor
    }

    /// Parses the descriptor at the start of `bytes` and says where the VP8 payload starts
    /// (`size` can exceed `encodedSize` when X = 1 announces no field).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPError) -> (descriptor: VP8PayloadDescriptor, size: Int) {
        let count = bytes.count
        func need(_ needed: Int, _ what: String) throws(RTPError) {
            if count < needed { throw RTPError.truncated(what: what, needed: needed, available: count) }
        }
        try need(1, "VP8 payload descriptor")
        let first = bytes[0]
        var d = VP8PayloadDescriptor(
            nonReference: first & 0x20 != 0, startOfPartition: first & 0x10 != 0, partitionIndex: first & 0x07)
        guard first & 0x80 != 0 else { return (d, 1) }
        try need(2, "VP8 payload descriptor extension byte (X = 1)")
        let ext = bytes[1]
        var index = 2
        if ext & 0x80 != 0 {
            let picture = try PayloadPictureID.read(bytes, at: index, field: "VP8 PictureID (I = 1)", longField: "VP8 15-bit PictureID (M = 1)")
            d.pictureID = picture.id
            d.pictureIDIs15Bit = picture.is15Bit
            index += picture.length
        }
        if ext & 0x40 != 0 {
            try need(index + 1, "VP8 TL0PICIDX (L = 1)")
            d.tl0PicIdx = bytes[index]
            index += 1
        }
        let hasT = ext & 0x20 != 0
        let hasK = ext & 0x10 != 0
        if hasT || hasK {
            try need(index + 1, "VP8 TID/KEYIDX byte (T or K = 1)")
            let byte = bytes[index]
            if hasT {
                d.temporalLayerID = byte >> 6
                d.layerSync = byte & 0x20 != 0
            }
            if hasK { d.keyIndex = byte & 0x1F }
            index += 1
        }
        return (d, index)
    }

    /// Parses the descriptor at the start of `bytes`.
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(RTPError) in try VP8PayloadDescriptor(parsing: raw) }
        }.get()
    }

    /// The descriptor as a new array (tests and diagnostics; the packet path uses
    /// `serialize(into:)`).
    public func serialized() throws(RTPError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: encodedSize)
        let result = out.withUnsafeMutableBytes { raw in
            Result { () throws(RTPError) in try serialize(into: raw) }
        }
        _ = try result.get()
        return out
    }
}
