/// RTCP BYE, PT 203 (RFC 3550 §6.6): sources leaving, with an optional reason.
public struct RTCPGoodbye: Equatable, Hashable, Sendable {
    /// At most 31.
    public var sources: [UInt32]
    /// Reason for leaving, up to 255 bytes of UTF-8; nil when absent.
    public var reason: [UInt8]?

    public init(sources: [UInt32], reason: [UInt8]? = nil) {
        self.sources = sources
        self.reason = reason
    }

    public init(sources: [UInt32], reasonText: String) {
        self.init(sources: sources, reason: Array(reasonText.utf8))
    }

    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    static let packetType: UInt8 = 203
    static let what = "RTCP BYE"

    var bodySize: Int {
        var n = sources.count * 4
        if let reason {
            n += 1 + reason.count
            n += rtcpPadding(toWordBoundary: n)
        }
        return n
    }

    func validate() throws(RTPError) {
        guard sources.count <= 31 else {
            throw .malformed(what: Self.what, reason: "\(sources.count) sources, the 5-bit source count allows 31")
        }
        if let reason, reason.count > 255 {
            throw .malformed(what: "\(Self.what) reason", reason: "\(reason.count) bytes, the 8-bit length allows 255")
        }
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPGoodbye {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= Int(count) * 4 else {
            throw .malformed(
                what: what,
                reason: "source count \(count) needs \(Int(count) * 4) bytes, the length field leaves \(body.count)")
        }
        var sources: [UInt32] = []
        sources.reserveCapacity(Int(count))
        for _ in 0..<Int(count) { sources.append(try r.u32("SSRC")) }
        var reason: [UInt8]?
        if r.remaining > 0 {
            let length = Int(try r.u8("reason length"))
            guard r.remaining >= length else {
                throw .malformed(
                    what: "\(what) reason", reason: "length \(length) exceeds the \(r.remaining) bytes left in the packet")
            }
            reason = try r.bytes(length, "reason")
            let pad = rtcpPadding(toWordBoundary: r.offset)
            guard r.remaining >= pad else {
                throw .malformed(what: "\(what) reason", reason: "the packet ends mid-word after the reason")
            }
            guard r.remaining == pad else {
                throw .malformed(what: what, reason: "\(r.remaining - pad) bytes after the reason")
            }
        }
        return RTCPGoodbye(sources: sources, reason: reason)
    }

    func write(_ w: inout RTCPByteWriter) {
        for s in sources { w.u32(s) }
        if let reason {
            w.u8(UInt8(reason.count))
            w.bytes(reason)
            w.zeros(rtcpPadding(toWordBoundary: 1 + reason.count))
        }
    }
}
