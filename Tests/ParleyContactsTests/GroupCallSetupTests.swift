import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// A host who is a contact of each of `count` members; the members are not each other's
/// contacts. Channels get sequence files in a scratch directory.
private final class Group {
    let directory = StoreScratchDirectory()
    var host = ContactBook()
    var members: [ContactBook] = []
    var hostIndex: [Int] = []  // host's contact index for member i
    var memberIndex: [Int] = []
    private var files = 0

    init(members count: Int) throws {
        for _ in 0..<count {
            var book = ContactBook()
            let (h, m) = try LocalContactExchange.establish(inviter: &host, acceptor: &book)
            members.append(book)
            hostIndex.append(h)
            memberIndex.append(m)
        }
    }

    private func sequences() throws -> SignalingSequenceStore {
        files += 1
        return try SignalingSequenceStore(path: directory.file("seq-\(files)"))
    }

    func hostChannel(_ member: Int, _ callID: [UInt8]) throws -> SignalingChannel {
        try host.contacts[hostIndex[member]].signalingChannel(sessionID: callID, sequences: sequences())
    }

    func memberChannel(_ member: Int, _ callID: [UInt8]) throws -> SignalingChannel {
        try members[member].contacts[memberIndex[member]].signalingChannel(sessionID: callID, sequences: sequences())
    }
}

/// One group call set up: the host's schedule and each member's.
private func setUpCall(_ group: Group, members: [Int]) throws
    -> (host: GroupCallHost, hostKeys: GroupKeySchedule, member: [Int: GroupCallMember], keys: [Int: GroupKeySchedule],
        hostChannels: [Int: SignalingChannel], memberChannels: [Int: SignalingChannel])
{
    let host = try GroupCallHost(participants: members.count + 1, description: "host sdp")
    var hostChannels: [Int: SignalingChannel] = [:]
    var memberChannels: [Int: SignalingChannel] = [:]
    var joined: [Int: GroupCallMember] = [:]
    for m in members {
        let hc = try group.hostChannel(m, host.callID)
        let mc = try group.memberChannel(m, host.callID)
        hostChannels[m] = hc
        memberChannels[m] = mc
        let invite = try host.sealInvite(on: hc)
        guard case .joined(let reply, let member) = try GroupCallMember.answer(invite, on: mc, description: "member \(m) sdp", admit: { _ in })
        else { throw ContactsError.other("member \(m) declined") }
        try host.receive(reply, on: hc)
        joined[m] = member
    }
    let hostKeys = try host.makeRoster()
    var keys: [Int: GroupKeySchedule] = [:]
    for m in members {
        keys[m] = try joined[m]!.receiveRoster(try host.sealRoster(on: hostChannels[m]!), on: memberChannels[m]!)
    }
    return (host, hostKeys, joined, keys, hostChannels, memberChannels)
}

@Suite("Group call setup: invitations, joins and the signed roster over each member's contact session")
struct GroupCallSetupTests {
    @Test func everyPairOfMembersAgreesEvenWithoutBeingContacts() throws {
        let group = try Group(members: 3)
        defer { group.directory.remove() }
        let call = try setUpCall(group, members: [0, 1, 2])
        var schedules: [[UInt8]: GroupKeySchedule] = [call.host.memberID: call.hostKeys]
        for (m, keys) in call.keys { schedules[call.member[m]!.memberID] = keys }
        #expect(schedules.count == 4)
        var distinct: Set<[UInt8]> = []
        for (sender, s) in schedules {
            for (receiver, r) in schedules where receiver != sender {
                let out = try s.outboundKeyingMaterial(suite: .aeadAES128GCM, to: receiver, ssrc: 42).copyBytes()
                let inn = try r.inboundKeyingMaterial(suite: .aeadAES128GCM, from: sender, ssrc: 42).copyBytes()
                #expect(out == inn, "what one member sends with, the other receives with")
                distinct.insert(out)
            }
        }
        #expect(distinct.count == 12, "each ordered pair of the four has its own key")
    }

    @Test func aMemberRemovedFromTheRosterCannotDeriveLaterKeys() throws {
        let group = try Group(members: 3)
        defer { group.directory.remove() }
        let call = try setUpCall(group, members: [0, 1, 2])
        let removed = call.member[2]!
        // Version 2 without member 2: a new group secret, sent only to members 0 and 1.
        let hostKeys = try call.host.makeRoster(keeping: [call.member[0]!.memberID, call.member[1]!.memberID])
        let update0 = try call.host.sealRoster(on: call.hostChannels[0]!)
        let keys0 = try call.member[0]!.receiveRoster(update0, on: call.memberChannels[0]!)
        let keys1 = try call.member[1]!.receiveRoster(try call.host.sealRoster(on: call.hostChannels[1]!), on: call.memberChannels[1]!)
        #expect(keys0.roster.version == 2 && keys0.roster.members.count == 3)
        let newKey = try keys0.outboundKeyingMaterial(suite: .aeadAES128GCM, to: keys1.memberID, ssrc: 7)
        #expect(newKey == (try keys1.inboundKeyingMaterial(suite: .aeadAES128GCM, from: keys0.memberID, ssrc: 7)))
        #expect(newKey != (try hostKeys.inboundKeyingMaterial(suite: .aeadAES128GCM, from: keys0.memberID, ssrc: 7)),
                "the host's pair with member 0 is another pair")
        #expect(call.keys[0]!.isWiped, "member 0's version-1 keys were wiped when version 2 arrived")
        // The removed member intercepts member 0's update: it cannot open it on its own
        // contact session (another root), so it never learns the new group secret...
        #expect(throws: ContactsError.self) { _ = try removed.receiveRoster(update0, on: call.memberChannels[2]!) }
        // ...and nobody in version 2 keys anything with it any more.
        #expect(throws: SecurityError.self) {
            _ = try keys0.inboundKeyingMaterial(suite: .aeadAES128GCM, from: removed.memberID, ssrc: 7)
        }
        #expect(throws: SecurityError.self) {
            _ = try hostKeys.outboundKeyingMaterial(suite: .aeadAES128GCM, to: removed.memberID, ssrc: 7)
        }
        // Its version-1 keys are not the version-2 keys of the same pair kind.
        let stale = try call.keys[2]!.outboundKeyingMaterial(suite: .aeadAES128GCM, to: keys0.memberID, ssrc: 7)
        #expect(stale != newKey)

        // A later call: the removed member is not invited, and the previous call's
        // messages do not open on the new call's channels.
        let later = try setUpCall(group, members: [0, 1])
        #expect(later.host.callID != call.host.callID)
        let laterRoster = try later.host.sealRoster(on: later.hostChannels[0]!)
        #expect(throws: ContactsError.self) { _ = try removed.receiveRoster(laterRoster, on: call.memberChannels[2]!) }
        #expect(!later.keys[0]!.roster.members.contains { $0.id == removed.memberID })
    }

    @Test func aMemberThatDeclinesIsNotInTheRosterAndTheHostLearnsOnlyThatItDeclined() throws {
        let group = try Group(members: 2)
        defer { group.directory.remove() }
        let host = try GroupCallHost(participants: 3, description: "host sdp")
        let hc = try group.hostChannel(1, host.callID)
        let mc = try group.memberChannel(1, host.callID)
        let reply = try GroupCallMember.answer(try host.sealInvite(on: hc), on: mc, description: "x") { _ throws(ContactsError) in
            throw ContactsError.callRefused(.blocked)
        }
        guard case .declined(let envelope, let reason) = reply else { Issue.record("joined"); return }
        #expect(reason == .callRefused(.blocked))
        #expect(throws: ContactsError.callDeclined(.declined)) { try host.receive(envelope, on: hc) }
        #expect(host.members.isEmpty)
    }

    @Test func tamperedInvitationsRostersAndJoinsAreRefused() throws {
        let group = try Group(members: 2)
        defer { group.directory.remove() }
        let host = try GroupCallHost(participants: 3, description: "host sdp")
        let hc = try group.hostChannel(0, host.callID)
        let mc = try group.memberChannel(0, host.callID)
        var invite = try host.sealInvite(on: hc)
        invite[invite.count - 70] ^= 0x40
        #expect(throws: ContactsError.self) { _ = try GroupCallMember.answer(invite, on: mc, description: "", admit: { _ in }) }
        // Member 1's channel cannot open member 0's invitation (another contact).
        let invite0 = try host.sealInvite(on: hc)
        #expect(throws: ContactsError.self) {
            _ = try GroupCallMember.answer(invite0, on: try group.memberChannel(1, host.callID), description: "", admit: { _ in })
        }
        guard case .joined(let join, let member) = try GroupCallMember.answer(invite0, on: mc, description: "", admit: { _ in })
        else { Issue.record("declined"); return }
        try host.receive(join, on: hc)
        #expect(throws: ContactsError.self) { try host.receive(join, on: hc) }  // replayed join
        _ = try host.makeRoster()
        var roster = try host.sealRoster(on: hc)
        roster[40] ^= 0x01
        #expect(throws: ContactsError.self) { _ = try member.receiveRoster(roster, on: mc) }
    }

    @Test func groupMessagesRoundTripAndRefuseBadSizes() throws {
        let invite = GroupInvite(callID: Array(repeating: 1, count: 16), participants: 4, rosterKey: Array(repeating: 2, count: 32), description: "sdp")
        #expect(try GroupInvite(decoding: invite.encoded()) == invite)
        var big = invite.encoded()
        big[17] = 9
        #expect(throws: ContactsError.self) { _ = try GroupInvite(decoding: big) }
        let join = GroupJoin(callID: invite.callID, memberID: Array(repeating: 3, count: 16), ephemeralPublicKey: Array(repeating: 4, count: 32), description: "")
        #expect(try GroupJoin(decoding: join.encoded()) == join)
        #expect(throws: ContactsError.self) { _ = try GroupJoin(decoding: Array(join.encoded().dropLast())) }
        #expect(throws: ContactsError.self) { _ = try GroupCallHost(participants: 9, description: "") }
    }
}
