import Foundation
import ParleyContacts
import ParleySecurity

/// The people of an in-process mesh call and their keys (design.md, "Keys": group call).
///
/// Participant 0 hosts. Each other participant is the host's contact (a real invitation,
/// acceptance and confirmation, in process), so the host can reach each over its own
/// sealed contact channel; members need not be each other's contacts. Joining runs the
/// real group setup: the host's sealed invitation, the member's policy check and join with
/// a fresh ephemeral key; then the host makes a roster version — a new group secret and the
/// signed list of everyone's ephemeral keys — and seals it to every member still in the
/// call. Each member's `GroupKeySchedule` gives the pair keys of every link. A member who
/// left gets no later roster, so it cannot derive the keys that follow.
final class MeshKeying {
    let suite: SRTPSuite
    let names: [String]
    let host: GroupCallHost
    private var hostChannels: [SignalingChannel?]
    private var memberChannels: [SignalingChannel?]
    private var memberContacts: [ContactBook.Contact?]
    private var memberProfiles: [Profile]
    private var memberBooks: [ContactBook]
    private var members: [GroupCallMember?]
    /// The current key schedule of each participant in the call (nil: not in the call).
    private(set) var schedules: [GroupKeySchedule?]
    /// Each participant's member id for this call (nil before it joins).
    private(set) var memberIDs: [[UInt8]?]
    /// The roster versions made so far.
    private(set) var rosterVersion: UInt32 = 0
    /// The AEAD of the host's signaling to member 1 (for the report).
    private(set) var signalingAlgorithm: AEAD.Algorithm?
    private let directory: String

    init(names: [String], suite: SRTPSuite, now: Date = Date()) throws {
        self.suite = suite
        self.names = names
        let n = names.count
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("parley-mesh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        hostChannels = Array(repeating: nil, count: n)
        memberChannels = Array(repeating: nil, count: n)
        memberContacts = Array(repeating: nil, count: n)
        members = Array(repeating: nil, count: n)
        schedules = Array(repeating: nil, count: n)
        memberIDs = Array(repeating: nil, count: n)
        memberProfiles = names.map { Profile(displayName: $0, created: now) }
        memberBooks = Array(repeating: ContactBook(), count: n)
        do {
            host = try GroupCallHost(participants: n, description: LoopbackParticipants.description(name: "host", suite: suite))
            memberIDs[0] = host.memberID
            var hostBook = ContactBook()
            for i in 1..<n {
                let (a, b) = try LocalContactExchange.establish(
                    inviter: &hostBook, acceptor: &memberBooks[i], inviterName: names[0], acceptorName: names[i], now: now)
                let hostContact = hostBook.contacts[a]
                let memberContact = memberBooks[i].contacts[b]
                memberContacts[i] = memberContact
                let hostChannel = try hostContact.signalingChannel(
                    sessionID: host.callID, sequences: SignalingSequenceStore(path: (directory as NSString).appendingPathComponent("host-\(i).seq")))
                hostChannels[i] = hostChannel
                memberChannels[i] = try memberContact.signalingChannel(
                    sessionID: host.callID, sequences: SignalingSequenceStore(path: (directory as NSString).appendingPathComponent("member-\(i).seq")))
                if signalingAlgorithm == nil { signalingAlgorithm = hostChannel.algorithm }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    deinit { close() }

    /// The call id, hex.
    var callID: String { host.callID.map { String(format: "%02x", $0) }.joined() }

    /// Member `i` (not the host) is invited and joins: the host's sealed invitation, the
    /// member's policy (the host must be its contact and not blocked; the host's license
    /// covers the group, so the member needs none), its sealed join.
    func join(_ i: Int, now: Date = Date()) throws {
        guard i > 0, let hostChannel = hostChannels[i], let memberChannel = memberChannels[i],
              let contact = memberContacts[i] else { throw EngineError.keyAgreementFailed }
        let invite = try host.sealInvite(on: hostChannel)
        let profile = memberProfiles[i]
        let book = memberBooks[i]
        let reply = try GroupCallMember.answer(
            invite, on: memberChannel, description: LoopbackParticipants.description(name: "member\(i)", suite: suite)
        ) { _ throws(ContactsError) in
            try CallPolicy.checkBeforeCall(
                profile: profile, profileIdentifier: Array(repeating: UInt8(i), count: 32), book: book,
                licenseText: nil, contactIDs: [contact.id], participants: 2, now: now)
        }
        switch reply {
        case .joined(let envelope, let member):
            let join = try host.receive(envelope, on: hostChannel)
            members[i] = member
            memberIDs[i] = join.memberID
        case .declined(_, let reason):
            throw reason
        }
    }

    /// A new roster of `present` (participant 0 and the members still in the call), sealed
    /// to each of them; everyone's schedule moves to the new pair keys. Participants not in
    /// `present` lose their schedule (wiped) and get nothing of the new keys.
    func makeRoster(present: [Int]) throws {
        let kept = present.filter { $0 > 0 }.compactMap { memberIDs[$0] }
        let hostSchedule = try host.makeRoster(keeping: kept)
        rosterVersion = hostSchedule.roster.version
        var next: [GroupKeySchedule?] = Array(repeating: nil, count: names.count)
        next[0] = hostSchedule
        for i in present where i > 0 {
            guard let hostChannel = hostChannels[i], let memberChannel = memberChannels[i], let member = members[i] else {
                throw EngineError.keyAgreementFailed
            }
            let sealed = try host.sealRoster(on: hostChannel)
            next[i] = try member.receiveRoster(sealed, on: memberChannel)
        }
        for i in 0..<names.count where next[i] == nil {
            schedules[i]?.wipe()
        }
        if let old = schedules[0], old !== hostSchedule { old.wipe() }
        schedules = next
    }

    /// SRTP keying material for the stream `ssrc` that `sender` sends to `receiver`, as
    /// `holder` (one of the two) derives it from its own schedule: the sender's outbound
    /// key or the receiver's inbound key (equal, or SRTP refuses every packet).
    func key(from sender: Int, to receiver: Int, ssrc: UInt32, heldBy holder: Int) throws -> SecretBytes {
        guard let schedule = schedules[holder], let senderID = memberIDs[sender], let receiverID = memberIDs[receiver],
              holder == sender || holder == receiver else {
            throw EngineError.keyAgreementFailed
        }
        return holder == sender
            ? try schedule.outboundKeyingMaterial(suite: suite, to: receiverID, ssrc: ssrc)
            : try schedule.inboundKeyingMaterial(suite: suite, from: senderID, ssrc: ssrc)
    }

    /// Hangup: every schedule and ephemeral key wiped, the sequence files removed.
    func close() {
        for schedule in schedules { schedule?.wipe() }
        for member in members { member?.wipe() }
        host.wipe()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
