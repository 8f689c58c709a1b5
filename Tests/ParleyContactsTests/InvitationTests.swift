import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

@Suite struct InvitationTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    @Test func createParseRoundTrip() throws {
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", expiresIn: .seconds(3600), now: now)
        #expect(invitation.uri.hasPrefix("parley:"))
        #expect(!invitation.uri.contains("="))
        let parsed = try Invitation.parse(uri: invitation.uri, now: now)
        #expect(parsed == invitation)
        #expect(parsed.version == 1)
        #expect(parsed.invitationID.count == 16)
        #expect(parsed.expiry == 1_750_003_600)
        #expect(parsed.relayHint == "127.0.0.1:7400")
        #expect(parsed.signingKey == secrets.signingKeyPair.publicKey)
        #expect(parsed.agreementKey == secrets.agreementKeyPair.publicKey)
        #expect(try Invitation.parse(uri: "  PARLEY:" + invitation.uri.dropFirst(7) + "\n", now: now) == invitation)
    }

    @Test func twoInvitationsShareNoKeyOrIdentifierBytes() throws {
        let (a, aSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (b, bSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let aFields = [a.invitationID, a.signingKey, a.agreementKey, aSecrets.signingKeyPair.secretKey.copyBytes(),
                       aSecrets.agreementKeyPair.privateKey.copyBytes(), aSecrets.contribution.copyBytes()]
        let bFields = [b.invitationID, b.signingKey, b.agreementKey, bSecrets.signingKeyPair.secretKey.copyBytes(),
                       bSecrets.agreementKeyPair.privateKey.copyBytes(), bSecrets.contribution.copyBytes()]
        func windows(_ fields: [[UInt8]]) -> Set<[UInt8]> {
            var set = Set<[UInt8]>()
            for field in fields where field.count >= 8 {
                for start in 0...(field.count - 8) { set.insert(Array(field[start..<(start + 8)])) }
            }
            return set
        }
        for x in aFields { for y in bFields { #expect(x != y) } }
        #expect(windows(aFields).isDisjoint(with: windows(bFields)))
    }

    @Test func tamperingWithAnyByteIsRefused() throws {
        let (invitation, _) = try Invitation.create(relayHint: "relay.example:7400", now: now)
        let bytes = invitation.encoded
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = bytes
                tampered[index] ^= mask
                #expect(throws: ContactsError.self) { try Invitation.parse(uri: ParleyURI.encode(tampered), now: now) }
            }
        }
        for length in 0..<bytes.count {
            #expect(throws: ContactsError.self) { try Invitation.parse(uri: ParleyURI.encode(Array(bytes[..<length])), now: now) }
        }
        #expect(throws: ContactsError.self) { try Invitation.parse(uri: ParleyURI.encode(bytes + [0]), now: now) }
        #expect(throws: ContactsError.self) { try Invitation.parse(uri: invitation.uri + "=", now: now) }
        #expect(throws: ContactsError.self) { try Invitation.parse(uri: "https:" + invitation.uri.dropFirst(7), now: now) }
        #expect(throws: ContactsError.self) { try Invitation.parse(uri: "parley:", now: now) }
    }

    @Test func expiredInvitationIsRefusedNamingWhen() throws {
        let (invitation, _) = try Invitation.create(relayHint: "127.0.0.1:7400", expiresIn: .seconds(60), now: now)
        let later = now.addingTimeInterval(61)
        do {
            _ = try Invitation.parse(uri: invitation.uri, now: later)
            Issue.record("expired invitation accepted")
        } catch {
            #expect(error == .invitationExpired(expiredAt: 1_750_000_060))
            #expect(error.description.contains("expired at 2025-06-15T15:07:40Z"))
            #expect(error.description.contains("ask for a new invitation"))
        }
        #expect(throws: ContactsError.invitationExpired(expiredAt: 1_750_000_060)) {
            try Acceptance.create(for: invitation, now: later)
        }
    }

    @Test func badRelayHintsAndLifetimesAreRefused() {
        #expect(throws: ContactsError.self) { try Invitation.create(relayHint: "", now: now) }
        #expect(throws: ContactsError.self) { try Invitation.create(relayHint: String(repeating: "a", count: 256), now: now) }
        #expect(throws: ContactsError.self) { try Invitation.create(relayHint: "x:1", expiresIn: .zero, now: now) }
        #expect((try? Invitation.create(relayHint: String(repeating: "a", count: 255), now: now)) != nil)
    }

    @Test func acceptanceRoundTripGivesBothSidesTheSameRoot() throws {
        let (invitation, inviterSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let received = try Invitation.parse(uri: invitation.uri, now: now)
        let (acceptance, acceptorSecrets) = try Acceptance.create(for: received, now: now)
        #expect(acceptance.encoded.count == Acceptance.version1EncodedLength)
        // The contribution never travels in clear.
        let contribution = acceptorSecrets.contribution.copyBytes()
        #expect(!windowsContain(acceptance.encoded, contribution))

        let opened = try Acceptance.open(
            acceptance.encoded, invitationSecrets: inviterSecrets, invitation: invitation, now: now)
        #expect(opened.invitationID == invitation.invitationID)
        #expect(opened.signingKey == acceptance.signingKey)
        #expect(opened.agreementKey == acceptance.agreementKey)
        #expect(opened.contribution == acceptorSecrets.contribution)

        let inviterRoot = try ContactRoot.deriveForInviter(invitation: invitation, secrets: inviterSecrets, acceptance: opened)
        let acceptorRoot = try ContactRoot.deriveForAcceptor(
            invitation: received, acceptance: acceptance, secrets: acceptorSecrets,
            inviterContribution: SecretBytes(copying: inviterSecrets.contribution.copyBytes()))
        #expect(inviterRoot.count == 32)
        #expect(inviterRoot == acceptorRoot)
    }

    @Test func tamperedAcceptanceIsRefused() throws {
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (acceptance, _) = try Acceptance.create(for: invitation, now: now)
        let bytes = acceptance.encoded
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
                do {
                _ = try Acceptance.open(tampered, invitationSecrets: secrets, invitation: invitation, now: now)
                Issue.record("tampered byte \(index) accepted")
            } catch {
                guard case .invalidAcceptance = error else {
                    Issue.record("byte \(index): unexpected \(error)")
                    continue
                }
            }
        }
        #expect(throws: ContactsError.self) {
            try Acceptance.open(Array(bytes.dropLast()), invitationSecrets: secrets, invitation: invitation, now: now)
        }
        #expect(throws: ContactsError.self) {
            try Acceptance.open(bytes + [0], invitationSecrets: secrets, invitation: invitation, now: now)
        }
    }

    @Test func acceptanceForAnotherInvitationIsRefused() throws {
        let (first, firstSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (second, secondSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (acceptance, _) = try Acceptance.create(for: first, now: now)
        do {
            _ = try Acceptance.open(acceptance.encoded, invitationSecrets: secondSecrets, invitation: second, now: now)
            Issue.record("acceptance of another invitation was opened")
        } catch {
            #expect(error == .invalidAcceptance("it answers another invitation, not this one"))
        }
        // Mismatched secrets and invitation are refused too.
        #expect(throws: ContactsError.self) {
            try Acceptance.open(acceptance.encoded, invitationSecrets: secondSecrets, invitation: first, now: now)
        }
        // An acceptance rewritten to carry the other id fails its signature.
        var rewritten = acceptance.encoded
        rewritten.replaceSubrange(1..<17, with: second.invitationID)
        #expect(throws: ContactsError.self) {
            try Acceptance.open(rewritten, invitationSecrets: secondSecrets, invitation: second, now: now)
        }
        _ = firstSecrets
    }

    @Test func replayedAcceptanceIsRefused() throws {
        let (invitation, secrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (acceptance, _) = try Acceptance.create(for: invitation, now: now)
        var accepted = Set<[UInt8]>()
        let opened = try Acceptance.open(
            acceptance.encoded, invitationSecrets: secrets, invitation: invitation, acceptedInvitationIDs: accepted, now: now)
        accepted.insert(opened.invitationID)
        #expect(throws: ContactsError.invitationAlreadyAccepted) {
            try Acceptance.open(
                acceptance.encoded, invitationSecrets: secrets, invitation: invitation, acceptedInvitationIDs: accepted,
                now: now)
        }
        // A second, different acceptance of the same invitation is refused as well.
        let (other, _) = try Acceptance.create(for: invitation, now: now)
        #expect(throws: ContactsError.invitationAlreadyAccepted) {
            try Acceptance.open(
                other.encoded, invitationSecrets: secrets, invitation: invitation, acceptedInvitationIDs: accepted, now: now)
        }
        // And an acceptance arriving after expiry.
        #expect(throws: ContactsError.invitationExpired(expiredAt: invitation.expiry)) {
            try Acceptance.open(
                acceptance.encoded, invitationSecrets: secrets, invitation: invitation,
                now: Date(timeIntervalSince1970: TimeInterval(invitation.expiry)))
        }
    }

    @Test func bothContributionsChangeTheRoot() throws {
        let (invitation, inviterSecrets) = try Invitation.create(relayHint: "127.0.0.1:7400", now: now)
        let (acceptance, acceptorSecrets) = try Acceptance.create(for: invitation, now: now)
        func root(inviter: SecretBytes, acceptor: SecretBytes) throws -> SecretBytes {
            try ContactRoot.derive(
                ownAgreementPrivateKey: inviterSecrets.agreementKeyPair.privateKey,
                peerAgreementKey: acceptance.agreementKey, invitationID: invitation.invitationID,
                inviterContribution: inviter, acceptorContribution: acceptor,
                inviterSigningKey: invitation.signingKey, inviterAgreementKey: invitation.agreementKey,
                acceptorSigningKey: acceptance.signingKey, acceptorAgreementKey: acceptance.agreementKey)
        }
        let base = try root(inviter: inviterSecrets.contribution, acceptor: acceptorSecrets.contribution)
        let otherInviter = try SecretBytes(random: 32)
        let otherAcceptor = try SecretBytes(random: 32)
        #expect(try root(inviter: otherInviter, acceptor: acceptorSecrets.contribution) != base)
        #expect(try root(inviter: inviterSecrets.contribution, acceptor: otherAcceptor) != base)
        // Contributions are not interchangeable (order matters).
        #expect(try root(inviter: acceptorSecrets.contribution, acceptor: inviterSecrets.contribution) != base)
        // Each public key is bound in.
        let swapped = try ContactRoot.derive(
            ownAgreementPrivateKey: inviterSecrets.agreementKeyPair.privateKey,
            peerAgreementKey: acceptance.agreementKey, invitationID: invitation.invitationID,
            inviterContribution: inviterSecrets.contribution, acceptorContribution: acceptorSecrets.contribution,
            inviterSigningKey: acceptance.signingKey, inviterAgreementKey: invitation.agreementKey,
            acceptorSigningKey: invitation.signingKey, acceptorAgreementKey: acceptance.agreementKey)
        #expect(swapped != base)
        #expect(throws: ContactsError.self) {
            try root(inviter: SecretBytes(copying: [1, 2, 3]), acceptor: acceptorSecrets.contribution)
        }
    }

    private func windowsContain(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count >= 8, haystack.count >= 8 else { return false }
        let windows = Set((0...(needle.count - 8)).map { Array(needle[$0..<($0 + 8)]) })
        return (0...(haystack.count - 8)).contains { windows.contains(Array(haystack[$0..<($0 + 8)])) }
    }
}
