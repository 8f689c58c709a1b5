import NIOCore
import ParleySecurity

/// The relay's wire protocol: tiny, length-prefixed, binary, over TCP.
///
/// Every frame is `u32 length | u8 type | body`, big-endian; `length` counts the type
/// byte and the body and is at most `RelayFrame.maxLength` (64 KiB). A bigger length is
/// answered with an ERROR frame and the connection is closed.
///
/// | type | name      | direction | body |
/// |------|-----------|-----------|------|
/// | 0x01 | HELLO     | s → c     | 32-byte random challenge, sent once on connect |
/// | 0x02 | DEPOSIT   | c → s     | mailbox id (16) · ttl seconds (u32) · envelope (≤ 60 KiB) |
/// | 0x03 | CLAIM     | c → s     | mailbox id (16) · Ed25519 public key (32) · signature (64) |
/// | 0x04 | FETCH     | c → s     | mailbox id (16) — the mailbox must be claimed on this connection |
/// | 0x05 | ACK       | c → s     | mailbox id (16) · count (u16) · envelope ids (u64 each) — deletes them |
/// | 0x10 | OK        | s → c     | empty |
/// | 0x11 | ERROR     | s → c     | UTF-8 reason (short, e.g. "mailbox full") |
/// | 0x12 | ENVELOPES | s → c     | more (u8) · count (u16) · (id u64 · length u32 · bytes)* |
///
/// The CLAIM signature covers `"parley relay claim v1" || challenge || mailbox id`, so it
/// is valid only on the connection that received that challenge. The first valid claim
/// binds a mailbox to its key; later claims must use the same key. Deposits need no claim
/// (the depositor knows only the random mailbox id) and are stored up to the limits.
/// Requests are answered in order, one response each. Envelopes are opaque sealed bytes:
/// the relay never sees a key, a name or a plaintext.
public enum RelayFrameType: UInt8, Sendable {
    case hello = 0x01
    case deposit = 0x02
    case claim = 0x03
    case fetch = 0x04
    case ack = 0x05
    case ok = 0x10
    case error = 0x11
    case envelopes = 0x12
}

/// One frame: its type byte and body.
public struct RelayFrame: Sendable, Equatable {
    /// Largest `length` (type byte + body).
    public static let maxLength = 64 * 1024
    /// Largest envelope in a DEPOSIT.
    public static let maxEnvelopeLength = 60 * 1024
    public static let challengeLength = 32
    public static let claimContext = Array("parley relay claim v1".utf8)

    public var type: UInt8
    public var body: [UInt8]

    public init(type: UInt8, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    public init(_ type: RelayFrameType, body: [UInt8] = []) {
        self.init(type: type.rawValue, body: body)
    }

    /// The message a CLAIM signs.
    public static func claimMessage(challenge: [UInt8], mailbox: MailboxID) -> [UInt8] {
        claimContext + challenge + mailbox.bytes
    }
}

/// A random 16-byte mailbox id (one per contact and direction, not per person).
public struct MailboxID: Hashable, Sendable, CustomStringConvertible {
    public static let length = 16
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == MailboxID.length else { return nil }
        self.bytes = bytes
    }

    public static func random() throws -> MailboxID {
        MailboxID(bytes: try SecureRandom.bytes(count: length))!
    }

    public var description: String { bytes.map { String(format2: $0) }.joined() }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

/// An envelope held by the relay, as returned by FETCH.
public struct RelayEnvelope: Sendable, Equatable {
    public var id: UInt64
    public var bytes: [UInt8]
    public init(id: UInt64, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }
}

/// Errors of the relay client and server; `description` is the relay's short reason.
public enum RelayError: Error, Equatable, CustomStringConvertible {
    /// The relay answered ERROR with this reason.
    case refused(String)
    case frameTooLarge(Int)
    case malformed(String)
    case connectionClosed
    case unexpectedResponse(UInt8)

    public var description: String {
        switch self {
        case .refused(let reason): return "relay refused: \(reason)"
        case .frameTooLarge(let length): return "frame of \(length) bytes exceeds \(RelayFrame.maxLength)"
        case .malformed(let what): return "malformed \(what)"
        case .connectionClosed: return "relay connection closed"
        case .unexpectedResponse(let type): return "unexpected relay response type \(type)"
        }
    }
}

/// Splits the byte stream into frames; refuses a length above the maximum before reading it.
struct RelayFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = RelayFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length >= 1 else { throw RelayError.malformed("frame (zero length)") }
        guard Int(length) <= RelayFrame.maxLength else { throw RelayError.frameTooLarge(Int(length)) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let type: UInt8 = buffer.readInteger()!
        let body = buffer.readBytes(length: Int(length) - 1)!
        context.fireChannelRead(wrapInboundOut(RelayFrame(type: type, body: body)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A truncated trailing frame is dropped.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

struct RelayFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = RelayFrame

    func encode(data: RelayFrame, out: inout ByteBuffer) throws {
        out.writeInteger(UInt32(1 + data.body.count))
        out.writeInteger(data.type)
        out.writeBytes(data.body)
    }
}

/// Big-endian readers over a body.
struct BodyReader {
    var bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func u8() -> UInt8? { take(1).map { $0[0] } }
    mutating func u16() -> UInt16? { take(2).map { UInt16($0[0]) << 8 | UInt16($0[1]) } }
    mutating func u32() -> UInt32? { take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
    mutating func u64() -> UInt64? { take(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } } }
    mutating func rest() -> [UInt8] { take(remaining)! }
}

extension Array where Element == UInt8 {
    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> T(shift)))
        }
    }
}
