import Foundation
import ParleySecurity

/// One invited member of a group call.
public final class GroupCallMember {
    public let invite: GroupInvite
    public let memberID: [UInt8]
    private let ephemeral: X25519.KeyPair
    private var schedule: GroupKeySchedule?

    private init(invite: GroupInvite, memberID: [UInt8], ephemeral: X25519.KeyPair) {
        self.invite = invite
        self.memberID = memberID
        self.ephemeral = ephemeral
    }

    /// What a member sends back to the host.
    public enum Reply {
        case joined(envelope: [UInt8], member: GroupCallMember)
        case declined(envelope: [UInt8], reason: ContactsError)
    }

    /// Opens the host's invitation and joins, unless `admit` (this profile's policy, before
    /// any key) throws.
    public static func answer(
        _ envelope: [UInt8], on channel: SignalingChannel, description: String,
        admit: (GroupInvite) throws(ContactsError) -> Void
    ) throws(ContactsError) -> Reply {
        let message = try channel.open(envelope)
        guard message.kind == .offer else {
            throw ContactsError.invalidSignalingMessage("expected a group call invitation, got a \(message.kind) message")
        }
        let invite = try GroupInvite(decoding: message.body)
        guard bytesEqual(invite.callID, channel.sessionID) else {
            throw ContactsError.invalidSignalingMessage("the invitation's call id is not its session's")
        }
        do {
            try admit(invite)
        } catch {
            let decline = try channel.seal(SignalingMessage(kind: .hangup, body: CallDecline.encoded(.declined, callID: invite.callID)))
            return .declined(envelope: decline, reason: error)
        }
        let memberID = try CallSetup.random(GroupRoster.memberIDLength, "making a member id")
        let ephemeral = try contactsSecurity("making the call's ephemeral key") { () throws(SecurityError) in try X25519.generateKeyPair() }
        let join = GroupJoin(callID: invite.callID, memberID: memberID, ephemeralPublicKey: ephemeral.publicKey, description: description)
        let sealed = try channel.seal(SignalingMessage(kind: .answer, body: join.encoded()))
        return .joined(envelope: sealed, member: GroupCallMember(invite: invite, memberID: memberID, ephemeral: ephemeral))
    }

    /// Opens the host's group secret and roster: the member's pairwise keys with everyone
    /// else in the call. A later roster version (someone left or joined) replaces the keys.
    public func receiveRoster(_ envelope: [UInt8], on channel: SignalingChannel) throws(ContactsError) -> GroupKeySchedule {
        try receiveRoster(try channel.open(envelope))
    }

    /// `receiveRoster(_:on:)` for a message already opened on the host's channel (a member
    /// that reads every message of the call as it comes).
    public func receiveRoster(_ message: SignalingMessage) throws(ContactsError) -> GroupKeySchedule {
        guard message.kind == .roster else {
            throw ContactsError.invalidSignalingMessage("expected the group roster, got a \(message.kind) message")
        }
        var body = message.body
        defer { wipeBytes(&body) }
        let header = 1 + CallKeySchedule.callIDLength
        guard body.count > header + GroupKeySchedule.groupSecretLength, body[0] == GroupInvite.version else {
            throw ContactsError.invalidSignalingMessage("the group roster message is malformed")
        }
        guard bytesEqual(Array(body[1..<header]), invite.callID) else {
            throw ContactsError.invalidSignalingMessage("the group roster is for another call")
        }
        let secret = SecretBytes(copying: Array(body[header..<(header + GroupKeySchedule.groupSecretLength)]))
        defer { secret.wipe() }
        let rosterBytes = Array(body[(header + GroupKeySchedule.groupSecretLength)...])
        let next: GroupKeySchedule = try contactsSecurity("the group roster") { () throws(SecurityError) in
            let roster = try GroupRoster(parsing: rosterBytes)
            guard roster.callID == invite.callID else { throw SecurityError.groupRoster(.malformed("another call's roster")) }
            if let schedule {
                return try schedule.rekeyed(roster: roster, hostPublicKey: invite.rosterKey, groupSecret: secret)
            }
            return try GroupKeySchedule(
                memberID: memberID, ephemeralPrivateKey: ephemeral.privateKey, roster: roster,
                hostPublicKey: invite.rosterKey, groupSecret: secret)
        }
        schedule = next
        return next
    }

    /// Wipes the ephemeral key (hangup).
    public func wipe() {
        schedule?.wipe()
        ephemeral.privateKey.wipe()
    }

    deinit { wipe() }
}
