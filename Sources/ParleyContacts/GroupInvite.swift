import Foundation
import ParleySecurity

/// The host's invitation to a group call (see `GroupCallHost` for the whole exchange and
/// the encodings).
public struct GroupInvite: Equatable, Sendable {
    public static let version: UInt8 = 2
    public var callID: [UInt8]
    public var participants: Int
    public var rosterKey: [UInt8]
    public var description: String

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version] + callID + [UInt8(clamping: participants)] + rosterKey
        CallSetup.appendDescription(description, to: &bytes)
        return bytes
    }

    public init(callID: [UInt8], participants: Int, rosterKey: [UInt8], description: String) {
        self.callID = callID
        self.participants = participants
        self.rosterKey = rosterKey
        self.description = description
    }

    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        var reader = CallSetup.reader(bytes, what: "group call invitation")
        guard try reader.byte("version") == Self.version else {
            throw ContactsError.invalidSignalingMessage("not a group call invitation (or a newer Parley)")
        }
        callID = try reader.take(CallKeySchedule.callIDLength, "call id")
        participants = Int(try reader.byte("participants"))
        guard GroupRoster.memberRange.contains(participants) else {
            throw ContactsError.invalidSignalingMessage(
                "the group call invitation names \(participants) participants; a group call has \(GroupRoster.memberRange.lowerBound) to \(GroupRoster.memberRange.upperBound)")
        }
        rosterKey = try reader.take(Ed25519.publicKeyLength, "roster key")
        description = try CallSetup.readDescription(&reader)
        try reader.expectEnd()
    }
}

/// A member's reply to a `GroupInvite`.
public struct GroupJoin: Equatable, Sendable {
    public static let version: UInt8 = 2
    public var callID: [UInt8]
    public var memberID: [UInt8]
    public var ephemeralPublicKey: [UInt8]
    public var description: String

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version] + callID + memberID + ephemeralPublicKey
        CallSetup.appendDescription(description, to: &bytes)
        return bytes
    }

    public init(callID: [UInt8], memberID: [UInt8], ephemeralPublicKey: [UInt8], description: String) {
        self.callID = callID
        self.memberID = memberID
        self.ephemeralPublicKey = ephemeralPublicKey
        self.description = description
    }

    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        var reader = CallSetup.reader(bytes, what: "group call join")
        guard try reader.byte("version") == Self.version else {
            throw ContactsError.invalidSignalingMessage("not a group call join (or a newer Parley)")
        }
        callID = try reader.take(CallKeySchedule.callIDLength, "call id")
        memberID = try reader.take(GroupRoster.memberIDLength, "member id")
        ephemeralPublicKey = try reader.take(X25519.keyLength, "ephemeral key")
        description = try CallSetup.readDescription(&reader)
        try reader.expectEnd()
    }
}
