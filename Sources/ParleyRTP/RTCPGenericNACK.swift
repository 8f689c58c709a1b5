/// Generic NACK, RTPFB (PT 205) FMT 1 (RFC 4585 §6.2.1): lost RTP sequence numbers as
/// PID + BLP pairs. `entries` is what is on the wire, so parse and serialize are exact;
/// `init(senderSSRC:mediaSSRC:lostSequenceNumbers:)` compresses and
/// `lostSequenceNumbers` expands.
public struct RTCPGenericNACK: Equatable, Hashable, Sendable {
    public struct Entry: Equatable, Hashable, Sendable {
        /// Packet ID: a lost sequence number.
        public var packetID: UInt16
        /// Bitmask of following lost packets: bit i (LSB = 0) set means PID + i + 1 was lost.
        public var lostBitmask: UInt16
        public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// At least one (RFC 4585).
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Compresses lost sequence numbers into PID+BLP pairs. Numbers are taken in RTP order
    /// (mod 2^16) starting from the first one given; duplicates are dropped.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: [UInt16]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = Self.compress(lostSequenceNumbers)
    }

    /// Every sequence number the entries mark lost, in wire order.
    public var lostSequenceNumbers: [UInt16] {
        var out: [UInt16] = []
        for e in entries {
            out.append(e.packetID)
            for bit in 0..<16 where e.lostBitmask & (1 << bit) != 0 {
                out.append(e.packetID &+ UInt16(bit + 1))
            }
        }
        return out
    }

    static func compress(_ numbers: [UInt16]) -> [Entry] {
        guard let first = numbers.first else { return [] }
        let ordered = Set(numbers).sorted { ($0 &- first) < ($1 &- first) }
        var entries: [Entry] = []
        for seq in ordered {
            if var last = entries.last {
                let distance = seq &- last.packetID
                if distance >= 1 && distance <= 16 {
                    last.lostBitmask |= 1 << (distance - 1)
                    entries[entries.count - 1] = last
                    continue
                }
            }
            entries.append(Entry(packetID: seq))
        }
        return entries
    }

    static let packetType: UInt8 = 205
    static let format: UInt8 = 1
    static let what = "RTCP generic NACK"

    var bodySize: Int { 8 + entries.count * 4 }

    func validate() throws(RTPError) {
        guard !entries.isEmpty else {
            throw .malformed(what: Self.what, reason: "no FCI entries; RFC 4585 requires at least one")
        }
        guard bodySize + 4 <= 65536 * 4 else {
            throw .malformed(what: Self.what, reason: "\(entries.count) FCI entries do not fit the 16-bit length field")
        }
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPGenericNACK {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= 8 else {
            throw .malformed(what: what, reason: "the length field leaves \(body.count) bytes, the two SSRCs need 8")
        }
        let sender = try r.u32("sender SSRC")
        let media = try r.u32("media SSRC")
        guard r.remaining > 0 else {
            throw .malformed(what: what, reason: "no FCI entries; RFC 4585 requires at least one")
        }
        guard r.remaining % 4 == 0 else {
            throw .malformed(what: what, reason: "FCI of \(r.remaining) bytes is not a whole number of 4-byte PID+BLP entries")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(r.remaining / 4)
        while r.remaining > 0 {
            entries.append(Entry(packetID: try r.u16("PID"), lostBitmask: try r.u16("BLP")))
        }
        return RTCPGenericNACK(senderSSRC: sender, mediaSSRC: media, entries: entries)
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(senderSSRC)
        w.u32(mediaSSRC)
        for e in entries {
            w.u16(e.packetID)
            w.u16(e.lostBitmask)
        }
    }
}
