/// One signaling message between two contacts (design.md, "Keys"): a call offer or answer,
/// a network candidate, a group roster, a hangup or an acknowledgement, with an opaque body;
/// or one of the three steps of a contact key rotation (`ContactRotation`).
///
/// Encoding (the plaintext sealed by `SignalingChannel`): one kind byte followed by the
/// body; the body's length is the rest of the plaintext.
public struct SignalingMessage: Equatable, Sendable {
    public enum Kind: UInt8, CaseIterable, Sendable {
        case offer = 1
        case answer = 2
        case candidate = 3
        case roster = 4
        case hangup = 5
        case ack = 6
        /// A request to rotate the contact root (`ContactRotation.Request`).
        case rotate = 7
        /// The answer to a rotation request (`ContactRotation.Answer`).
        case rotateAck = 8
        /// "I now seal under the new key" (`ContactRotation.Done`), sent under the new key.
        case rotateDone = 9
        /// A group call's message from one member to another about their link (ICE
        /// credentials and candidates, a member's details), carried through the host
        /// (`GroupLinkMessage`).
        case link = 10
    }

    public var kind: Kind
    public var body: [UInt8]

    public init(kind: Kind, body: [UInt8] = []) {
        self.kind = kind
        self.body = body
    }

    /// The compact encoding: kind byte || body.
    public func encoded() -> [UInt8] {
        [kind.rawValue] + body
    }

    /// Parses `encoded()`.
    ///
    /// - Throws: `ContactsError.invalidSignalingMessage` for an empty input or an unknown kind.
    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        guard let first = bytes.first else {
            throw ContactsError.invalidSignalingMessage("the message is empty")
        }
        guard let kind = Kind(rawValue: first) else {
            throw ContactsError.invalidSignalingMessage("unknown message kind \(first) (a newer Parley?)")
        }
        self.init(kind: kind, body: Array(bytes.dropFirst()))
    }
}
