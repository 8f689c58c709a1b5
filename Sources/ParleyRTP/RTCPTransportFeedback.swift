/// Transport-wide congestion control feedback, RTPFB (PT 205) FMT 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
///
/// The packet statuses are kept as the chunks on the wire (run-length or status vector)
/// and the receive deltas as their raw values, so parse and serialize are exact.
/// `init(…, packetDeltas:)` builds the chunks from per-packet results, and
/// `packetResults` expands them back.
public struct RTCPTransportFeedback: Equatable, Hashable, Sendable {
    /// Packet status symbol (§3.1.1). The draft lists 0b11 as reserved but its own
    /// examples use it for "received, without receive delta"; it is kept as such.
    public enum Symbol: UInt8, Equatable, Hashable, Sendable, CaseIterable {
        case notReceived = 0
        /// Followed by a 1-byte unsigned delta (0 … 63.75 ms).
        case receivedSmallDelta = 1
        /// Followed by a 2-byte signed delta (−8192 … 8191.75 ms).
        case receivedLargeDelta = 2
        case receivedWithoutDelta = 3

        /// From the two low bits of `bits`.
        init(bits: UInt16) {
            switch bits & 0x3 {
            case 0: self = .notReceived
            case 1: self = .receivedSmallDelta
            case 2: self = .receivedLargeDelta
            default: self = .receivedWithoutDelta
            }
        }

        var deltaSize: Int {
            switch self {
            case .receivedSmallDelta: return 1
            case .receivedLargeDelta: return 2
            case .notReceived, .receivedWithoutDelta: return 0
            }
        }
    }

    public enum Chunk: Equatable, Hashable, Sendable {
        /// A run of 1 … 8191 identical symbols (§3.1.3).
        case runLength(Symbol, count: UInt16)
        /// A status vector (§3.1.4): 14 symbols, each `.notReceived` or
        /// `.receivedSmallDelta`, are sent 1 bit each; 7 symbols are sent 2 bits each.
        /// Symbols past the packet status count (in the last chunk) carry no delta.
        case statusVector([Symbol])
    }

    /// One reported packet, expanded from the chunks.
    public struct PacketResult: Equatable, Hashable, Sendable {
        public var sequenceNumber: UInt16
        public var symbol: Symbol
        /// In 250 µs units: from the previous received packet, or from the reference time
        /// for the first one. Nil when the symbol carries no delta.
        public var receiveDelta: Int16?
        public var received: Bool { symbol != .notReceived }
    }

    public static let referenceTimeUnit = 0.064
    public static let receiveDeltaUnit = 0.000_25
    static let maxRunLength: UInt16 = 8191

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// Transport-wide sequence number of the first packet reported.
    public var baseSequenceNumber: UInt16
    public var packetStatusCount: UInt16
    /// 24 bits, in units of 64 ms, in the feedback sender's time base.
    public var referenceTime: UInt32
    public var feedbackPacketCount: UInt8
    public var chunks: [Chunk]
    /// One per status with a delta, in 250 µs units; small deltas are 0 … 255.
    public var receiveDeltas: [Int16]

    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, packetStatusCount: UInt16,
        referenceTime: UInt32, feedbackPacketCount: UInt8, chunks: [Chunk], receiveDeltas: [Int16]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.packetStatusCount = packetStatusCount
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.chunks = chunks
        self.receiveDeltas = receiveDeltas
    }

    /// Builds the feedback from per-packet results starting at `baseSequenceNumber`:
    /// nil for a packet not received, else its receive delta in 250 µs units (0 … 255 is
    /// sent as a small delta, anything else as a large one). Chunks are chosen greedily:
    /// a run-length chunk for a run of 14 or more (or for the rest when all equal), else a
    /// 1-bit vector when the next 14 symbols need no large delta, else a 2-bit vector.
    /// At most 65535 packets are reported; extra ones are left out.
    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16,
        referenceTime: UInt32, feedbackPacketCount: UInt8, packetDeltas: [Int16?]
    ) {
        let reported = packetDeltas.prefix(Int(UInt16.max))
        let symbols: [Symbol] = reported.map { delta in
            guard let delta else { return .notReceived }
            return (0...255).contains(delta) ? .receivedSmallDelta : .receivedLargeDelta
        }
        self.init(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: baseSequenceNumber,
            packetStatusCount: UInt16(symbols.count), referenceTime: referenceTime,
            feedbackPacketCount: feedbackPacketCount, chunks: Self.encode(symbols),
            receiveDeltas: reported.compactMap { $0 })
    }

    static func encode(_ symbols: [Symbol]) -> [Chunk] {
        var chunks: [Chunk] = []
        var i = 0
        while i < symbols.count {
            let left = symbols.count - i
            var run = 1
            while run < left && run < Int(maxRunLength) && symbols[i + run] == symbols[i] { run += 1 }
            if run >= 14 || run == left {
                chunks.append(.runLength(symbols[i], count: UInt16(run)))
                i += run
                continue
            }
            let window = symbols[i..<min(i + 14, symbols.count)]
            if window.count > 7 && window.allSatisfy({ $0 == .notReceived || $0 == .receivedSmallDelta }) {
                chunks.append(.statusVector(Array(window) + Array(repeating: .notReceived, count: 14 - window.count)))
                i += 14
            } else {
                let seven = symbols[i..<min(i + 7, symbols.count)]
                chunks.append(.statusVector(Array(seven) + Array(repeating: .notReceived, count: 7 - seven.count)))
                i += 7
            }
        }
        return chunks
    }

    /// The first `packetStatusCount` symbols of the chunks.
    public var packetStatuses: [Symbol] {
        var out: [Symbol] = []
        out.reserveCapacity(Int(packetStatusCount))
        for chunk in chunks {
            let left = Int(packetStatusCount) - out.count
            guard left > 0 else { break }
            switch chunk {
            case .runLength(let s, let n): out += repeatElement(s, count: min(Int(n), left))
            case .statusVector(let v): out += v.prefix(left)
            }
        }
        return out
    }

    /// Every reported packet with its status and delta.
    public var packetResults: [PacketResult] {
        var deltas = receiveDeltas.makeIterator()
        return packetStatuses.enumerated().map { i, s in
            PacketResult(
                sequenceNumber: baseSequenceNumber &+ UInt16(truncatingIfNeeded: i), symbol: s,
                receiveDelta: s.deltaSize > 0 ? deltas.next() : nil)
        }
    }

    static let packetType: UInt8 = 205
    static let format: UInt8 = 15
    static let what = "RTCP transport-wide feedback"

    /// Size of the body before padding to a 32-bit boundary.
    var unpaddedBodySize: Int {
        16 + chunks.count * 2 + packetStatuses.reduce(0) { $0 + $1.deltaSize }
    }

    /// How many statuses one chunk covers, checking it against the statuses still to cover.
    static func coverage(of chunk: Chunk, index: Int, left: Int, count: UInt16) throws(RTPError) -> Int {
        guard left > 0 else {
            throw .malformed(
                what: "\(what) chunk \(index)", reason: "starts after all \(count) statuses of the packet status count are covered")
        }
        switch chunk {
        case .runLength(_, let n):
            guard n > 0 else {
                throw .malformed(what: "\(what) run-length chunk \(index)", reason: "run length 0")
            }
            guard n <= maxRunLength else {
                throw .malformed(what: "\(what) run-length chunk \(index)", reason: "run length \(n) exceeds the 13-bit field")
            }
            guard Int(n) <= left else {
                throw .malformed(
                    what: "\(what) run-length chunk \(index)",
                    reason: "run of \(n) exceeds the \(left) statuses left of packet status count \(count)")
            }
            return Int(n)
        case .statusVector(let v):
            switch v.count {
            case 7: break
            case 14:
                guard v.allSatisfy({ $0 == .notReceived || $0 == .receivedSmallDelta }) else {
                    throw .malformed(
                        what: "\(what) status vector chunk \(index)",
                        reason: "a 14-symbol (1-bit) vector can only hold not-received and small-delta symbols")
                }
            default:
                throw .malformed(
                    what: "\(what) status vector chunk \(index)", reason: "\(v.count) symbols; a vector holds 14 (1-bit) or 7 (2-bit)")
            }
            return min(v.count, left)
        }
    }

    func validate() throws(RTPError) {
        guard referenceTime <= 0xFF_FFFF else {
            throw .malformed(what: "\(Self.what) reference time", reason: "\(referenceTime) does not fit 24 bits")
        }
        var left = Int(packetStatusCount)
        for (i, chunk) in chunks.enumerated() {
            left -= try Self.coverage(of: chunk, index: i, left: left, count: packetStatusCount)
        }
        guard left == 0 else {
            throw .malformed(
                what: Self.what,
                reason: "chunks cover \(Int(packetStatusCount) - left) of the \(packetStatusCount) packet statuses")
        }
        let statuses = packetStatuses
        let needed = statuses.reduce(0) { $0 + ($1.deltaSize > 0 ? 1 : 0) }
        guard needed == receiveDeltas.count else {
            throw .malformed(
                what: "\(Self.what) receive deltas", reason: "\(receiveDeltas.count) deltas for \(needed) statuses that carry one")
        }
        var deltaIndex = 0
        for s in statuses where s.deltaSize > 0 {
            let d = receiveDeltas[deltaIndex]
            if s == .receivedSmallDelta && !(0...255).contains(d) {
                throw .malformed(
                    what: "\(Self.what) receive delta \(deltaIndex)", reason: "\(d) is outside 0…255 of a small delta")
            }
            deltaIndex += 1
        }
        guard unpaddedBodySize + 3 + 4 <= 65536 * 4 else {
            throw .malformed(what: Self.what, reason: "too many chunks and deltas for the 16-bit length field")
        }
    }

    static func parse(body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPTransportFeedback {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= 16 else {
            throw .malformed(
                what: what, reason: "the length field leaves \(body.count) bytes, the fixed fields need 16")
        }
        let sender = try r.u32("sender SSRC")
        let media = try r.u32("media SSRC")
        let base = try r.u16("base sequence number")
        let count = try r.u16("packet status count")
        let reference = try r.u24("reference time")
        let fbCount = try r.u8("feedback packet count")

        var chunks: [Chunk] = []
        var statuses: [Symbol] = []
        statuses.reserveCapacity(Int(count))
        var left = Int(count)
        while left > 0 {
            guard r.remaining >= 2 else {
                throw .malformed(
                    what: what,
                    reason: "the packet ends after chunks covering \(Int(count) - left) of the \(count) packet statuses")
            }
            let word = try r.u16("packet chunk")
            let chunk: Chunk
            if word & 0x8000 == 0 {
                chunk = .runLength(Symbol(bits: word >> 13), count: word & 0x1FFF)
            } else if word & 0x4000 == 0 {
                chunk = .statusVector((0..<14).map { i in word & (1 << (13 - i)) != 0 ? .receivedSmallDelta : .notReceived })
            } else {
                chunk = .statusVector((0..<7).map { i in Symbol(bits: word >> (12 - 2 * i)) })
            }
            let covered = try coverage(of: chunk, index: chunks.count, left: left, count: count)
            switch chunk {
            case .runLength(let s, _): statuses += repeatElement(s, count: covered)
            case .statusVector(let v): statuses += v.prefix(covered)
            }
            left -= covered
            chunks.append(chunk)
        }

        var deltas: [Int16] = []
        for (i, s) in statuses.enumerated() where s.deltaSize > 0 {
            guard r.remaining >= s.deltaSize else {
                throw .malformed(
                    what: "\(what) receive deltas",
                    reason: "the packet ends before the delta of status \(i) (sequence number \(base &+ UInt16(i)))")
            }
            if s == .receivedSmallDelta {
                deltas.append(Int16(try r.u8("small receive delta")))
            } else {
                deltas.append(Int16(bitPattern: try r.u16("large receive delta")))
            }
        }
        // Without the padding bit the deltas are followed by zero padding to a word boundary.
        guard r.remaining <= 3 else {
            throw .malformed(what: what, reason: "\(r.remaining) bytes after the receive deltas, more than word padding")
        }
        return RTCPTransportFeedback(
            senderSSRC: sender, mediaSSRC: media, baseSequenceNumber: base, packetStatusCount: count,
            referenceTime: reference, feedbackPacketCount: fbCount, chunks: chunks, receiveDeltas: deltas)
    }

    /// Writes the unpadded body; the caller adds the padding.
    func write(_ w: inout RTCPByteWriter) {
        w.u32(senderSSRC)
        w.u32(mediaSSRC)
        w.u16(baseSequenceNumber)
        w.u16(packetStatusCount)
        w.u24(referenceTime)
        w.u8(feedbackPacketCount)
        for chunk in chunks {
            switch chunk {
            case .runLength(let s, let n):
                w.u16(UInt16(s.rawValue) << 13 | (n & 0x1FFF))
            case .statusVector(let v) where v.count == 14:
                var word: UInt16 = 0x8000
                for (i, s) in v.enumerated() where s != .notReceived { word |= 1 << (13 - i) }
                w.u16(word)
            case .statusVector(let v):
                var word: UInt16 = 0xC000
                for (i, s) in v.enumerated() { word |= UInt16(s.rawValue) << (12 - 2 * i) }
                w.u16(word)
            }
        }
        var deltas = receiveDeltas.makeIterator()
        for s in packetStatuses where s.deltaSize > 0 {
            let d = deltas.next() ?? 0
            if s == .receivedSmallDelta {
                w.u8(UInt8(truncatingIfNeeded: d))
            } else {
                w.u16(UInt16(bitPattern: d))
            }
        }
    }
}
