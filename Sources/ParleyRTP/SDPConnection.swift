/// A `c=` line (RFC 8866 §5.7), at session or media level: where media is sent.
public struct SDPConnection: Equatable, Sendable {
    /// `IN` (Internet).
    public var netType: String
    /// `IP4` or `IP6`.
    public var addrType: String
    /// The address without the `/ttl/count` suffix.
    public var address: String
    /// The multicast TTL (IP4 only), written `/ttl` after the address.
    public var ttl: UInt8?
    /// The number of consecutive multicast addresses, written `/count` at the end. For IP4
    /// it is written only after a TTL (`address/ttl/count`): `address/n` reads as a TTL.
    public var addressCount: UInt32?

    public init(netType: String = "IN", addrType: String = "IP4", address: String,
                ttl: UInt8? = nil, addressCount: UInt32? = nil) {
        self.netType = netType
        self.addrType = addrType
        self.address = address
        self.ttl = ttl
        self.addressCount = addressCount
    }

    /// A connection to `address`, IP6 when it contains a colon and IP4 otherwise.
    public init(address: String) {
        self.init(addrType: address.contains(":") ? "IP6" : "IP4", address: address)
    }

    /// The value after `c=`.
    public var lineValue: String {
        var text = "\(netType) \(addrType) \(address)"
        if let ttl { text += "/\(ttl)" }
        if let addressCount { text += "/\(addressCount)" }
        return text
    }

    static func parse(_ value: Substring, line: Int, what: String = "c=") throws(RTPError) -> SDPConnection {
        let fields = SDPText.words(value)
        guard fields.count == 3 else {
            throw .sdp(line: line, reason: "\(what) needs 3 fields: nettype addrtype address, e.g. c=IN IP4 192.0.2.1")
        }
        let parts = fields[2].split(separator: "/", omittingEmptySubsequences: false)
        guard let first = parts.first, !first.isEmpty, parts.count <= 3 else {
            throw .sdp(line: line, reason: "\(what) address \"\(fields[2])\" should be address[/ttl][/count]")
        }
        var connection = SDPConnection(netType: String(fields[0]), addrType: String(fields[1]), address: String(first))
        // IP4 multicast: address/ttl[/count]; IP6 (no TTL): address[/count].
        let ip6 = fields[1] == "IP6"
        if parts.count == 3 && ip6 {
            throw .sdp(line: line, reason: "\(what) an IP6 address takes only /count after it, not /ttl/count")
        }
        if parts.count >= 2 {
            if ip6 {
                guard let count = SDPText.number(parts[1], as: UInt32.self) else {
                    throw .sdp(line: line, reason: "\(what) address count \"\(parts[1])\" is not a number")
                }
                connection.addressCount = count
            } else {
                guard let ttl = SDPText.number(parts[1], as: UInt8.self) else {
                    throw .sdp(line: line, reason: "\(what) TTL \"\(parts[1])\" is not a number from 0 to 255")
                }
                connection.ttl = ttl
            }
        }
        if parts.count == 3 {
            guard let count = SDPText.number(parts[2], as: UInt32.self) else {
                throw .sdp(line: line, reason: "\(what) address count \"\(parts[2])\" is not a number")
            }
            connection.addressCount = count
        }
        return connection
    }
}

/// A `b=` line (RFC 8866 §5.8): a bandwidth limit such as `AS:64` (kilobits per second).
public struct SDPBandwidth: Equatable, Sendable {
    /// `AS`, `CT`, `TIAS`, `RS`, `RR`, …
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    /// The value after `b=`.
    public var lineValue: String { "\(type):\(value)" }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPBandwidth {
        guard let colon = value.firstIndex(of: ":"), colon != value.startIndex,
              let number = SDPText.number(value[value.index(after: colon)...], as: UInt64.self) else {
            throw .sdp(line: line, reason: "b= should be type:number, e.g. b=AS:64")
        }
        return SDPBandwidth(type: String(value[..<colon]), value: number)
    }
}

/// The direction attributes (RFC 8866 §6.7): `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`.
public enum SDPDirection: String, Equatable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction the other side uses in its answer: sendonly ↔ recvonly.
    public var reversed: SDPDirection {
        switch self {
        case .sendonly: return .recvonly
        case .recvonly: return .sendonly
        case .sendrecv, .inactive: return self
        }
    }

    /// Whether this side sends media.
    public var sends: Bool { self == .sendrecv || self == .sendonly }
    /// Whether this side receives media.
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}
