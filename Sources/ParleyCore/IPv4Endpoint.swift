/// An IPv4 address and UDP port, parsed from `A.B.C.D:PORT`.
public struct IPv4Endpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The address in host byte order (127.0.0.1 is 0x7F000001).
    public var address: UInt32
    public var port: UInt16

    public init(address: UInt32, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `A.B.C.D:PORT` (numeric IPv4 only; `localhost` means 127.0.0.1).
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon])
        guard let port = UInt16(text[text.index(after: colon)...]),
              let address = IPv4Endpoint.parseAddress(host) else { return nil }
        self.init(address: address, port: port)
    }

    /// Parses a dotted-quad IPv4 address (or `localhost`) into host byte order.
    public static func parseAddress(_ text: String) -> UInt32? {
        if text == "localhost" { return 0x7F00_0001 }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }

    public var addressString: String {
        "\(address >> 24).\((address >> 16) & 0xFF).\((address >> 8) & 0xFF).\(address & 0xFF)"
    }

    public var description: String { "\(addressString):\(port)" }

    /// True for 127.0.0.0/8.
    public var isLoopback: Bool { address >> 24 == 127 }
}
