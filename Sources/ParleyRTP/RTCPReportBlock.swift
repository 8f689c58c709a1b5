/// One reception report block of an SR or RR (RFC 3550 §6.4.1), 24 bytes on the wire.
public struct RTCPReportBlock: Equatable, Hashable, Sendable {
    /// SSRC of the source this block reports on.
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, in 1/256 units.
    public var fractionLost: UInt8
    /// Cumulative packets lost: a 24-bit signed value (−8 388 608 … 8 388 607). It can be
    /// negative when duplicates arrive.
    public var cumulativeLost: Int32
    /// Cycles (high 16 bits) and highest sequence number received (low 16 bits).
    public var extendedHighestSequence: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received from this source, 0 if none.
    public var lastSR: UInt32
    /// Delay since that SR arrived until this block was sent, in 1/65536 s.
    public var delaySinceLastSR: UInt32

    public static let cumulativeLostRange: ClosedRange<Int32> = -8_388_608...8_388_607
    static let wireSize = 24

    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
        extendedHighestSequence: UInt32 = 0, jitter: UInt32 = 0,
        lastSR: UInt32 = 0, delaySinceLastSR: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSR = lastSR
        self.delaySinceLastSR = delaySinceLastSR
    }

    /// Round-trip time in seconds measured from this block (RFC 3550 §6.4.1):
    /// arrival − LSR − DLSR, all in 1/65536 s. `arrivalNtpMiddle` is the middle 32 bits of
    /// the NTP time this block arrived. Nil when LSR is 0 (no SR received yet) or when the
    /// result is negative beyond rounding (a peer whose LSR/DLSR cannot be right); a result
    /// negative by at most 4/65536 s (truncation of the three values) counts as 0.
    public func roundTripTime(arrivalNtpMiddle: UInt32) -> Double? {
        guard lastSR != 0 else { return nil }
        let sinceSR = arrivalNtpMiddle &- lastSR
        if sinceSR >= delaySinceLastSR {
            return Double(sinceSR - delaySinceLastSR) / 65536.0
        }
        return delaySinceLastSR - sinceSR <= 4 ? 0 : nil
    }

    static func parse(_ r: inout RTCPByteReader) throws(RTPError) -> RTCPReportBlock {
        let ssrc = try r.u32("report block SSRC")
        let fraction = try r.u8("report block fraction lost")
        let lost24 = try r.u24("report block cumulative lost")
        // Sign-extend the 24-bit field.
        let lost = Int32(bitPattern: lost24 << 8) >> 8
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: lost,
            extendedHighestSequence: try r.u32("report block extended highest sequence number"),
            jitter: try r.u32("report block jitter"),
            lastSR: try r.u32("report block LSR"),
            delaySinceLastSR: try r.u32("report block DLSR"))
    }

    func validate(in what: String) throws(RTPError) {
        guard Self.cumulativeLostRange.contains(cumulativeLost) else {
            throw .malformed(
                what: "\(what) report block",
                reason: "cumulative lost \(cumulativeLost) does not fit the 24-bit signed field")
        }
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(ssrc)
        w.u8(fractionLost)
        w.u24(UInt32(bitPattern: cumulativeLost) & 0xFF_FFFF)
        w.u32(extendedHighestSequence)
        w.u32(jitter)
        w.u32(lastSR)
        w.u32(delaySinceLastSR)
    }
}

/// Shared parsing and checks for the report blocks and profile extension of SR and RR.
enum RTCPReports {
    static func parse(
        _ r: inout RTCPByteReader, count: Int, fixedPart: Int
    ) throws(RTPError) -> (blocks: [RTCPReportBlock], extension: [UInt8]) {
        let needed = count * RTCPReportBlock.wireSize
        guard r.remaining >= needed else {
            throw .malformed(
                what: r.what,
                reason: "report count \(count) needs \(fixedPart + needed) bytes after the header, the length field leaves \(fixedPart + r.remaining)")
        }
        var blocks: [RTCPReportBlock] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count { blocks.append(try RTCPReportBlock.parse(&r)) }
        guard r.remaining % 4 == 0 else {
            throw .malformed(
                what: r.what,
                reason: "profile-specific extension of \(r.remaining) bytes is not a whole number of 32-bit words")
        }
        let ext = try r.bytes(r.remaining, "profile-specific extension")
        return (blocks, ext)
    }

    static func validate(_ blocks: [RTCPReportBlock], extension ext: [UInt8], what: String) throws(RTPError) {
        guard blocks.count <= 31 else {
            throw .malformed(what: what, reason: "\(blocks.count) report blocks, the 5-bit report count allows 31")
        }
        guard ext.count % 4 == 0 else {
            throw .malformed(
                what: what, reason: "profile-specific extension of \(ext.count) bytes is not a whole number of 32-bit words")
        }
        for b in blocks { try b.validate(in: what) }
    }
}
