/// An `a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|MKI:length] [<session params>]`
/// attribute: SDES keying for SRTP (RFC 4568 §9.1, RFC 7714 §12 for the GCM suites).
///
/// The suite and keys can only be set together, through the initializer, which checks that
/// every key is `suite.keyAndSaltLength` bytes long.
public struct SDPCryptoAttribute: Equatable, Sendable {
    /// Identifies this offer among the section's `a=crypto` lines; the answer repeats it.
    public var tag: UInt32
    public private(set) var suite: SDPCryptoSuite
    /// One or more keys, each `suite.keyAndSaltLength` bytes.
    public private(set) var keys: [SDPCryptoKey]
    /// Session parameters as written (`KDR=1`, `UNENCRYPTED_SRTCP`, `WSH=64`, …).
    public var sessionParameters: [String]

    /// A crypto attribute; throws `.malformed` when a key is not the length `suite` needs.
    public init(tag: UInt32 = 1, suite: SDPCryptoSuite, keys: [SDPCryptoKey],
                sessionParameters: [String] = []) throws(RTPError) {
        guard !keys.isEmpty else {
            throw .malformed(what: "a=crypto", reason: "it needs at least one key")
        }
        for key in keys where key.keyAndSalt.count != suite.keyAndSaltLength {
            throw .malformed(what: "SRTP master key", reason: SDPCryptoAttribute.lengthProblem(suite, key.keyAndSalt.count))
        }
        self.tag = tag
        self.suite = suite
        self.keys = keys
        self.sessionParameters = sessionParameters
    }

    /// A crypto attribute with one key and no lifetime or MKI: what ffmpeg reads.
    public init(tag: UInt32 = 1, suite: SDPCryptoSuite, keyAndSalt: [UInt8]) throws(RTPError) {
        try self.init(tag: tag, suite: suite, keys: [SDPCryptoKey(keyAndSalt: keyAndSalt)])
    }

    /// The master key and salt of the first key.
    public var keyAndSalt: [UInt8] { keys[0].keyAndSalt }

    static func lengthProblem(_ suite: SDPCryptoSuite, _ count: Int) -> String {
        "\(suite.rawValue) needs \(suite.keyAndSaltLength) bytes of master key and salt "
            + "(\(suite.keyLength) + \(suite.saltLength)), but the key has \(count); "
            + "make the key for this suite or pick the suite the key was made for"
    }

    /// The text after `a=crypto:`.
    public var attributeValue: String {
        var text = "\(tag) \(suite.rawValue) " + keys.map(\.keyParameter).joined(separator: ";")
        for parameter in sessionParameters { text += " \(parameter)" }
        return text
    }

    /// Parses the text after `a=crypto:`. Returns nil for a crypto suite this module does
    /// not know (the line is then kept as an unknown attribute); throws for a malformed line.
    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPCryptoAttribute? {
        let fields = SDPText.words(value)
        guard fields.count >= 3 else {
            throw .sdp(line: line, reason: "a=crypto needs a tag, a crypto suite and a key, "
                + "e.g. a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<40 base64 characters>")
        }
        guard let tag = SDPText.number(fields[0], as: UInt32.self), tag <= 999_999_999 else {
            throw .sdp(line: line, reason: "a=crypto tag \"\(fields[0])\" is not a number from 0 to 999999999")
        }
        guard let suite = SDPCryptoSuite(rawValue: String(fields[1])) else { return nil }
        var keys: [SDPCryptoKey] = []
        for (index, text) in fields[2].split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            let what = "a=crypto:\(tag) \(suite.rawValue) key \(index + 1)"
            keys.append(try SDPCryptoKey.parse(text, suite: suite, what: what, line: line))
        }
        let attribute: SDPCryptoAttribute
        do {
            attribute = try SDPCryptoAttribute(tag: tag, suite: suite, keys: keys,
                                               sessionParameters: fields.dropFirst(3).map(String.init))
        } catch {
            throw .sdp(line: line, reason: "a=crypto:\(tag): \(error)")
        }
        return attribute
    }
}

/// One key of an `a=crypto` line: `inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>]`.
public struct SDPCryptoKey: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The SRTP lifetime of a master key, in packets.
    public enum Lifetime: Equatable, Sendable {
        /// `2^20`.
        case powerOfTwo(UInt8)
        /// A decimal number of packets.
        case packets(UInt64)

        public var packetCount: Double {
            switch self {
            case .powerOfTwo(let exponent): return Double(sign: .plus, exponent: Int(exponent), significand: 1)
            case .packets(let count): return Double(count)
            }
        }

        var text: String {
            switch self {
            case .powerOfTwo(let exponent): return "2^\(exponent)"
            case .packets(let count): return "\(count)"
            }
        }
    }

    /// The master key followed by the master salt.
    public var keyAndSalt: [UInt8]
    public var lifetime: Lifetime?
    /// The master key identifier and its length in bytes in each SRTP packet (1…128).
    public var mki: (value: UInt64, length: UInt8)?

    public init(keyAndSalt: [UInt8], lifetime: Lifetime? = nil, mki: (value: UInt64, length: UInt8)? = nil) {
        self.keyAndSalt = keyAndSalt
        self.lifetime = lifetime
        self.mki = mki
    }

    public static func == (lhs: SDPCryptoKey, rhs: SDPCryptoKey) -> Bool {
        lhs.keyAndSalt == rhs.keyAndSalt && lhs.lifetime == rhs.lifetime
            && lhs.mki?.value == rhs.mki?.value && lhs.mki?.length == rhs.mki?.length
    }

    /// Says what the key is without showing it: key material is never logged.
    public var description: String {
        var text = "SDPCryptoKey(\(keyAndSalt.count) bytes, redacted"
        if let lifetime { text += ", lifetime \(lifetime.text)" }
        if let mki { text += ", MKI \(mki.value):\(mki.length)" }
        return text + ")"
    }

    public var debugDescription: String { description }

    /// `inline:…` as written in the attribute.
    public var keyParameter: String {
        var text = "inline:" + SDPBase64.encode(keyAndSalt)
        if let lifetime { text += "|\(lifetime.text)" }
        if let mki { text += "|\(mki.value):\(mki.length)" }
        return text
    }

    static func parse(_ text: Substring, suite: SDPCryptoSuite, what: String, line: Int) throws(RTPError) -> SDPCryptoKey {
        guard text.hasPrefix("inline:") else {
            throw .sdp(line: line, reason: "\(what) should start with inline: (the only key method RFC 4568 defines)")
        }
        let parts = text.dropFirst("inline:".count).split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count <= 3 else {
            throw .sdp(line: line, reason: "\(what) has more than inline:key|lifetime|MKI:length")
        }
        // The key itself is never quoted in a message.
        guard let bytes = SDPBase64.decode(parts[0]), !bytes.isEmpty else {
            throw .sdp(line: line, reason: "\(what) is not valid base64")
        }
        guard bytes.count == suite.keyAndSaltLength else {
            throw .sdp(line: line, reason: "\(what): " + SDPCryptoAttribute.lengthProblem(suite, bytes.count))
        }
        var key = SDPCryptoKey(keyAndSalt: bytes)
        for part in parts.dropFirst() {
            if let colon = part.firstIndex(of: ":") {
                guard key.mki == nil else {
                    throw .sdp(line: line, reason: "\(what) has two MKI:length fields")
                }
                guard let value = SDPText.number(part[..<colon], as: UInt64.self),
                      let length = SDPText.number(part[part.index(after: colon)...], as: UInt8.self),
                      (1...128).contains(length) else {
                    throw .sdp(line: line, reason: "\(what) MKI \"\(part)\" should be value:length with a length from 1 to 128 bytes")
                }
                key.mki = (value, length)
            } else {
                guard key.lifetime == nil, key.mki == nil else {
                    throw .sdp(line: line, reason: "\(what): the lifetime must come once, before the MKI")
                }
                if part.hasPrefix("2^") {
                    guard let exponent = SDPText.number(part.dropFirst(2), as: UInt8.self), exponent <= 64 else {
                        throw .sdp(line: line, reason: "\(what) lifetime \"\(part)\" should be 2^n with n up to 64")
                    }
                    key.lifetime = .powerOfTwo(exponent)
                } else {
                    guard let count = SDPText.number(part, as: UInt64.self) else {
                        throw .sdp(line: line, reason: "\(what) lifetime \"\(part)\" should be a number of packets or 2^n")
                    }
                    key.lifetime = .packets(count)
                }
            }
        }
        return key
    }
}
