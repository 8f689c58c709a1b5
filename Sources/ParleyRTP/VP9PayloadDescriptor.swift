/// The VP9 payload descriptor of RFC 9628 §4.2, at the start of every VP9 RTP payload.
///
/// ```
///        0 1 2 3 4 5 6 7
///       +-+-+-+-+-+-+-+-+
///       |I|P|L|F|B|E|V|Z| (REQUIRED)
///       +-+-+-+-+-+-+-+-+
///  I:   |M| PICTURE ID  | (RECOMMENDED)
///       +-+-+-+-+-+-+-+-+
///  M:   | EXTENDED PID  | (RECOMMENDED)
///       +-+-+-+-+-+-+-+-+
///  L:   | TID |U| SID |D| (CONDITIONALLY RECOMMENDED)
///       +-+-+-+-+-+-+-+-+
///       |   TL0PICIDX   | (non-flexible mode only, when L = 1)
///       +-+-+-+-+-+-+-+-+                             -\
///  P,F: | P_DIFF      |N| (flexible mode only)         - up to 3 times
///       +-+-+-+-+-+-+-+-+                             -/
///  V:   | SS            |
///       | ..            |
///       +-+-+-+-+-+-+-+-+
/// ```
///
/// Flexible mode (F = 1) is parsed and written for completeness; Parley sends the
/// non-flexible mode. RFC 9628 requires a picture ID in flexible mode, so F = 1 without
/// I = 1 is rejected.
public struct VP9PayloadDescriptor: Sendable, Equatable {
    /// I + M + PICTURE ID: 0...0x7F (7-bit) or 0...0x7FFF (15-bit).
    public var pictureID: UInt16?
    /// M: the picture ID takes two bytes.
    public var pictureIDIs15Bit: Bool
    /// P: the picture is inter-picture predicted (false on keyframes).
    public var interPicturePredicted: Bool
    /// F: flexible mode (reference indices in each packet instead of a picture group).
    public var flexibleMode: Bool
    /// B: the payload starts a layer frame.
    public var beginningOfFrame: Bool
    /// E: the payload ends a layer frame.
    public var endOfFrame: Bool
    /// Z: not used as a reference by upper spatial layers.
    public var notUpperLayerReference: Bool
    /// L: layer indices.
    public var layerIndices: VP9LayerIndices?
    /// TL0PICIDX: present on the wire when `layerIndices` is set in non-flexible mode.
    public var tl0PicIdx: UInt8
    /// P_DIFF list: present when F = 1 and P = 1 (one to three entries).
    public var referenceDiffs: VP9ReferenceDiffs
    /// V: the scalability structure.
    public var scalabilityStructure: VP9ScalabilityStructure?

    public init(
        pictureID: UInt16? = nil, pictureIDIs15Bit: Bool = true, interPicturePredicted: Bool = false,
        flexibleMode: Bool = false, beginningOfFrame: Bool = false, endOfFrame: Bool = false,
        notUpperLayerReference: Bool = false, layerIndices: VP9LayerIndices? = nil, tl0PicIdx: UInt8 = 0,
        referenceDiffs: VP9ReferenceDiffs = VP9ReferenceDiffs(), scalabilityStructure: VP9ScalabilityStructure? = nil
    ) {
        self.pictureID = pictureID
        self.pictureIDIs15Bit = pictureIDIs15Bit
        self.interPicturePredicted = interPicturePredicted
        self.flexibleMode = flexibleMode
        self.beginningOfFrame = beginningOfFrame
        self.endOfFrame = endOfFrame
        self.notUpperLayerReference = notUpperLayerReference
        self.layerIndices = layerIndices
        self.tl0PicIdx = tl0PicIdx
        self.referenceDiffs = referenceDiffs
        self.scalabilityStructure = scalabilityStructure
    }

    /// Equal when every field that goes on the wire is equal.
    public static func == (a: VP9PayloadDescriptor, b: VP9PayloadDescriptor) -> Bool {
        a.pictureID == b.pictureID && (a.pictureID == nil || a.pictureIDIs15Bit == b.pictureIDIs15Bit)
            && a.interPicturePredicted == b.interPicturePredicted && a.flexibleMode == b.flexibleMode
            && a.beginningOfFrame == b.beginningOfFrame && a.endOfFrame == b.endOfFrame
            && a.notUpperLayerReference == b.notUpperLayerReference && a.layerIndices == b.layerIndices
            && (!a.carriesTL0PicIdx || a.tl0PicIdx == b.tl0PicIdx)
            && (!a.carriesReferenceDiffs || a.referenceDiffs == b.referenceDiffs)
            && a.scalabilityStructure == b.scalabilityStructure
    }

    private var carriesTL0PicIdx: Bool { layerIndices != nil && !flexibleMode }
    private var carriesReferenceDiffs: Bool { flexibleMode && interPicturePredicted }

    /// Bytes `serialize(into:)` writes.
    public var encodedSize: Int {
        var size = 1
        if pictureID != nil { size += pictureIDIs15Bit ? 2 : 1 }
        if layerIndices != nil { size += 1 }
        if carriesTL0PicIdx { size += 1 }
        if carriesReferenceDiffs { size += referenceDiffs.count }
        if let scalabilityStructure { size += scalabilityStructure.encodedSize }
        return size
    }

    /// Checks every field against its width and the flags against each other.
    public func validate() throws(RTPError) {
        let what = "VP9 payload descriptor"
        if let pictureID, pictureID > (pictureIDIs15Bit ? 0x7FFF : 0x7F) {
            throw RTPError.malformed(what: what, reason: "picture ID \(pictureID) does not fit in \(pictureIDIs15Bit ? 15 : 7) bits")
        }
        if flexibleMode && pictureID == nil {
            throw RTPError.malformed(what: what, reason: "flexible mode (F = 1) requires a picture ID (I = 1)")
        }
        if let layerIndices { try layerIndices.validate() }
        if carriesReferenceDiffs {
            guard referenceDiffs.count >= 1 else {
                throw RTPError.malformed(what: what, reason: "an inter picture in flexible mode needs 1 to 3 P_DIFF values")
            }
            for i in 0..<referenceDiffs.count where referenceDiffs[i] > 0x7F {
                throw RTPError.malformed(what: what, reason: "P_DIFF \(referenceDiffs[i]) does not fit in 7 bits")
            }
        }
        if let scalabilityStructure { try scalabilityStructure.validate() }
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
        out[0] = (pictureID != nil ? 0x80 : 0) | (interPicturePredicted ? 0x40 : 0) | (layerIndices != nil ? 0x20 : 0)
            | (flexibleMode ? 0x10 : 0) | (beginningOfFrame ? 0x08 : 0) | (endOfFrame ? 0x04 : 0)
            | (scalabilityStructure != nil ? 0x02 : 0) | (notUpperLayerReference ? 0x01 : 0)
        var index = 1
        if let pictureID {
            index += PayloadPictureID.write(pictureID, is15Bit: pictureIDIs15Bit, into: out, at: index)
        }
        if let layerIndices {
            out[index] = layerIndices.byte
            index += 1
            if !flexibleMode {
                out[index] = tl0PicIdx
                index += 1
            }
        }
        if carriesReferenceDiffs {
            for i in 0..<referenceDiffs.count {
                out[index] = referenceDiffs[i] << 1 | (i + 1 < referenceDiffs.count ? 1 : 0)
                index += 1
            }
        }
        if let scalabilityStructure {
            index += scalabilityStructure.write(to: out + index)
        }
        return index
    }

    /// Parses the descriptor at the start of `bytes`.
    ///
    /// - Throws: `RTPError.truncated` when a field the flags announce is missing,
    ///   `RTPError.malformed` for impossible combinations.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPError) {
        self = try Self.parse(bytes).descriptor
    }

    /// Parses the descriptor at the start of `bytes`.
    public init(parsing bytes: [UInt8]) throws(RTPError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(RTPError) in try VP9PayloadDescriptor(parsing: raw) }
        }.get()
    }

    /// Parses the descriptor at the start of `bytes`; the VP9 payload starts at `size`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPError) -> (descriptor: VP9PayloadDescriptor, size: Int) {
        let parsed = try parse(bytes, decodeScalabilityStructure: true)
        return (parsed.descriptor, parsed.size)
    }

    /// The parser. With `decodeScalabilityStructure` false the SS is checked and skipped
    /// (no arrays, so no heap allocation): `descriptor.scalabilityStructure` stays nil,
    /// `hasScalabilityStructure` says whether V was set and `resolution` holds the last
    /// spatial layer's size when the SS carries sizes.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, decodeScalabilityStructure: Bool
    ) throws(RTPError) -> (
        descriptor: VP9PayloadDescriptor, size: Int, hasScalabilityStructure: Bool,
        resolution: VP9Resolution?
    ) {
        let count = bytes.count
        func need(_ needed: Int, _ what: String) throws(RTPError) {
            if count < needed { throw RTPError.truncated(what: what, needed: needed, available: count) }
        }
        try need(1, "VP9 payload descriptor")
        let first = bytes[0]
        var d = VP9PayloadDescriptor(
            interPicturePredicted: first & 0x40 != 0, flexibleMode: first & 0x10 != 0,
            beginningOfFrame: first & 0x08 != 0, endOfFrame: first & 0x04 != 0,
            notUpperLayerReference: first & 0x01 != 0)
        var index = 1
        if first & 0x80 != 0 {
            let picture = try PayloadPictureID.read(bytes, at: index, field: "VP9 picture ID (I = 1)", longField: "VP9 15-bit picture ID (M = 1)")
            d.pictureID = picture.id
            d.pictureIDIs15Bit = picture.is15Bit
            index += picture.length
        } else if d.flexibleMode {
            throw RTPError.malformed(what: "VP9 payload descriptor", reason: "flexible mode (F = 1) without a picture ID (I = 0)")
        }
        if first & 0x20 != 0 {
            try need(index + 1, "VP9 layer indices (L = 1)")
            d.layerIndices = VP9LayerIndices(byte: bytes[index])
            index += 1
            if !d.flexibleMode {
                try need(index + 1, "VP9 TL0PICIDX (L = 1, F = 0)")
                d.tl0PicIdx = bytes[index]
                index += 1
            }
        }
        if d.carriesReferenceDiffs {
            var more = true
            while more {
                guard d.referenceDiffs.count < VP9ReferenceDiffs.capacity else {
                    throw RTPError.malformed(what: "VP9 payload descriptor", reason: "more than 3 P_DIFF values (N set on the third)")
                }
                try need(index + 1, "VP9 P_DIFF (F = 1, P = 1)")
                let byte = bytes[index]
                d.referenceDiffs.append(byte >> 1)
                more = byte & 0x01 != 0
                index += 1
            }
        }
        var resolution: VP9Resolution?
        let hasSS = first & 0x02 != 0
        if hasSS {
            let parsed = try VP9ScalabilityStructure.parse(bytes, at: index, decode: decodeScalabilityStructure)
            d.scalabilityStructure = parsed.structure
            resolution = parsed.lastResolution
            index = parsed.end
        }
        return (d, index, hasSS, resolution)
    }

    /// The descriptor as a new array (tests and diagnostics).
    public func serialized() throws(RTPError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: encodedSize)
        let result = out.withUnsafeMutableBytes { raw in
            Result { () throws(RTPError) in try serialize(into: raw) }
        }
        _ = try result.get()
        return out
    }
}

/// The L byte of the VP9 payload descriptor: `| TID |U| SID |D|`.
public struct VP9LayerIndices: Sendable, Equatable {
    /// TID, 0...7.
    public var temporalLayerID: UInt8
    /// U: switching up point.
    public var switchingUpPoint: Bool
    /// SID, 0...7.
    public var spatialLayerID: UInt8
    /// D: inter-layer dependency.
    public var interLayerDependency: Bool

    public init(temporalLayerID: UInt8 = 0, switchingUpPoint: Bool = false, spatialLayerID: UInt8 = 0, interLayerDependency: Bool = false) {
        self.temporalLayerID = temporalLayerID
        self.switchingUpPoint = switchingUpPoint
        self.spatialLayerID = spatialLayerID
        self.interLayerDependency = interLayerDependency
    }

    init(byte: UInt8) {
        self.init(
            temporalLayerID: byte >> 5, switchingUpPoint: byte & 0x10 != 0, spatialLayerID: (byte >> 1) & 0x07,
            interLayerDependency: byte & 0x01 != 0)
    }

    var byte: UInt8 {
        (temporalLayerID & 0x07) << 5 | (switchingUpPoint ? 0x10 : 0) | (spatialLayerID & 0x07) << 1
            | (interLayerDependency ? 1 : 0)
    }

    func validate() throws(RTPError) {
        guard temporalLayerID <= 7, spatialLayerID <= 7 else {
            throw RTPError.malformed(
                what: "VP9 layer indices", reason: "TID \(temporalLayerID) and SID \(spatialLayerID) must each be 0...7")
        }
    }
}

/// Up to three P_DIFF values, stored inline (no heap allocation when parsed).
public struct VP9ReferenceDiffs: Sendable, Equatable {
    public static let capacity = 3
    public private(set) var count: Int = 0
    private var first: UInt8 = 0
    private var second: UInt8 = 0
    private var third: UInt8 = 0

    public init() {}

    /// Nil when `values` holds more than three entries.
    public init?(_ values: [UInt8]) {
        guard values.count <= Self.capacity else { return nil }
        for value in values { append(value) }
    }

    public subscript(index: Int) -> UInt8 {
        switch index {
        case 0: first
        case 1: second
        default: third
        }
    }

    /// Adds a value; ignored once three are held.
    public mutating func append(_ value: UInt8) {
        switch count {
        case 0: first = value
        case 1: second = value
        case 2: third = value
        default: return
        }
        count += 1
    }

    public var values: [UInt8] { (0..<count).map { self[$0] } }

    public static func == (a: VP9ReferenceDiffs, b: VP9ReferenceDiffs) -> Bool {
        a.count == b.count && (0..<a.count).allSatisfy { a[$0] == b[$0] }
    }
}

/// A spatial layer's frame size in the scalability structure.
public struct VP9Resolution: Sendable, Equatable {
    public var width: UInt16
    public var height: UInt16
    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }
}

/// One picture of the picture group in the scalability structure: `| TID |U| R |-|-|`
/// followed by R P_DIFF bytes.
public struct VP9PictureGroupEntry: Sendable, Equatable {
    /// TID, 0...7.
    public var temporalLayerID: UInt8
    /// U: switching up point.
    public var switchingUpPoint: Bool
    /// P_DIFF of each reference, 0 to 3 of them.
    public var referenceDiffs: [UInt8]

    public init(temporalLayerID: UInt8, switchingUpPoint: Bool = false, referenceDiffs: [UInt8] = []) {
        self.temporalLayerID = temporalLayerID
        self.switchingUpPoint = switchingUpPoint
        self.referenceDiffs = referenceDiffs
    }
}

/// The scalability structure (SS) of RFC 9628 §4.2.1, sent with V = 1 (on keyframes).
///
/// ```
///       +-+-+-+-+-+-+-+-+
///  V:   | N_S |Y|G|-|-|-|
///       +-+-+-+-+-+-+-+-+              -\
///  Y:   |     WIDTH     | (16 bits)     - N_S + 1 times
///       |     HEIGHT    | (16 bits)     -/
///       +-+-+-+-+-+-+-+-+
///  G:   |      N_G      |
///       +-+-+-+-+-+-+-+-+                           -\
///  N_G: |  TID |U| R |-|-|                           - N_G times
///       |    P_DIFF     | (R times)                 -/
///       +-+-+-+-+-+-+-+-+
/// ```
public struct VP9ScalabilityStructure: Sendable, Equatable {
    /// N_S + 1: spatial layers in the stream, 1...8.
    public var spatialLayerCount: Int
    /// Y: each spatial layer's size (exactly `spatialLayerCount` entries when present).
    public var resolutions: [VP9Resolution]?
    /// G: the picture group description (0...255 entries when present).
    public var pictureGroup: [VP9PictureGroupEntry]?

    public init(spatialLayerCount: Int = 1, resolutions: [VP9Resolution]? = nil, pictureGroup: [VP9PictureGroupEntry]? = nil) {
        self.spatialLayerCount = spatialLayerCount
        self.resolutions = resolutions
        self.pictureGroup = pictureGroup
    }

    public var encodedSize: Int {
        var size = 1
        if resolutions != nil { size += 4 * spatialLayerCount }
        if let pictureGroup {
            size += 1
            for entry in pictureGroup { size += 1 + entry.referenceDiffs.count }
        }
        return size
    }

    public func validate() throws(RTPError) {
        let what = "VP9 scalability structure"
        guard (1...8).contains(spatialLayerCount) else {
            throw RTPError.malformed(what: what, reason: "\(spatialLayerCount) spatial layers; 1 to 8 fit in N_S")
        }
        if let resolutions, resolutions.count != spatialLayerCount {
            throw RTPError.malformed(
                what: what, reason: "\(resolutions.count) resolutions for \(spatialLayerCount) spatial layers")
        }
        if let pictureGroup {
            guard pictureGroup.count <= 255 else {
                throw RTPError.malformed(what: what, reason: "\(pictureGroup.count) pictures in the group; N_G holds at most 255")
            }
            for entry in pictureGroup {
                guard entry.temporalLayerID <= 7, entry.referenceDiffs.count <= 3 else {
                    throw RTPError.malformed(
                        what: what, reason: "a picture group entry needs TID 0...7 and at most 3 references")
                }
            }
        }
    }

    /// Writes the validated structure at `out`; returns the bytes written.
    func write(to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(truncatingIfNeeded: spatialLayerCount - 1) << 5 | (resolutions != nil ? 0x10 : 0)
            | (pictureGroup != nil ? 0x08 : 0)
        var index = 1
        if let resolutions {
            for resolution in resolutions {
                out[index] = UInt8(truncatingIfNeeded: resolution.width >> 8)
                out[index + 1] = UInt8(truncatingIfNeeded: resolution.width)
                out[index + 2] = UInt8(truncatingIfNeeded: resolution.height >> 8)
                out[index + 3] = UInt8(truncatingIfNeeded: resolution.height)
                index += 4
            }
        }
        if let pictureGroup {
            out[index] = UInt8(truncatingIfNeeded: pictureGroup.count)
            index += 1
            for entry in pictureGroup {
                out[index] = (entry.temporalLayerID & 0x07) << 5 | (entry.switchingUpPoint ? 0x10 : 0)
                    | UInt8(truncatingIfNeeded: entry.referenceDiffs.count) << 2
                index += 1
                for diff in entry.referenceDiffs {
                    out[index] = diff
                    index += 1
                }
            }
        }
        return index
    }

    /// Parses the SS starting at `start`. With `decode` false, checks and skips it without
    /// building arrays.
    static func parse(
        _ bytes: UnsafeRawBufferPointer, at start: Int, decode: Bool
    ) throws(RTPError) -> (structure: VP9ScalabilityStructure?, end: Int, lastResolution: VP9Resolution?) {
        let count = bytes.count
        func need(_ needed: Int, _ what: String) throws(RTPError) {
            if count < needed { throw RTPError.truncated(what: what, needed: needed, available: count) }
        }
        try need(start + 1, "VP9 scalability structure (V = 1)")
        let header = bytes[start]
        let layers = Int(header >> 5) + 1
        let hasY = header & 0x10 != 0
        let hasG = header & 0x08 != 0
        var index = start + 1
        var structure = decode ? VP9ScalabilityStructure(spatialLayerCount: layers) : nil
        var last: VP9Resolution?
        if hasY {
            try need(index + 4 * layers, "VP9 scalability structure spatial layer sizes (Y = 1)")
            if decode { structure?.resolutions = [] }
            for _ in 0..<layers {
                let resolution = VP9Resolution(
                    width: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]),
                    height: UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3]))
                if decode { structure?.resolutions?.append(resolution) }
                last = resolution
                index += 4
            }
        }
        if hasG {
            try need(index + 1, "VP9 scalability structure N_G (G = 1)")
            let pictures = Int(bytes[index])
            index += 1
            if decode { structure?.pictureGroup = [] }
            for _ in 0..<pictures {
                try need(index + 1, "VP9 scalability structure picture group entry")
                let byte = bytes[index]
                let references = Int((byte >> 2) & 0x03)
                index += 1
                try need(index + references, "VP9 scalability structure P_DIFF of a picture group entry")
                if decode {
                    var diffs: [UInt8] = []
                    for r in 0..<references { diffs.append(bytes[index + r]) }
                    structure?.pictureGroup?.append(
                        VP9PictureGroupEntry(temporalLayerID: byte >> 5, switchingUpPoint: byte & 0x10 != 0, referenceDiffs: diffs))
                }
                index += references
            }
        }
        return (structure, index, last)
    }
}
