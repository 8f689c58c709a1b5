/// The fixed part of an RTP header (RFC 3550 §5.1) and its CSRC list, stored inline
/// (no heap) so headers can be parsed and built per packet without allocating.
///
/// The version is always 2. The padding (P) and extension (X) bits are not stored here:
/// they follow from whether a packet has padding or a header extension, which
/// `RTPPacketView`, `RTPPacketBuilder` and `RTPPacket` carry.
public struct RTPHeader: Sendable, Equatable {
    /// The RTP version this module reads and writes.
    public static let version: UInt8 = 2
    /// Bytes in the fixed header, before the CSRC list.
    public static let fixedLength = 12
    /// The most CSRCs the 4-bit CC field can count.
    public static let maxCSRCCount = 15

    public var marker: Bool
    /// 0...127; a larger value makes serialization throw.
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32

    /// Inline CSRC storage; entries at and beyond `csrcCount` are always zero.
    private var csrcStorage: RTPPacketCSRCStorage = RTPPacketCSRCStorage()
    public private(set) var csrcCount: Int = 0

    /// A header with no CSRCs.
    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }

    /// A header with CSRCs; throws when there are more than 15.
    public init(
        marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: [UInt32]
    ) throws(RTPError) {
        self.init(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
        try setCSRCs(csrcs)
    }

    /// Header length on the wire: 12 bytes plus 4 per CSRC.
    public var length: Int { Self.fixedLength + 4 * csrcCount }

    /// The CSRC at `index` (0..<csrcCount), or nil outside that range.
    public func csrc(at index: Int) -> UInt32? {
        guard index >= 0, index < csrcCount else { return nil }
        return csrcStorage[index]
    }

    /// The CSRC list as an array (allocates; for convenience off the media path).
    public var csrcs: [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(csrcCount)
        for index in 0..<csrcCount { result.append(csrcStorage[index]) }
        return result
    }

    /// Appends a CSRC; throws when the list already holds 15.
    public mutating func appendCSRC(_ csrc: UInt32) throws(RTPError) {
        guard csrcCount < Self.maxCSRCCount else {
            throw .malformed(what: "RTP CSRC list", reason: "an RTP header holds at most 15 CSRCs")
        }
        csrcStorage[csrcCount] = csrc
        csrcCount += 1
    }

    /// Replaces the CSRC list; throws (leaving the header unchanged) when there are more than 15.
    public mutating func setCSRCs(_ csrcs: [UInt32]) throws(RTPError) {
        guard csrcs.count <= Self.maxCSRCCount else {
            throw .malformed(what: "RTP CSRC list", reason: "\(csrcs.count) CSRCs given, an RTP header holds at most 15")
        }
        removeAllCSRCs()
        for csrc in csrcs { csrcStorage[csrcCount] = csrc; csrcCount += 1 }
    }

    public mutating func removeAllCSRCs() {
        csrcStorage = RTPPacketCSRCStorage()
        csrcCount = 0
    }

    public static func == (lhs: RTPHeader, rhs: RTPHeader) -> Bool {
        lhs.marker == rhs.marker && lhs.payloadType == rhs.payloadType
            && lhs.sequenceNumber == rhs.sequenceNumber && lhs.timestamp == rhs.timestamp
            && lhs.ssrc == rhs.ssrc && lhs.csrcCount == rhs.csrcCount && lhs.csrcStorage == rhs.csrcStorage
    }

    // MARK: Wire format

    /// Writes the fixed header and CSRC list (`length` bytes) at the start of `buffer`,
    /// with the P and X bits as given. Returns the number of bytes written.
    public func serialize(
        into buffer: UnsafeMutableRawBufferPointer, padding: Bool = false, hasExtension: Bool = false
    ) throws(RTPError) -> Int {
        guard payloadType <= 127 else {
            throw .malformed(what: "RTP header", reason: "payload type \(payloadType) is outside 0...127")
        }
        let length = self.length
        guard buffer.count >= length else { throw .bufferTooSmall(needed: length, available: buffer.count) }
        buffer[0] = Self.version << 6 | (padding ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | UInt8(csrcCount)
        buffer[1] = (marker ? 0x80 : 0) | payloadType
        RTPPacketBytes.put16(sequenceNumber, buffer, 2)
        RTPPacketBytes.put32(timestamp, buffer, 4)
        RTPPacketBytes.put32(ssrc, buffer, 8)
        var offset = Self.fixedLength
        for index in 0..<csrcCount {
            RTPPacketBytes.put32(csrcStorage[index], buffer, offset)
            offset += 4
        }
        return length
    }

    /// Reads the fixed header and CSRC list. Returns the header and the P and X bits.
    /// Checks length, version and the CSRC count against the buffer.
    static func parseFixed(
        _ bytes: UnsafeRawBufferPointer
    ) throws(RTPError) -> (header: RTPHeader, padding: Bool, hasExtension: Bool) {
        guard bytes.count >= fixedLength else {
            throw .truncated(what: "RTP header", needed: fixedLength, available: bytes.count)
        }
        let first = bytes[0]
        let version = first >> 6
        guard version == Self.version else {
            throw .malformed(what: "RTP header", reason: "version is \(version), expected 2")
        }
        let count = Int(first & 0x0F)
        let length = fixedLength + 4 * count
        guard bytes.count >= length else {
            throw .truncated(what: "RTP CSRC list (CC=\(count))", needed: length, available: bytes.count)
        }
        let second = bytes[1]
        var header = RTPHeader(
            marker: second & 0x80 != 0, payloadType: second & 0x7F,
            sequenceNumber: RTPPacketBytes.u16(bytes, 2),
            timestamp: RTPPacketBytes.u32(bytes, 4),
            ssrc: RTPPacketBytes.u32(bytes, 8))
        var offset = fixedLength
        for index in 0..<count {
            header.csrcStorage[index] = RTPPacketBytes.u32(bytes, offset)
            offset += 4
        }
        header.csrcCount = count
        return (header, first & 0x20 != 0, first & 0x10 != 0)
    }
}

/// Fifteen UInt32s stored inline: the CSRC list without a heap allocation.
struct RTPPacketCSRCStorage: Sendable, Equatable {
    private var words: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                        UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init() {}

    /// `index` must be in 0..<15 (callers check against the count first).
    subscript(index: Int) -> UInt32 {
        get {
            withUnsafeBytes(of: words) { $0.load(fromByteOffset: index &* 4, as: UInt32.self) }
        }
        set {
            withUnsafeMutableBytes(of: &words) { $0.storeBytes(of: newValue, toByteOffset: index &* 4, as: UInt32.self) }
        }
    }

    static func == (lhs: RTPPacketCSRCStorage, rhs: RTPPacketCSRCStorage) -> Bool {
        for index in 0..<RTPHeader.maxCSRCCount where lhs[index] != rhs[index] { return false }
        return true
    }
}
