import ParleySecurity
import Testing

/// Mesh group keying (design.md "Group call"): the host-signed roster and pairwise keys.
@Suite("Group key schedule")
struct GroupKeyScheduleTests {
    struct Party {
        let id: [UInt8]
        let key: X25519.KeyPair
        var member: GroupRoster.Member { GroupRoster.Member(id: id, ephemeralPublicKey: key.publicKey) }
    }

    static let callID = [UInt8](0x40...0x4f)
    static let ssrc: UInt32 = 0x1234_5678

    static func party(_ n: UInt8) throws -> Party {
        Party(id: [UInt8](repeating: n, count: 16), key: try X25519.generateKeyPair())
    }

    static func keys(_ s: GroupKeySchedule, from sender: [UInt8], to receiver: [UInt8], suite: SRTPSuite = .default) throws -> [UInt8] {
        try s.srtpKeyingMaterial(suite: suite, senderID: sender, receiverID: receiver, senderSSRC: ssrc).copyBytes()
    }

    @Test func fourMembersEveryPairAgreesAndPairKeysAreDistinct() throws {
        let host = try Ed25519.generateKeyPair()
        let parties = try (1...4).map { try Self.party(UInt8($0)) }
        let roster = try GroupRoster.signed(callID: Self.callID, version: 1, members: parties.map(\.member), hostSecretKey: host.secretKey)
        let wire = roster.encode()
        let secret = try GroupKeySchedule.generateGroupSecret()
        let schedules = try parties.map { p in
            try GroupKeySchedule(
                memberID: p.id, ephemeralPrivateKey: p.key.privateKey, roster: GroupRoster(parsing: wire),
                hostPublicKey: host.publicKey, groupSecret: secret)
        }
        var seen: Set<[UInt8]> = []
        for suite in SRTPSuite.allCases {
            for (i, a) in parties.enumerated() {
                #expect(schedules[i].peerIDs.count == 3)
                for (j, b) in parties.enumerated() where i != j {
                    let atSender = try Self.keys(schedules[i], from: a.id, to: b.id, suite: suite)
                    let atReceiver = try schedules[j].inboundKeyingMaterial(suite: suite, from: a.id, ssrc: Self.ssrc).copyBytes()
                    #expect(atSender == atReceiver)
                    #expect(atSender.count == suite.keyingMaterialLength)
                    #expect(try schedules[i].outboundKeyingMaterial(suite: suite, to: b.id, ssrc: Self.ssrc).copyBytes() == atSender)
                    #expect(!seen.contains(atSender))
                    seen.insert(atSender)
                }
            }
        }
        #expect(seen.count == SRTPSuite.allCases.count * 12)
        // A third member's keys for a pair it is not in are refused.
        #expect(throws: SecurityError.groupRoster(.notAMember)) {
            try Self.keys(schedules[0], from: parties[1].id, to: parties[2].id)
        }
        schedules[0].wipe()
        #expect(schedules[0].isWiped)
        #expect(throws: SecurityError.self) { try Self.keys(schedules[0], from: parties[0].id, to: parties[1].id) }
    }

    @Test func nonMemberCannotComputeAnyPairKey() throws {
        let host = try Ed25519.generateKeyPair()
        let parties = try (1...4).map { try Self.party(UInt8($0)) }
        let roster = try GroupRoster.signed(callID: Self.callID, version: 1, members: parties.map(\.member), hostSecretKey: host.secretKey)
        let secret = try GroupKeySchedule.generateGroupSecret()
        let schedules = try parties.map { p in
            try GroupKeySchedule(memberID: p.id, ephemeralPrivateKey: p.key.privateKey, roster: roster, hostPublicKey: host.publicKey, groupSecret: secret)
        }
        let eve = try Self.party(9)
        // Not in the roster: no schedule, whatever id it claims.
        for claimed in [eve.id] + parties.map(\.id) {
            #expect(throws: SecurityError.groupRoster(.notAMember)) {
                try GroupKeySchedule(memberID: claimed, ephemeralPrivateKey: eve.key.privateKey, roster: roster, hostPublicKey: host.publicKey, groupSecret: secret)
            }
        }
        // By hand, with its DH against each member, with and without the group secret.
        let wrongSecret = try GroupKeySchedule.generateGroupSecret()
        for (i, a) in parties.enumerated() {
            for (j, b) in parties.enumerated() where i < j {
                let real = try Self.keys(schedules[i], from: a.id, to: b.id)
                for target in [a, b] {
                    let dh = try X25519.sharedSecret(privateKey: eve.key.privateKey, publicKey: target.key.publicKey).copyBytes()
                    for salt in [secret.copyBytes(), wrongSecret.copyBytes(), []] {
                        let pair = try HKDF.derive(
                            ikm: dh, salt: salt,
                            info: GroupKeySchedule.pairInfo(callID: Self.callID, rosterVersion: 1, memberA: a.id, memberB: b.id), length: 32)
                        let guess = try HKDF.expand(
                            prk: pair, info: GroupKeySchedule.srtpInfo(suite: .default, senderID: a.id, receiverID: b.id, senderSSRC: Self.ssrc),
                            length: SRTPSuite.default.keyingMaterialLength)
                        #expect(guess != real)
                    }
                }
            }
        }
    }

    @Test func removedMemberCannotDeriveKeysOfLaterRoster() throws {
        let host = try Ed25519.generateKeyPair()
        let parties = try (1...4).map { try Self.party(UInt8($0)) }
        let d = parties[3]
        let old = try GroupRoster.signed(callID: Self.callID, version: 1, members: parties.map(\.member), hostSecretKey: host.secretKey)
        let oldSecret = try GroupKeySchedule.generateGroupSecret()
        let oldSchedules = try parties.map { p in
            try GroupKeySchedule(memberID: p.id, ephemeralPrivateKey: p.key.privateKey, roster: old, hostPublicKey: host.publicKey, groupSecret: oldSecret)
        }
        let oldKeyAB = try Self.keys(oldSchedules[0], from: parties[0].id, to: parties[1].id)

        // D leaves: roster v2 of A, B, C with a new group secret, sent only to them.
        let remaining = Array(parties[0..<3])
        let new = try GroupRoster.signed(callID: Self.callID, version: 2, members: remaining.map(\.member), hostSecretKey: host.secretKey)
        let newSecret = try GroupKeySchedule.generateGroupSecret()
        let newSchedules = try remaining.indices.map { i in
            try oldSchedules[i].rekeyed(roster: GroupRoster(parsing: new.encode()), groupSecret: newSecret)
        }
        #expect(oldSchedules[0].isWiped)
        let newKeyAB = try Self.keys(newSchedules[0], from: parties[0].id, to: parties[1].id)
        #expect(newKeyAB == (try Self.keys(newSchedules[1], from: parties[0].id, to: parties[1].id)))
        #expect(newKeyAB != oldKeyAB) // keys change for everyone

        // D is refused a schedule for the new roster, with either secret.
        for s in [oldSecret, newSecret] {
            #expect(throws: SecurityError.groupRoster(.notAMember)) {
                try GroupKeySchedule(memberID: d.id, ephemeralPrivateKey: d.key.privateKey, roster: new, hostPublicKey: host.publicKey, groupSecret: s)
            }
        }
        // D by hand: its old ephemeral key, the new roster's public keys, the old group secret.
        for (i, a) in remaining.enumerated() {
            for (j, b) in remaining.enumerated() where i < j {
                let real = try Self.keys(newSchedules[i], from: a.id, to: b.id)
                for target in [a, b] {
                    let dh = try X25519.sharedSecret(privateKey: d.key.privateKey, publicKey: target.key.publicKey).copyBytes()
                    for version: UInt32 in [1, 2] {
                        let pair = try HKDF.derive(
                            ikm: dh, salt: oldSecret.copyBytes(),
                            info: GroupKeySchedule.pairInfo(callID: Self.callID, rosterVersion: version, memberA: a.id, memberB: b.id), length: 32)
                        let guess = try HKDF.expand(
                            prk: pair, info: GroupKeySchedule.srtpInfo(suite: .default, senderID: a.id, receiverID: b.id, senderSSRC: Self.ssrc),
                            length: SRTPSuite.default.keyingMaterialLength)
                        #expect(guess != real)
                    }
                }
                // Nor are D's own old pair keys with a or b the new pair keys.
                #expect(try Self.keys(oldSchedules[3], from: d.id, to: a.id) != real)
            }
        }
        // Replaying the old roster as an update is refused.
        #expect(throws: SecurityError.groupRoster(.staleUpdate(current: 2, received: 1))) {
            try newSchedules[0].rekeyed(roster: old, groupSecret: oldSecret)
        }
    }

    @Test func rosterRoundTripsAndTamperedRosterIsRefused() throws {
        let host = try Ed25519.generateKeyPair()
        let parties = try (1...3).map { try Self.party(UInt8($0)) }
        let roster = try GroupRoster.signed(callID: Self.callID, version: 7, members: parties.map(\.member), hostSecretKey: host.secretKey)
        let wire = roster.encode()
        #expect(wire.count == 16 + 4 + 1 + 3 * 48 + 64)
        let parsed = try GroupRoster(parsing: wire)
        #expect(parsed == roster)
        #expect(parsed.version == 7)
        try parsed.verify(hostPublicKey: host.publicKey)
        // Flip one bit anywhere outside the count byte: refused (bad signature, or malformed).
        for index in wire.indices where index != 20 {
            var bad = wire
            bad[index] ^= 0x01
            #expect(throws: SecurityError.self) {
                try GroupRoster(parsing: bad).verify(hostPublicKey: host.publicKey)
            }
        }
        var swapped = wire
        swapped[21 + 32] ^= 0x80 // a member's key byte
        #expect(throws: SecurityError.groupRoster(.badSignature)) {
            try GroupRoster(parsing: swapped).verify(hostPublicKey: host.publicKey)
        }
        #expect(throws: SecurityError.groupRoster(.malformed("3 members need 229 bytes, got 228"))) {
            try GroupRoster(parsing: Array(wire.dropLast()))
        }
        let secret = try GroupKeySchedule.generateGroupSecret()
        #expect(throws: SecurityError.groupRoster(.badSignature)) {
            try GroupKeySchedule(
                memberID: parties[0].id, ephemeralPrivateKey: parties[0].key.privateKey, roster: GroupRoster(parsing: swapped),
                hostPublicKey: host.publicKey, groupSecret: secret)
        }
    }

    @Test func wrongHostKeyIsRefused() throws {
        let host = try Ed25519.generateKeyPair()
        let other = try Ed25519.generateKeyPair()
        let parties = try (1...2).map { try Self.party(UInt8($0)) }
        let roster = try GroupRoster.signed(callID: Self.callID, version: 1, members: parties.map(\.member), hostSecretKey: other.secretKey)
        #expect(throws: SecurityError.groupRoster(.badSignature)) { try roster.verify(hostPublicKey: host.publicKey) }
        #expect(throws: SecurityError.groupRoster(.badSignature)) {
            try GroupKeySchedule(
                memberID: parties[0].id, ephemeralPrivateKey: parties[0].key.privateKey, roster: roster,
                hostPublicKey: host.publicKey, groupSecret: GroupKeySchedule.generateGroupSecret())
        }
    }

    @Test func memberCountAndDuplicatesAreRefused() throws {
        let host = try Ed25519.generateKeyPair()
        let nine = try (1...9).map { try Self.party(UInt8($0)) }
        #expect(throws: SecurityError.groupRoster(.memberCount(9))) {
            try GroupRoster.signed(callID: Self.callID, version: 1, members: nine.map(\.member), hostSecretKey: host.secretKey)
        }
        #expect(throws: SecurityError.groupRoster(.memberCount(1))) {
            try GroupRoster.signed(callID: Self.callID, version: 1, members: [nine[0].member], hostSecretKey: host.secretKey)
        }
        // A 9-member encoding on the wire (built from an 8-member one) is refused too.
        let eight = try GroupRoster.signed(callID: Self.callID, version: 1, members: nine.prefix(8).map(\.member), hostSecretKey: host.secretKey)
        var body = eight.encodingWithoutSignature
        body[20] = 9
        body += nine[8].member.id + nine[8].member.ephemeralPublicKey
        let sig = try Ed25519.sign(message: Array("parley roster v1".utf8) + body, secretKey: host.secretKey)
        #expect(throws: SecurityError.groupRoster(.memberCount(9))) { try GroupRoster(parsing: body + sig) }
        // 8 is fine.
        try GroupRoster(parsing: eight.encode()).verify(hostPublicKey: host.publicKey)

        let a = nine[0], b = nine[1]
        #expect(throws: SecurityError.groupRoster(.duplicateMemberID)) {
            try GroupRoster.signed(
                callID: Self.callID, version: 1,
                members: [a.member, GroupRoster.Member(id: a.id, ephemeralPublicKey: b.key.publicKey)], hostSecretKey: host.secretKey)
        }
        #expect(throws: SecurityError.groupRoster(.duplicateEphemeralKey)) {
            try GroupRoster.signed(
                callID: Self.callID, version: 1,
                members: [a.member, GroupRoster.Member(id: b.id, ephemeralPublicKey: a.key.publicKey)], hostSecretKey: host.secretKey)
        }
        #expect(throws: SecurityError.wrongLength(what: "group member id", expected: 16, actual: 3)) {
            try GroupRoster.signed(
                callID: Self.callID, version: 1,
                members: [a.member, GroupRoster.Member(id: [1, 2, 3], ephemeralPublicKey: b.key.publicKey)], hostSecretKey: host.secretKey)
        }
    }
}
