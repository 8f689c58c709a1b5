/// The `o=` line of a session description (RFC 8866 §5.2): who made the description and
/// which version of it this is.
public struct SDPOrigin: Equatable, Sendable {
    /// The user's login on the originating host, or `-`.
    public var username: String
    /// A numeric session id, unique for `username` and `address`.
    public var sessionId: UInt64
    /// Increased each time the description changes.
    public var sessionVersion: UInt64
    /// `IN` (Internet).
    public var netType: String
    /// `IP4` or `IP6`.
    public var addrType: String
    /// The address of the host that made the description.
    public var address: String

    public init(username: String = "-", sessionId: UInt64 = 0, sessionVersion: UInt64 = 0,
                netType: String = "IN", addrType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.netType = netType
        self.addrType = addrType
        self.address = address
    }

    /// The value after `o=`.
    public var lineValue: String {
        "\(username) \(sessionId) \(sessionVersion) \(netType) \(addrType) \(address)"
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPOrigin {
        let fields = SDPText.words(value)
        guard fields.count == 6 else {
            throw .sdp(line: line, reason: "o= has \(fields.count) fields; it needs 6: "
                + "username session-id session-version nettype addrtype address, e.g. o=- 0 0 IN IP4 127.0.0.1")
        }
        guard let sessionId = SDPText.number(fields[1], as: UInt64.self) else {
            throw .sdp(line: line, reason: "o= session id \"\(fields[1])\" is not a number from 0 to \(UInt64.max)")
        }
        guard let sessionVersion = SDPText.number(fields[2], as: UInt64.self) else {
            throw .sdp(line: line, reason: "o= session version \"\(fields[2])\" is not a number from 0 to \(UInt64.max)")
        }
        return SDPOrigin(username: String(fields[0]), sessionId: sessionId, sessionVersion: sessionVersion,
                         netType: String(fields[3]), addrType: String(fields[4]), address: String(fields[5]))
    }
}

/// The `t=` line (RFC 8866 §5.9): start and stop as NTP seconds; `0 0` means unbounded.
public struct SDPTiming: Equatable, Sendable {
    public var start: UInt64
    public var stop: UInt64

    public init(start: UInt64 = 0, stop: UInt64 = 0) {
        self.start = start
        self.stop = stop
    }

    /// The value after `t=`.
    public var lineValue: String { "\(start) \(stop)" }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPTiming {
        let fields = SDPText.words(value)
        guard fields.count == 2, let start = SDPText.number(fields[0], as: UInt64.self), let stop = SDPText.number(fields[1], as: UInt64.self) else {
            throw .sdp(line: line, reason: "t= needs two numbers, the start and stop times (use t=0 0 for a session without bounds)")
        }
        return SDPTiming(start: start, stop: stop)
    }
}
