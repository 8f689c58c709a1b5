/// Counts received packets refused by the parser, by kind of error, so a receiver can
/// drop bad input and report how much it dropped (and why the last one was dropped).
public struct RTPPacketDropCounter: Sendable, Equatable {
    /// Packets shorter than their own structure says (`RTPError.truncated`).
    public private(set) var truncated = 0
    /// Packets with impossible fields: wrong version, lying lengths or padding (`.malformed`).
    public private(set) var malformed = 0
    /// Everything else (`.unsupported`, …).
    public private(set) var other = 0
    /// The most recent error, for a log line or a stats report.
    public private(set) var lastError: RTPError?

    public init() {}

    public var total: Int { truncated + malformed + other }

    public mutating func record(_ error: RTPError) {
        switch error {
        case .truncated: truncated += 1
        case .malformed: malformed += 1
        default: other += 1
        }
        lastError = error
    }
}

extension RTPPacketView {
    /// Parses `bytes`, or counts the packet as dropped and returns nil.
    public static func parse(_ bytes: UnsafeRawBufferPointer, dropCounter: inout RTPPacketDropCounter) -> RTPPacketView? {
        do {
            return try parse(bytes)
        } catch {
            dropCounter.record(error)
            return nil
        }
    }
}
