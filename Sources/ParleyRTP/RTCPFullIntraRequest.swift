/// Full Intra Request, PSFB (PT 206) FMT 4 (RFC 5104 §4.3.1): one entry per media sender
/// asked for a decoder refresh point. The reserved 24 bits of each entry are sent as zero
/// and ignored on receipt.
public struct RTCPFullIntraRequest: Equatable, Hashable, Sendable {
    public struct Entry: Equatable, Hashable, Sendable {
        /// The media sender asked for an intra frame.
        public var ssrc: UInt32
        /// Command sequence number, incremented per new request (not per repetition).
        public var sequenceNumber: UInt8
        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    /// RFC 5104 says this SHALL be 0; kept as received.
    public var mediaSSRC: UInt32
    /// At least one.
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    static let packetType: UInt8 = 206
    static let format: UInt8 = 4
    static let what = "RTCP full intra request"

    var bodySize: Int { 8 + entries.count * 8 }

    func validate() throws(RTPError) {
        guard !entries.isEmpty else {
            throw .malformed(what: Self.what, reason: "no FCI entries; RFC 5104 requires at least one")
        }
        guard bodySize + 4 <= 65536 * 4 else {
            throw .malformed(what: Self.what, reason: "\(entries.count) FCI entries do not fit the 16-bit length field")
        }
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPFullIntraRequest {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= 8 else {
            throw .malformed(what: what, reason: "the length field leaves \(body.count) bytes, the two SSRCs need 8")
        }
        let sender = try r.u32("sender SSRC")
        let media = try r.u32("media SSRC")
        guard r.remaining > 0 else {
            throw .malformed(what: what, reason: "no FCI entries; RFC 5104 requires at least one")
        }
        guard r.remaining % 8 == 0 else {
            throw .malformed(what: what, reason: "FCI of \(r.remaining) bytes is not a whole number of 8-byte entries")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(r.remaining / 8)
        while r.remaining > 0 {
            let ssrc = try r.u32("entry SSRC")
            let seq = try r.u8("entry sequence number")
            try r.skip(3, "entry reserved bits")
            entries.append(Entry(ssrc: ssrc, sequenceNumber: seq))
        }
        return RTCPFullIntraRequest(senderSSRC: sender, mediaSSRC: media, entries: entries)
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(senderSSRC)
        w.u32(mediaSSRC)
        for e in entries {
            w.u32(e.ssrc)
            w.u8(e.sequenceNumber)
            w.zeros(3)
        }
    }
}
