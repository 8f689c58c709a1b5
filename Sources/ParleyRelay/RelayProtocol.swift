import NIOCore
import ParleySecurity

/// The relay's wire protocol: tiny, length-prefixed, binary, over TCP.
///
/// Every frame is `u32 length | u8 type | body`, big-endian; `length` counts the type
/// byte and the body and is at most `RelayFrame.maxLength` (64 KiB). A bigger length is
/// answered with an ERROR frame and the connection is closed.
///
/// | type | name       | direction | body |
/// |------|------------|-----------|------|
/// | 0x01 | HELLO      | s → c     | 32-byte random challenge, sent once on connect |
/// | 0x02 | DEPOSIT    | c → s     | mailbox id (16) · ttl seconds (u32) · envelope (≤ 60 KiB) |
/// | 0x03 | CLAIM      | c → s     | mailbox id (16) · Ed25519 public key (32) · signature (64) |
/// | 0x04 | FETCH      | c → s     | mailbox id (16) — the mailbox must be claimed on this connection |
/// | 0x05 | ACK        | c → s     | mailbox id (16) · count (u16) · envelope ids (u64 each) — deletes them |
/// | 0x06 | DEPOSIT_ID | c → s     | mailbox id (16) · ttl seconds (u32) · deposit id (u64) · envelope (≤ 60 KiB) |
/// | 0x10 | OK         | s → c     | empty |
/// | 0x11 | ERROR      | s → c     | UTF-8 reason (short, e.g. "mailbox full") |
/// | 0x12 | ENVELOPES  | s → c     | more (u8) · count (u16) · (id u64 · length u32 · bytes)* |
///
/// The CLAIM signature covers `"parley relay claim v1" || challenge || mailbox id`, so it
/// is valid only on the connection that received that challenge. The first valid claim
/// binds a mailbox to its key; later claims must use the same key. Deposits need no claim
/// (the depositor knows only the random mailbox id) and are stored up to the limits.
/// Requests are answered in order, one response each. Envelopes are opaque sealed bytes:
/// the relay never sees a key, a name or a plaintext.
///
/// DEPOSIT_ID is DEPOSIT with a client-chosen random 64-bit deposit id (an idempotency
/// key). The relay remembers it per mailbox for the envelope's lifetime (its TTL), even
/// after the envelope is acknowledged: the same id deposited again into the same mailbox
/// is answered OK and not stored twice, so a client may retry a deposit whose answer was
/// lost when the connection dropped. (Plain DEPOSIT has no such guarantee; the signaling
/// layer's replay window still rejects a duplicate it receives.)
///
/// Envelope ids are never reused, even across a relay restart (they continue from the
/// relay's clock in microseconds), so an ACK retried after a reconnect cannot delete a
/// newer envelope.
///
/// Refusals (ERROR, connection kept): "envelope too large", "ttl must be positive",
/// "mailbox full" (the mailbox's envelope or byte cap), "relay full" (the relay-wide byte
/// or mailbox cap), "rate limited" (deposits per second on this connection), "bad claim
/// signature", "mailbox claimed by another key", "mailbox not claimed on this connection",
/// "store write failed". ERROR then close: "relay busy" (instead of HELLO, too many
/// connections), "idle timeout", "truncated …", "unknown message type …", an oversized
/// frame. A refused request stores nothing.
public enum RelayFrameType: UInt8, Sendable {
    case hello = 0x01
    case deposit = 0x02
    case claim = 0x03
    case fetch = 0x04
    case ack = 0x05
    case depositWithID = 0x06
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
        let bytes = try SecureRandom.bytes(count: length)
        guard let id = MailboxID(bytes: bytes) else { throw RelayError.malformed("random mailbox id") }
        return id
    }

    /// The 32 lowercase hex digits (as `description`), parsed back; nil if not exactly that.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * MailboxID.length else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(MailboxID.length)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    public var description: String { bytes.map { String(format2: $0) }.joined() }
}

/// The value of a lowercase hex digit.
func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
    default: return nil
    }
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
    /// The relay did not answer within this many seconds (the connection was closed).
    case timedOut(seconds: Double)
    /// The relay's durable store (`--store`) cannot be used.
    case store(path: String, reason: String)
    /// A `RelaySession` gave up reconnecting.
    case unreachable(attempts: Int, lastError: String)

    public var description: String {
        switch self {
        case .refused(let reason): return "relay refused: \(reason)"
        case .frameTooLarge(let length): return "frame of \(length) bytes exceeds \(RelayFrame.maxLength)"
        case .malformed(let what): return "malformed \(what)"
        case .connectionClosed: return "relay connection closed"
        case .unexpectedResponse(let type): return "unexpected relay response type \(type)"
        case .timedOut(let seconds): return "the relay did not answer within \(seconds) s"
        case .store(let path, let reason): return "relay store \(path): \(reason)"
        case .unreachable(let attempts, let lastError):
            return "relay unreachable after \(attempts) attempt\(attempts == 1 ? "" : "s") (last error: \(lastError))"
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
        guard let type: UInt8 = buffer.readInteger(), let body = buffer.readBytes(length: Int(length) - 1) else {
            throw RelayError.malformed("frame")
        }
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
    mutating func rest() -> [UInt8] { take(remaining) ?? [] }
}

extension Array where Element == UInt8 {
    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> T(shift)))
        }
    }
}
