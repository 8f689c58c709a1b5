import Foundation
import ParleyCodecs
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// A mesh group call across processes: `parley call A --with B,C` hosts it, each
/// invited contact's `parley listen` joins it. The host invites every member over that
/// member's contact session (`GroupCallHost`), hands each the group secret and the signed
/// roster, and tells each about the others; then every pair of members finds its own ICE
/// path (`GroupCallNetwork`, link messages through the host) and runs its media keyed
/// from the pair's ephemeral DH (`GroupKeySchedule`). Each member sends its audio and
/// video to every other once per peer, mixes what it receives and composes the grid
/// (`DirectCall`). A member who declines, cannot be reached or vanishes mid-call is left
/// out; the call goes on with the others.
enum GroupCallRunner {
    struct Route {
        let index: Int
        let name: String
        let signaling: CallSignaling
    }

    /// The host's side.
    static func host(contacts indices: [Int], book: ContactBook, directory: String, options: DirectCallOptions,
                     ice: ICEOptions, startedAt: Date, control: CallControl? = nil) throws {
        let entries = indices.map { book.contacts[$0] }
        try CallPolicy.checkBeforeCall(directory: directory, contactIDs: entries.map(\.id), participants: indices.count + 1)
        let origin = BenchmarkClock.monotonicSeconds()
        let config = try NetworkConfig.load(directory)
        let local = try LocalMedia(sendsVideo: options.videoPath != nil)
        let host = try GroupCallHost(participants: indices.count + 1, description: local.description(ice: nil).sdp)
        defer { host.wipe() }
        let mailboxes = try book.contactMailboxes()
        var routes: [Route] = []
        defer { for route in routes { route.signaling.close() } }
        for index in indices {
            let entry = book.contacts[index]
            let name = RelayExchange.label(entry)
            guard let claim = mailboxes.first(where: { $0.contact == index })?.claimKey else { throw CLIError.failed("no mailbox for \(name)") }
            let (relay, ours, theirs) = try CallSignaling.connect(contact: entry, claimKey: claim)
            let channel = try book.signalingChannel(for: index, sessionID: host.callID, directory: directory)
            let signaling = CallSignaling(contactIndex: index, contact: entry, channel: channel, relay: relay, ourMailbox: ours, peerMailbox: theirs)
            routes.append(Route(index: index, name: name, signaling: signaling))
            try signaling.send(try host.sealInvite(on: channel))
        }
        print("Inviting \(routes.map(\.name).joined(separator: ", ")) to a group call of \(routes.count + 1) "
              + "(call \(host.callID.prefix(4).map { String(format: "%02x", $0) }.joined()))…")

        // Joins and refusals.
        let deadline = Date().addingTimeInterval(ice.connectTimeout)
        var joins: [Int: GroupJoin] = [:], declined: Set<Int> = []
        while joins.count + declined.count < routes.count, Date() < deadline {
            for (i, route) in routes.enumerated() where joins[i] == nil && !declined.contains(i) {
                for envelope in (try? route.signaling.receive()) ?? [] {
                    do {
                        joins[i] = try host.receive(envelope, on: route.signaling.channel)
                        print("\(route.name) joined.")
                    } catch ContactsError.callDeclined(let reason) {
                        declined.insert(i)
                        print("\(route.name) declined: \(reason).")
                    } catch {
                        continue  // not a reply to this call: dropped
                    }
                }
            }
            usleep(20_000)
        }
        for (i, route) in routes.enumerated() where joins[i] == nil && !declined.contains(i) {
            print("\(route.name) did not answer within \(Int(ice.connectTimeout)) s; the call goes on without them.")
            try? route.signaling.send(SignalingMessage(kind: .hangup))
        }
        guard !joins.isEmpty else { throw CLIError.failed("nobody joined the group call") }
        let joined = joins.keys.sorted()
        let schedule = try host.makeRoster(keeping: joined.map { joins[$0]!.memberID })
        defer { schedule.wipe() }
        for i in joined { try routes[i].signaling.send(try host.sealRoster(on: routes[i].signaling.channel)) }
        // Each member learns the others: member id, name, SSRCs.
        for i in joined {
            for j in joined where j != i {
                let member = GroupLinkMessage.Member(id: joins[j]!.memberID, name: routes[j].name, description: joins[j]!.description)
                try routes[i].signaling.send(GroupLinkMessage(to: joins[i]!.memberID, from: host.memberID, kind: .member,
                                                              payload: member.encoded()).message)
            }
        }
        var routeByID: [[UInt8]: CallSignaling] = [:]
        for i in joined { routeByID[joins[i]!.memberID] = routes[i].signaling }
        let network = GroupCallNetwork(selfID: host.memberID, isHost: true, routes: routeByID, startedAt: startedAt,
                                       makeICE: { try CallICE(role: $0, options: ice, config: config, origin: origin) },
                                       log: { print($0) })
        network.giveUpAfterSilence = options.silentTimeout
        defer { network.stop() }
        for i in joined {
            let description = try DirectCallDescription(parsing: joins[i]!.description, requireICE: false)
            try network.addPeer(id: joins[i]!.memberID, name: routes[i].name, description: description)
        }
        network.start()
        try run(network: network, expected: joined.map { joins[$0]!.memberID }, schedule: schedule, local: local,
                options: options, timeout: max(1, deadline.timeIntervalSinceNow + 5), startedAt: startedAt, control: control)
        network.stop()  // its thread seals on the same channels: stopped before this thread seals
        for i in joined { try? routes[i].signaling.send(SignalingMessage(kind: .hangup)) }
        if network.forwarded + network.dropped > 0 {
            print("Forwarded \(network.forwarded) link messages between members; dropped \(network.dropped).")
        }
    }

    /// A member's side, from the host's invitation (already taken from the mailbox).
    static func member(invitation envelope: [UInt8], callID: [UInt8], contactIndex: Int, book: ContactBook, relay: RelaySession,
                       ours: MailboxID, theirs: MailboxID, directory: String, options: DirectCallOptions, ice: ICEOptions,
                       control: CallControl? = nil, admit: @escaping (String) -> Bool) throws {
        let startedAt = Date()
        let origin = BenchmarkClock.monotonicSeconds()
        let entry = book.contacts[contactIndex]
        let name = RelayExchange.label(entry)
        let channel = try book.signalingChannel(for: contactIndex, sessionID: callID, directory: directory)
        let signaling = CallSignaling(contactIndex: contactIndex, contact: entry, channel: channel, relay: relay,
                                      ourMailbox: ours, peerMailbox: theirs)
        let local = try LocalMedia(sendsVideo: options.videoPath != nil)
        let reply = try GroupCallMember.answer(envelope, on: channel, description: local.description(ice: nil).sdp) { invite throws(ContactsError) in
            // The host is our contact (approved, not blocked); the paid tier is the host's
            // license, checked on its side: a member needs none of its own.
            try CallPolicy.checkBeforeCall(directory: directory, contactIDs: [entry.id], participants: 2)
            guard admit("\(name) invites you to a group call of \(invite.participants). Join? [y/N] ") else {
                throw ContactsError.other("you did not answer")
            }
        }
        let member: GroupCallMember
        switch reply {
        case .declined(let envelope, let reason):
            try? signaling.send(envelope)
            print("Refused a group call from \(name): \(reason)")
            return
        case .joined(let envelope, let joined):
            try signaling.send(envelope)
            member = joined
        }
        defer { member.wipe() }
        print("Joined a group call of \(member.invite.participants) hosted by \(name); waiting for the roster…")
        // The roster; link messages that come with it are kept for the network.
        let deadline = Date().addingTimeInterval(ice.connectTimeout)
        var schedule: GroupKeySchedule?
        var early: [SignalingMessage] = []
        while schedule == nil {
            for envelope in try signaling.receive() {
                guard let message = try? channel.open(envelope) else { continue }
                switch message.kind {
                case .roster:
                    schedule = try member.receiveRoster(message)
                case .hangup:
                    throw CLIError.failed("\(name) ended the group call before it started")
                default:
                    early.append(message)
                }
            }
            if schedule == nil {
                if Date() > deadline { throw CLIError.failed("\(name) sent no group roster within \(Int(ice.connectTimeout)) s") }
                usleep(20_000)
            }
        }
        guard let schedule, let hostID = schedule.roster.members.first?.id else { return }
        defer { schedule.wipe() }
        print("Roster version \(schedule.roster.version): \(schedule.roster.members.count) members; connecting…")
        let config = try NetworkConfig.load(directory)
        let network = GroupCallNetwork(selfID: member.memberID, isHost: false, routes: [hostID: signaling], startedAt: startedAt,
                                       makeICE: { try CallICE(role: $0, options: ice, config: config, origin: origin) },
                                       log: { print($0) })
        network.giveUpAfterSilence = options.silentTimeout
        defer { network.stop() }
        try network.addPeer(id: hostID, name: name, description: try DirectCallDescription(parsing: member.invite.description, requireICE: false))
        network.start(early: early)
        try run(network: network, expected: schedule.peerIDs, schedule: schedule, local: local, options: options,
                timeout: max(1, deadline.timeIntervalSinceNow + 5), startedAt: startedAt, control: control)
        network.stop()  // its thread seals on the same channel: stopped before this thread seals
        try? signaling.send(SignalingMessage(kind: .hangup))
    }

    /// Waits for a first link, then runs the media; the others join it as they connect.
    private static func run(network: GroupCallNetwork, expected: [[UInt8]], schedule: GroupKeySchedule, local: LocalMedia,
                            options: DirectCallOptions, timeout: Double, startedAt: Date, control: CallControl?) throws {
        guard network.waitForFirstLink(expected: expected, timeout: timeout) else {
            throw CLIError.failed("no network path to anyone in the group call within \(Int(timeout)) s; check that the others can be reached or set a TURN server")
        }
        print("Group call secured by the host's signed roster (version \(schedule.roster.version)) of \(expected.count + 1) people.")
        func peers(_ connected: [GroupCallNetwork.Peer]) -> [DirectCallPeer] {
            // Only members of the signed roster get a media link (they alone have keys).
            connected.filter { peer in schedule.peerIDs.contains(peer.id) }.map { peer in
                DirectCallPeer.member(name: peer.name, transport: peer.ice.transport, remote: peer.description, schedule: schedule,
                                      peerID: peer.id, suite: options.suite)
            }
        }
        try DirectCallRunner.media(peers: peers(network.takeConnected()), local: local, options: options, startedAt: startedAt,
                                   control: control, joining: { peers(network.takeConnected()) })
        let missing = network.unconnected(expected)
        if !missing.isEmpty { print("Never connected: \(missing.joined(separator: ", ")).") }
    }
}
