import Foundation
import ParleySecurity

/// The host of a group call: invites members over their contact sessions, collects their
/// joins, then hands each the group secret and the signed roster.
///
/// Setting up a mesh group call (design.md, "Keys": group call). The host talks to each
/// member over that member's own contact session; members need not be each other's
/// contacts, and nothing of the call travels unencrypted:
///
/// 1. host → each member, `.offer`: a `GroupInvite` — call id, participant count, the
///    host's per-call Ed25519 public key (which will sign the roster) and the host's
///    session description. It is sealed and signed on the contact channel, so the member
///    knows the per-call key is its contact's.
/// 2. member → host, `.answer`: a `GroupJoin` — the member's random 16-byte member id for
///    this call, its fresh ephemeral X25519 public key and its session description (or a
///    `.hangup` decline, as for a 1:1 call).
/// 3. host → each member, `.roster`: a `GroupKeys` — the random 32-byte group secret and
///    the roster of every member's id and ephemeral key (the host included), signed with
///    the per-call key.
/// 4. Every member runs `GroupKeySchedule`: pairwise keys from its own ephemeral DH with
///    each other member, salted with the group secret.
///
/// A member who leaves (or is removed) gets no later roster: a roster update has a new
/// version and a new group secret, sent only to those still in the call, and a later call
/// has a new call id, new ephemerals and a new secret. The channel's session id is the
/// call id, as for a 1:1 call.
///
/// Encodings (after the signaling message's kind byte):
///
///     GroupInvite = version (1) || call id (16) || participants (1) || host roster key (32)
///                   || description length (u32 BE) || description
///     GroupJoin   = version (1) || call id (16) || member id (16) || ephemeral key (32)
///                   || description length (u32 BE) || description
///     GroupKeys   = version (1) || call id (16) || group secret (32) || signed roster
public final class GroupCallHost {
    public let callID: [UInt8]
    public let participants: Int
    /// The host's own member id.
    public let memberID: [UInt8]
    private let rosterKey: Ed25519.KeyPair
    private let ephemeral: X25519.KeyPair
    private let description: String
    private var joined: [GroupJoin] = []
    private var version: UInt32 = 0
    private var groupSecret: SecretBytes?
    private var roster: GroupRoster?

    /// - Parameters:
    ///   - participants: people in the call, the host included (3 to 8 for a group call;
    ///     2 works too).
    ///   - description: the host's session description.
    public init(participants: Int, description: String, callID: [UInt8]? = nil) throws(ContactsError) {
        guard GroupRoster.memberRange.contains(participants) else {
            throw ContactsError.other(
                "a group call has \(GroupRoster.memberRange.lowerBound) to \(GroupRoster.memberRange.upperBound) participants (asked for \(participants))")
        }
        self.participants = participants
        self.description = description
        self.callID = try CallSetup.callID(given: callID)
        self.memberID = try CallSetup.random(GroupRoster.memberIDLength, "making a member id")
        self.rosterKey = try contactsSecurity("making the roster key") { () throws(SecurityError) in try Ed25519.generateKeyPair() }
        self.ephemeral = try contactsSecurity("making the call's ephemeral key") { () throws(SecurityError) in try X25519.generateKeyPair() }
    }


    /// The sealed invitation for one member, on that member's channel (session id = call id).
    public func sealInvite(on channel: SignalingChannel) throws(ContactsError) -> [UInt8] {
        guard bytesEqual(channel.sessionID, callID) else {
            throw ContactsError.other("the signaling channel of a call must use the call id as its session id")
        }
        let invite = GroupInvite(callID: callID, participants: participants, rosterKey: rosterKey.publicKey, description: description)
        return try channel.seal(SignalingMessage(kind: .offer, body: invite.encoded()))
    }

    /// Opens a member's reply on its channel: a join is recorded and returned; a decline
    /// throws `ContactsError.callDeclined`.
    @discardableResult
    public func receive(_ envelope: [UInt8], on channel: SignalingChannel) throws(ContactsError) -> GroupJoin {
        let message = try channel.open(envelope)
        switch message.kind {
        case .answer:
            let join = try GroupJoin(decoding: message.body)
            guard bytesEqual(join.callID, callID) else {
                throw ContactsError.invalidSignalingMessage("the join is for another call")
            }
            guard join.memberID != memberID, !joined.contains(where: { $0.memberID == join.memberID }),
                  join.ephemeralPublicKey != ephemeral.publicKey,
                  !joined.contains(where: { $0.ephemeralPublicKey == join.ephemeralPublicKey })
            else { throw ContactsError.invalidSignalingMessage("the join repeats another member's id or key") }
            guard joined.count + 1 < participants else {
                throw ContactsError.invalidSignalingMessage("more members joined than the call was set up for")
            }
            joined.append(join)
            return join
        case .hangup:
            throw ContactsError.callDeclined(try CallSetup.decline(message.body, callID: callID))
        default:
            throw ContactsError.invalidSignalingMessage("expected a join to the group call, got a \(message.kind) message")
        }
    }

    /// The members who joined so far (their ids and session descriptions).
    public var members: [GroupJoin] { joined }

    /// Makes a new roster version of the host and `keeping` (default: everyone who joined),
    /// with a new group secret; the host's schedule for it. Call again after someone leaves:
    /// those removed get nothing of the new version.
    public func makeRoster(keeping memberIDs: [[UInt8]]? = nil) throws(ContactsError) -> GroupKeySchedule {
        let kept = joined.filter { join in memberIDs?.contains(join.memberID) ?? true }
        joined = kept
        version += 1
        let members = [GroupRoster.Member(id: memberID, ephemeralPublicKey: ephemeral.publicKey)]
            + kept.map { GroupRoster.Member(id: $0.memberID, ephemeralPublicKey: $0.ephemeralPublicKey) }
        let version = self.version
        let signed = try contactsSecurity("signing the group roster") { () throws(SecurityError) in
            try GroupRoster.signed(callID: callID, version: version, members: members, hostSecretKey: rosterKey.secretKey)
        }
        let secret = try contactsSecurity("making the group secret") { () throws(SecurityError) in
            try GroupKeySchedule.generateGroupSecret()
        }
        groupSecret?.wipe()
        groupSecret = secret
        roster = signed
        return try contactsSecurity("running the group key schedule") { () throws(SecurityError) in
            try GroupKeySchedule(
                memberID: memberID, ephemeralPrivateKey: ephemeral.privateKey, roster: signed,
                hostPublicKey: rosterKey.publicKey, groupSecret: secret)
        }
    }

    /// The sealed group secret and roster for one member still in the call.
    public func sealRoster(on channel: SignalingChannel) throws(ContactsError) -> [UInt8] {
        guard let roster, let groupSecret else { throw ContactsError.other("make the roster first (makeRoster)") }
        var body: [UInt8] = [GroupInvite.version] + callID
        body += groupSecret.copyBytes()
        body += roster.encode()
        defer { wipeBytes(&body) }
        return try channel.seal(SignalingMessage(kind: .roster, body: body))
    }

    /// Wipes the group secret and the ephemeral key (hangup).
    public func wipe() {
        groupSecret?.wipe()
        ephemeral.privateKey.wipe()
    }

    deinit { wipe() }
}
