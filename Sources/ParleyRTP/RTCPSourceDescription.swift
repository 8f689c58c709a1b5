/// RTCP source description, PT 202 (RFC 3550 §6.5): chunks of an SSRC/CSRC and its items.
/// Every item is kept, known or not, so a packet re-serializes to the same bytes.
public struct RTCPSourceDescription: Equatable, Hashable, Sendable {
    /// SDES item type (RFC 3550 §6.5). Type 0 is the end-of-list marker, never an item.
    public struct ItemType: RawRepresentable, Equatable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let cname = ItemType(rawValue: 1)
        public static let name = ItemType(rawValue: 2)
        public static let email = ItemType(rawValue: 3)
        public static let phone = ItemType(rawValue: 4)
        public static let location = ItemType(rawValue: 5)
        public static let tool = ItemType(rawValue: 6)
        public static let note = ItemType(rawValue: 7)
        /// Value holds the prefix length, prefix and value as sent (RFC 3550 §6.5.8).
        public static let priv = ItemType(rawValue: 8)
    }

    public struct Item: Equatable, Hashable, Sendable {
        public var type: ItemType
        /// Up to 255 bytes; UTF-8 text for every standard type.
        public var value: [UInt8]
        public init(type: ItemType, value: [UInt8]) {
            self.type = type
            self.value = value
        }
        public init(type: ItemType, text: String) {
            self.init(type: type, value: Array(text.utf8))
        }
        /// The value as text (invalid UTF-8 replaced).
        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    public struct Chunk: Equatable, Hashable, Sendable {
        public var ssrc: UInt32
        public var items: [Item]
        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }
        /// A chunk with only a CNAME, the usual case.
        public init(ssrc: UInt32, cname: String) {
            self.init(ssrc: ssrc, items: [Item(type: .cname, text: cname)])
        }
        /// The first CNAME item's text.
        public var cname: String? { items.first { $0.type == .cname }?.text }

        var wireSize: Int {
            let raw = 4 + items.reduce(0) { $0 + 2 + $1.value.count } + 1  // + end-of-list null
            return raw + rtcpPadding(toWordBoundary: raw)
        }
    }

    /// At most 31.
    public var chunks: [Chunk]

    public init(chunks: [Chunk]) { self.chunks = chunks }

    static let packetType: UInt8 = 202
    static let what = "RTCP source description"

    var bodySize: Int { chunks.reduce(0) { $0 + $1.wireSize } }

    func validate() throws(RTPError) {
        guard chunks.count <= 31 else {
            throw .malformed(what: Self.what, reason: "\(chunks.count) chunks, the 5-bit source count allows 31")
        }
        for (i, chunk) in chunks.enumerated() {
            for item in chunk.items {
                guard item.type.rawValue != 0 else {
                    throw .malformed(
                        what: "\(Self.what) chunk \(i)", reason: "item type 0 is the end-of-list marker and cannot carry a value")
                }
                guard item.value.count <= 255 else {
                    throw .malformed(
                        what: "\(Self.what) chunk \(i) item \(item.type.rawValue)",
                        reason: "value of \(item.value.count) bytes, the 8-bit length allows 255")
                }
            }
        }
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPSourceDescription {
        var r = RTCPByteReader(body, what: what)
        var chunks: [Chunk] = []
        chunks.reserveCapacity(Int(count))
        for i in 0..<Int(count) {
            guard r.remaining >= 4 else {
                throw .malformed(
                    what: what,
                    reason: "source count \(count) but the length field ends the packet after \(i) chunks")
            }
            let ssrc = try r.u32("chunk SSRC")
            var items: [Item] = []
            while true {
                guard r.remaining >= 1 else {
                    throw .malformed(what: "\(what) chunk \(i)", reason: "items run to the end of the packet without the null end-of-list octet")
                }
                let type = try r.u8("item type")
                if type == 0 {
                    // End of list: null octets up to the next 32-bit boundary.
                    let pad = rtcpPadding(toWordBoundary: r.offset)
                    guard r.remaining >= pad else {
                        throw .malformed(what: "\(what) chunk \(i)", reason: "chunk ends mid-word at the end of the packet")
                    }
                    try r.skip(pad, "chunk padding")
                    break
                }
                guard r.remaining >= 1 else {
                    throw .malformed(what: "\(what) chunk \(i) item \(type)", reason: "the length octet is past the end of the packet")
                }
                let length = Int(try r.u8("item length"))
                guard r.remaining >= length else {
                    throw .malformed(
                        what: "\(what) chunk \(i) item \(type)",
                        reason: "length \(length) exceeds the \(r.remaining) bytes left in the packet")
                }
                items.append(Item(type: ItemType(rawValue: type), value: try r.bytes(length, "item value")))
            }
            chunks.append(Chunk(ssrc: ssrc, items: items))
        }
        guard r.remaining == 0 else {
            throw .malformed(what: what, reason: "\(r.remaining) bytes after the \(count) chunks the source count announces")
        }
        return RTCPSourceDescription(chunks: chunks)
    }

    func write(_ w: inout RTCPByteWriter) {
        for chunk in chunks {
            let start = w.offset
            w.u32(chunk.ssrc)
            for item in chunk.items {
                w.u8(item.type.rawValue)
                w.u8(UInt8(item.value.count))
                w.bytes(item.value)
            }
            w.zeros(chunk.wireSize - (w.offset - start))  // end-of-list null and padding
        }
    }
}
