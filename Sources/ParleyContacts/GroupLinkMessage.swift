import Foundation
import ParleySecurity

/// A message about the link between two members of a group call (design.md, "Keys":
/// group call). Members need not be each other's contacts, so they talk through the host:
/// each seals its message to the host on its own contact channel (kind `.link`), and the
/// host, after checking that `from` is the member whose channel it came on, seals it again
/// to the member `to` on that member's channel. The host's own links use the same messages
/// directly. The host sees what it forwards (ICE candidates: network addresses; SSRCs),
/// never a key: each pair's SRTP keys come from the pair's own ephemeral DH
/// (`GroupKeySchedule`).
///
/// Encoding (the body of a `.link` signaling message):
///
///     version (1) || to (16) || from (16) || type (1) || payload
///
/// - `.credentials`: the sender's ICE ufrag and password for this link, "ufrag password".
/// - `.candidate`: one trickled candidate, "a=candidate:…"; empty: end of candidates.
/// - `.member`: host only, to each member about another member: member id (16) ||
///   name length (1) || name (UTF-8) || that member's session description (its SSRCs).
public struct GroupLinkMessage: Equatable, Sendable {
    public static let version: UInt8 = 1

    public enum Kind: UInt8, Sendable {
        case credentials = 1
        case candidate = 2
        case member = 3
    }

    public var to: [UInt8]
    public var from: [UInt8]
    public var kind: Kind
    public var payload: [UInt8]

    public init(to: [UInt8], from: [UInt8], kind: Kind, payload: [UInt8]) {
        self.to = to
        self.from = from
        self.kind = kind
        self.payload = payload
    }

    public func encoded() -> [UInt8] {
        [Self.version] + to + from + [kind.rawValue] + payload
    }

    public var message: SignalingMessage { SignalingMessage(kind: .link, body: encoded()) }

    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        let idLength = GroupRoster.memberIDLength
        guard bytes.count >= 2 + 2 * idLength, bytes[0] == Self.version else {
            throw ContactsError.invalidSignalingMessage("a group link message is malformed (or from a newer Parley)")
        }
        guard let kind = Kind(rawValue: bytes[1 + 2 * idLength]) else {
            throw ContactsError.invalidSignalingMessage("unknown group link message type \(bytes[1 + 2 * idLength])")
        }
        to = Array(bytes[1..<(1 + idLength)])
        from = Array(bytes[(1 + idLength)..<(1 + 2 * idLength)])
        self.kind = kind
        payload = Array(bytes[(2 + 2 * idLength)...])
    }

    /// The payload of a `.member` message.
    public struct Member: Equatable, Sendable {
        public var id: [UInt8]
        public var name: String
        public var description: String

        public init(id: [UInt8], name: String, description: String) {
            self.id = id
            self.name = name
            self.description = description
        }

        public func encoded() -> [UInt8] {
            let name = Array(self.name.utf8.prefix(255))
            return id + [UInt8(name.count)] + name + Array(description.utf8)
        }

        public init(decoding bytes: [UInt8]) throws(ContactsError) {
            let idLength = GroupRoster.memberIDLength
            guard bytes.count > idLength else { throw ContactsError.invalidSignalingMessage("a group member message is cut short") }
            let nameLength = Int(bytes[idLength])
            guard bytes.count >= idLength + 1 + nameLength else {
                throw ContactsError.invalidSignalingMessage("a group member message is cut short")
            }
            id = Array(bytes[..<idLength])
            name = String(decoding: bytes[(idLength + 1)..<(idLength + 1 + nameLength)], as: UTF8.self)
            description = String(decoding: bytes[(idLength + 1 + nameLength)...], as: UTF8.self)
        }
    }
}
