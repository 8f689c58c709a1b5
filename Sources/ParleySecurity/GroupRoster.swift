/// The roster of a mesh group call (design.md, "Group call"): the call id, a roster version
/// and each member's id and ephemeral X25519 public key, signed by the host's Ed25519 key.
/// The host sends it with the group secret to each member over that member's contact session.
///
/// ```
/// encoding  = call id (16) || roster version (4, big-endian) || member count (1)
///             || count × (member id (16) || ephemeral public key (32))
/// signature = Ed25519(host, "parley roster v1" || encoding)
/// wire      = encoding || signature (64)
/// ```
///
/// 2...8 members; member ids and keys are each unique. A roster update (join or leave) is a
/// new roster with a higher version, sent with a new group secret.
public struct GroupRoster: Sendable, Equatable {
    /// Why a roster was refused.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The signature does not verify with the host's key: altered, or not from this host.
        case badSignature
        /// Fewer than 2 or more than 8 members.
        case memberCount(Int)
        /// Two members share an id.
        case duplicateMemberID
        /// Two members share an ephemeral public key.
        case duplicateEphemeralKey
        /// The bytes are not a roster encoding (truncated, trailing bytes, wrong sizes).
        case malformed(String)
        /// The given member id is not in the roster, or its key does not match ours.
        case notAMember
        /// A roster update that does not raise the version or changes the call id.
        case staleUpdate(current: UInt32, received: UInt32)

        public var description: String {
            switch self {
            case .badSignature:
                return "group roster refused: the host signature does not verify (altered roster, or signed by another key); ask the host to resend"
            case .memberCount(let n):
                return "group roster refused: \(n) members, a group call has \(GroupRoster.memberRange.lowerBound) to \(GroupRoster.memberRange.upperBound)"
            case .duplicateMemberID:
                return "group roster refused: two members have the same id"
            case .duplicateEphemeralKey:
                return "group roster refused: two members have the same ephemeral public key"
            case .malformed(let why):
                return "group roster refused: malformed encoding (\(why))"
            case .notAMember:
                return "group roster does not list this member with this ephemeral key; we are not in this call"
            case .staleUpdate(let current, let received):
                return "group roster update refused: version \(received) does not follow \(current) for this call (replayed or reordered)"
            }
        }
    }

    /// One member: a 16-byte id and its 32-byte ephemeral X25519 public key for this call.
    public struct Member: Sendable, Equatable {
        public let id: [UInt8]
        public let ephemeralPublicKey: [UInt8]

        public init(id: [UInt8], ephemeralPublicKey: [UInt8]) {
            self.id = id
            self.ephemeralPublicKey = ephemeralPublicKey
        }
    }

    public static let callIDLength = 16
    public static let memberIDLength = 16
    public static let memberRange = 2...8
    static let signatureLabel = Array("parley roster v1".utf8)

    public let callID: [UInt8]
    public let version: UInt32
    public let members: [Member]
    /// The host's 64-byte Ed25519 signature over "parley roster v1" || `encodingWithoutSignature`.
    public let signature: [UInt8]

    /// Builds and signs a roster (host side).
    ///
    /// - Throws: `.groupRoster` for a bad member count or duplicates, `.wrongLength` for
    ///   wrong-size ids or keys.
    public static func signed(
        callID: [UInt8], version: UInt32, members: [Member], hostSecretKey: SecretBytes
    ) throws(SecurityError) -> GroupRoster {
        try validate(callID: callID, members: members)
        let body = encodeBody(callID: callID, version: version, members: members)
        let signature = try Ed25519.sign(message: signatureLabel + body, secretKey: hostSecretKey)
        return GroupRoster(callID: callID, version: version, members: members, signature: signature)
    }

    private init(callID: [UInt8], version: UInt32, members: [Member], signature: [UInt8]) {
        self.callID = callID
        self.version = version
        self.members = members
        self.signature = signature
    }

    /// Parses the wire form. Does not verify the signature: call `verify(hostPublicKey:)`.
    public init(parsing bytes: [UInt8]) throws(SecurityError) {
        let header = Self.callIDLength + 4 + 1
        let entry = Self.memberIDLength + X25519.keyLength
        guard bytes.count >= header + Ed25519.signatureLength else {
            throw .groupRoster(.malformed("\(bytes.count) bytes is too short"))
        }
        let count = Int(bytes[Self.callIDLength + 4])
        guard Self.memberRange.contains(count) else { throw .groupRoster(.memberCount(count)) }
        let expected = header + count * entry + Ed25519.signatureLength
        guard bytes.count == expected else {
            throw .groupRoster(.malformed("\(count) members need \(expected) bytes, got \(bytes.count)"))
        }
        callID = Array(bytes[0..<Self.callIDLength])
        let v = Self.callIDLength
        version = UInt32(bytes[v]) << 24 | UInt32(bytes[v + 1]) << 16 | UInt32(bytes[v + 2]) << 8 | UInt32(bytes[v + 3])
        var members: [Member] = []
        for i in 0..<count {
            let start = header + i * entry
            members.append(Member(
                id: Array(bytes[start..<start + Self.memberIDLength]),
                ephemeralPublicKey: Array(bytes[start + Self.memberIDLength..<start + entry])))
        }
        self.members = members
        signature = Array(bytes[(expected - Ed25519.signatureLength)...])
        try Self.validate(callID: callID, members: members)
    }

    /// The signed part: call id, version, count and members.
    public var encodingWithoutSignature: [UInt8] { Self.encodeBody(callID: callID, version: version, members: members) }

    /// The wire form: `encodingWithoutSignature` || signature.
    public func encode() -> [UInt8] { encodingWithoutSignature + signature }

    /// Checks the host's signature and the roster rules.
    ///
    /// - Throws: `.groupRoster(.badSignature)` if altered or signed by another key.
    public func verify(hostPublicKey: [UInt8]) throws(SecurityError) {
        try Self.validate(callID: callID, members: members)
        guard Ed25519.verify(signature: signature, message: Self.signatureLabel + encodingWithoutSignature, publicKey: hostPublicKey) else {
            throw .groupRoster(.badSignature)
        }
    }

    /// The member with this id, if listed.
    public func member(id: [UInt8]) -> Member? { members.first { $0.id == id } }

    static func validate(callID: [UInt8], members: [Member]) throws(SecurityError) {
        guard callID.count == callIDLength else {
            throw .wrongLength(what: "group call id", expected: callIDLength, actual: callID.count)
        }
        guard memberRange.contains(members.count) else { throw .groupRoster(.memberCount(members.count)) }
        for m in members {
            guard m.id.count == memberIDLength else {
                throw .wrongLength(what: "group member id", expected: memberIDLength, actual: m.id.count)
            }
            guard m.ephemeralPublicKey.count == X25519.keyLength else {
                throw .wrongLength(what: "group member ephemeral public key", expected: X25519.keyLength, actual: m.ephemeralPublicKey.count)
            }
        }
        guard Set(members.map(\.id)).count == members.count else { throw .groupRoster(.duplicateMemberID) }
        guard Set(members.map(\.ephemeralPublicKey)).count == members.count else { throw .groupRoster(.duplicateEphemeralKey) }
    }

    static func encodeBody(callID: [UInt8], version: UInt32, members: [Member]) -> [UInt8] {
        var out = callID
        out += [UInt8(version >> 24), UInt8(truncatingIfNeeded: version >> 16), UInt8(truncatingIfNeeded: version >> 8), UInt8(truncatingIfNeeded: version)]
        out.append(UInt8(truncatingIfNeeded: members.count))
        for m in members { out += m.id + m.ephemeralPublicKey }
        return out
    }
}
