import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// Keys and identifiers shared by the policy tests.
struct PolicyFixture {
    let now = Date(timeIntervalSince1970: 1_750_000_000)
    let guardian: Ed25519.KeyPair
    let otherGuardian: Ed25519.KeyPair
    let issuer: Ed25519.KeyPair
    let otherIssuer: Ed25519.KeyPair
    let contact: Ed25519.KeyPair
    let otherContact: Ed25519.KeyPair
    let subject = [UInt8](repeating: 0xA5, count: 32)
    let otherSubject = [UInt8](repeating: 0x5A, count: 32)

    init() throws {
        guardian = try Ed25519.generateKeyPair()
        otherGuardian = try Ed25519.generateKeyPair()
        issuer = try Ed25519.generateKeyPair()
        otherIssuer = try Ed25519.generateKeyPair()
        contact = try Ed25519.generateKeyPair()
        otherContact = try Ed25519.generateKeyPair()
    }

    func approval(by key: Ed25519.KeyPair? = nil, subject: [UInt8]? = nil, contactKey: [UInt8]? = nil,
                  expiresIn: Duration = .seconds(3600)) throws -> ContactApproval {
        try ContactApproval.create(
            guardianKey: key ?? guardian, subject: subject ?? self.subject, contactKey: contactKey ?? contact.publicKey,
            expiresIn: expiresIn, now: now)
    }

    func license(by key: Ed25519.KeyPair? = nil, licensee: [UInt8]? = nil, maximum: Int = 3,
                 expiresIn: Duration = .seconds(3600)) throws -> Entitlement {
        try Entitlement.create(
            issuerKey: key ?? issuer, licensee: licensee ?? subject, maximumParticipants: maximum,
            expiresIn: expiresIn, now: now)
    }

    /// Runs the policy with defaults: an unsupervised contact in a two-person call.
    @discardableResult
    func check(isContact: Bool = true, isBlocked: Bool = false, participants: Int = 2,
               supervised: Bool = false, approval: ContactApproval? = nil, contactKey: [UInt8]? = nil,
               entitlement: Entitlement? = nil, issuerKey: [UInt8]?? = .none, at time: Date? = nil) throws -> CallPolicy.Decision {
        try CallPolicy.check(
            isContact: isContact, isBlocked: isBlocked, participants: participants, profileIdentifier: subject,
            guardianKey: supervised ? guardian.publicKey : nil, contactKey: contactKey ?? contact.publicKey,
            approval: approval, entitlement: entitlement, issuerKey: issuerKey ?? issuer.publicKey, now: time ?? now)
    }
}

/// The thrown `ContactsError`, or nil.
func policyError(_ body: () throws -> Void) -> ContactsError? {
    do { try body() } catch let error as ContactsError { return error } catch { Issue.record("unexpected \(error)") }
    return nil
}

@Suite struct PolicyApprovalTests {
    @Test func approvalRoundTripsAndVerifies() throws {
        let f = try PolicyFixture()
        let approval = try f.approval()
        #expect(approval.encoded.count == ContactApproval.encodedLength)
        #expect(approval.text.hasPrefix("parley-approval:"))
        #expect(!approval.text.contains("="))
        let parsed = try ContactApproval.parse(text: approval.text)
        #expect(parsed == approval)
        #expect(parsed.expiry == 1_750_003_600)
        try parsed.verify(guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey, now: f.now)
        #expect(try ContactApproval.parse(text: "  PARLEY-APPROVAL:" + approval.text.dropFirst(16) + "\n") == approval)
    }

    @Test func approvalSignsExactlyContextSubjectContactExpiry() throws {
        let f = try PolicyFixture()
        let approval = try f.approval()
        var message = Array("parley approval v1".utf8) + f.subject + f.contact.publicKey
        message.appendBigEndian(UInt64(approval.expiry))
        #expect(Ed25519.verify(signature: approval.signature, message: message, publicKey: f.guardian.publicKey))
    }

    @Test func approvalTamperedAtEveryByteIsRefused() throws {
        let f = try PolicyFixture()
        let bytes = try f.approval().encoded
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            let error = policyError {
                try ContactApproval.parse(bytes: tampered).verify(
                    guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey, now: f.now)
            }
            #expect(error != nil, "byte \(index)")
            if index >= 33 && index < 105 {  // subject, contact key: the signature no longer matches
                #expect(error == .invalidApproval(.damaged("its signature does not match")), "byte \(index)")
            }
        }
        #expect(policyError { _ = try ContactApproval.parse(bytes: Array(bytes.dropLast())) }
            == .invalidApproval(.damaged("it is cut short (signature missing); copy the whole code again")))
        #expect(policyError { _ = try ContactApproval.parse(bytes: bytes + [0]) } != nil)
        #expect(policyError { _ = try ContactApproval.parse(text: "parley-license:AAAA") } != nil)
        #expect(policyError { _ = try ContactApproval.parse(text: "parley-approval:!!") } != nil)
    }

    @Test func approvalExpiry() throws {
        let f = try PolicyFixture()
        let approval = try f.approval(expiresIn: .seconds(60))
        try approval.verify(guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey,
                            now: f.now.addingTimeInterval(59))
        let error = policyError {
            try approval.verify(guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey,
                                now: f.now.addingTimeInterval(60))
        }
        #expect(error == .invalidApproval(.expired(at: 1_750_000_060)))
        #expect(error?.description ==
            "approval refused: the approval expired at 2025-06-15T15:07:40Z (Unix time 1750000060); ask your guardian for a new one")
    }

    @Test func approvalForAnotherContactProfileOrGuardianIsRefused() throws {
        let f = try PolicyFixture()
        let approval = try f.approval()
        #expect(policyError {
            try approval.verify(guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.otherContact.publicKey, now: f.now)
        } == .invalidApproval(.anotherContact))
        #expect(policyError {
            try approval.verify(guardianPublicKey: f.guardian.publicKey, subject: f.otherSubject, contactKey: f.contact.publicKey, now: f.now)
        } == .invalidApproval(.anotherProfile))
        #expect(policyError {
            try approval.verify(guardianPublicKey: f.otherGuardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey, now: f.now)
        } == .invalidApproval(.wrongGuardian))
        // Signed by another guardian but claiming to be ours: the signature does not match.
        let forged = try f.approval(by: f.otherGuardian)
        var bytes = forged.encoded
        bytes.replaceSubrange(1..<33, with: f.guardian.publicKey)
        #expect(policyError {
            try ContactApproval.parse(bytes: bytes).verify(
                guardianPublicKey: f.guardian.publicKey, subject: f.subject, contactKey: f.contact.publicKey, now: f.now)
        } == .invalidApproval(.damaged("its signature does not match")))
    }

    @Test func approvalCreateRefusesBadInput() throws {
        let f = try PolicyFixture()
        #expect(policyError { _ = try f.approval(subject: [1, 2, 3]) } != nil)
        #expect(policyError { _ = try f.approval(contactKey: [1]) } != nil)
        #expect(policyError { _ = try f.approval(expiresIn: .zero) } != nil)
    }
}

@Suite struct PolicyEntitlementTests {
    @Test func licenseRoundTripsAndVerifies() throws {
        let f = try PolicyFixture()
        let license = try f.license(maximum: 5)
        #expect(license.encoded.count == Entitlement.encodedLength)
        #expect(license.text.hasPrefix("parley-license:"))
        let parsed = try Entitlement.parse(text: license.text)
        #expect(parsed == license)
        #expect(parsed.maximumParticipants == 5)
        try parsed.verify(issuerPublicKey: f.issuer.publicKey, now: f.now)
        try parsed.verify(issuerPublicKey: f.issuer.publicKey, licensee: f.subject, now: f.now)
        var message = Array("parley entitlement v1".utf8) + f.subject + [5]
        message.appendBigEndian(UInt64(license.expiry))
        #expect(Ed25519.verify(signature: license.signature, message: message, publicKey: f.issuer.publicKey))
    }

    @Test func licenseTamperedAtEveryByteIsRefused() throws {
        let f = try PolicyFixture()
        let bytes = try f.license().encoded
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            #expect(policyError {
                try Entitlement.parse(bytes: tampered).verify(issuerPublicKey: f.issuer.publicKey, licensee: f.subject, now: f.now)
            } != nil, "byte \(index)")
        }
        // Raising the limit from 3 to 8 breaks the signature.
        var raised = bytes
        raised[65] = 8
        #expect(policyError { try Entitlement.parse(bytes: raised).verify(issuerPublicKey: f.issuer.publicKey, now: f.now) }
            == .invalidLicense(.damaged("its signature does not match")))
        #expect(policyError { _ = try Entitlement.parse(text: "parley-license:" + ParleyURI.base64URLEncode(Array(bytes.prefix(40)))) }
            != nil)
    }

    @Test func licenseExpiryIssuerAndLicensee() throws {
        let f = try PolicyFixture()
        let license = try f.license(expiresIn: .seconds(10))
        #expect(policyError { try license.verify(issuerPublicKey: f.issuer.publicKey, now: f.now.addingTimeInterval(10)) }
            == .invalidLicense(.expired(at: 1_750_000_010)))
        #expect(policyError { try license.verify(issuerPublicKey: f.otherIssuer.publicKey, now: f.now) }
            == .invalidLicense(.wrongIssuer))
        #expect(policyError { try license.verify(issuerPublicKey: f.issuer.publicKey, licensee: f.otherSubject, now: f.now) }
            == .invalidLicense(.anotherLicensee))
    }

    @Test func licenseCreateRefusesLimitsOutside3To8() throws {
        let f = try PolicyFixture()
        for maximum in [-1, 0, 1, 2, 9, 256] { #expect(policyError { _ = try f.license(maximum: maximum) } != nil) }
        for maximum in 3...8 { #expect(try f.license(maximum: maximum).maximumParticipants == maximum) }
        #expect(policyError { _ = try f.license(licensee: [1, 2]) } != nil)
    }
}

@Suite struct PolicyCallCheckTests {
    @Test func contactTwoPersonCallAllowed() throws {
        let f = try PolicyFixture()
        #expect(try f.check() == .allowed)
        #expect(try f.check(issuerKey: .some(nil)) == .allowed)  // two people need no license or issuer
    }

    @Test func notAContactRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(isContact: false) }
        #expect(error == .callRefused(.notAContact))
        #expect(error?.description ==
            "call refused: the caller is not one of your contacts; only contacts can call (add them with `parley invite` first)")
        // Not being a contact is said first, whatever else is wrong.
        #expect(policyError { try f.check(isContact: false, isBlocked: true, participants: 5, supervised: true) }
            == .callRefused(.notAContact))
    }

    @Test func blockedContactRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(isBlocked: true, approval: try f.approval()) }
        #expect(error == .callRefused(.blocked))
        #expect(error?.description == "call refused: the caller is a blocked contact; unblock them to take their calls")
        #expect(policyError { try f.check(isBlocked: true, supervised: true, approval: try f.approval()) }
            == .callRefused(.blocked))
    }

    @Test func supervisedWithValidApprovalAllowed() throws {
        let f = try PolicyFixture()
        #expect(try f.check(supervised: true, approval: try f.approval()) == .allowed)
    }

    @Test func supervisedWithoutApprovalRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(supervised: true) }
        #expect(error == .callRefused(.unapproved(.missing)))
        #expect(error?.description == "call refused: this profile is supervised and the contact has no valid guardian approval: "
            + "there is no guardian approval for this contact; ask your guardian to run `parley contacts approve` and install it")
    }

    @Test func supervisedWithExpiredApprovalRefused() throws {
        let f = try PolicyFixture()
        let approval = try f.approval(expiresIn: .seconds(60))
        #expect(try f.check(supervised: true, approval: approval, at: f.now.addingTimeInterval(59)) == .allowed)
        let error = policyError { try f.check(supervised: true, approval: approval, at: f.now.addingTimeInterval(60)) }
        #expect(error == .callRefused(.unapproved(.expired(at: 1_750_000_060))))
        #expect(error?.description == "call refused: this profile is supervised and the contact has no valid guardian approval: "
            + "the approval expired at 2025-06-15T15:07:40Z (Unix time 1750000060); ask your guardian for a new one")
    }

    @Test func supervisedWithApprovalFromAnotherGuardianRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(supervised: true, approval: try f.approval(by: f.otherGuardian)) }
        #expect(error == .callRefused(.unapproved(.wrongGuardian)))
        #expect(error?.description.contains("signed by another guardian") == true)
    }

    @Test func supervisedWithApprovalForAnotherContactRefused() throws {
        let f = try PolicyFixture()
        let forOther = try f.approval(contactKey: f.otherContact.publicKey)
        let error = policyError { try f.check(supervised: true, approval: forOther) }
        #expect(error == .callRefused(.unapproved(.anotherContact)))
        #expect(error?.description == "call refused: this profile is supervised and the contact has no valid guardian approval: "
            + "the approval is for another contact; ask your guardian to approve this contact")
        #expect(policyError { try f.check(supervised: true, approval: try f.approval(subject: f.otherSubject)) }
            == .callRefused(.unapproved(.anotherProfile)))
    }

    @Test func supervisedWithTamperedApprovalRefused() throws {
        let f = try PolicyFixture()
        var bytes = try f.approval().encoded
        bytes[bytes.count - 1] ^= 0x80
        let tampered = try ContactApproval.parse(bytes: bytes)
        #expect(policyError { try f.check(supervised: true, approval: tampered) }
            == .callRefused(.unapproved(.damaged("its signature does not match"))))
    }

    @Test func unsupervisedIgnoresApproval() throws {
        let f = try PolicyFixture()
        #expect(try f.check(approval: try f.approval(by: f.otherGuardian)) == .allowed)
    }

    @Test func groupCallWithoutLicenseRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(participants: 3) }
        #expect(error == .callRefused(.unlicensed(participants: 3, .missing)))
        #expect(error?.description ==
            "call refused: a group call of 3 people needs a paid-tier license: none is installed; install one with `parley license install`")
    }

    @Test func groupCallLicenseMaximumEnforced() throws {
        let f = try PolicyFixture()
        let license = try f.license(maximum: 3)
        #expect(try f.check(participants: 2, entitlement: license) == .allowed)
        #expect(try f.check(participants: 3, entitlement: license) == .allowed)
        let error = policyError { try f.check(participants: 4, entitlement: license) }
        #expect(error == .callRefused(.unlicensed(participants: 4, .tooSmall(maximum: 3))))
        #expect(error?.description ==
            "call refused: a group call of 4 people needs a paid-tier license: the installed license allows at most 3 participants")
        let eight = try f.license(maximum: 8)
        #expect(try f.check(participants: 8, entitlement: eight) == .allowed)
        #expect(policyError { try f.check(participants: 9, entitlement: eight) }
            == .callRefused(.unlicensed(participants: 9, .tooSmall(maximum: 8))))
    }

    @Test func groupCallWithExpiredLicenseRefused() throws {
        let f = try PolicyFixture()
        let license = try f.license(expiresIn: .seconds(10))
        #expect(try f.check(participants: 3, entitlement: license, at: f.now.addingTimeInterval(9)) == .allowed)
        let error = policyError { try f.check(participants: 3, entitlement: license, at: f.now.addingTimeInterval(10)) }
        #expect(error == .callRefused(.unlicensed(participants: 3, .expired(at: 1_750_000_010))))
        #expect(error?.description == "call refused: a group call of 3 people needs a paid-tier license: "
            + "the installed license expired at 2025-06-15T15:06:50Z (Unix time 1750000010); renew it")
    }

    @Test func groupCallWithLicenseFromAnotherIssuerRefused() throws {
        let f = try PolicyFixture()
        let error = policyError { try f.check(participants: 3, entitlement: try f.license(by: f.otherIssuer)) }
        #expect(error == .callRefused(.unlicensed(participants: 3, .wrongIssuer)))
        #expect(error?.description == "call refused: a group call of 3 people needs a paid-tier license: "
            + "the installed license is signed by another issuer than the one this profile trusts")
        #expect(policyError { try f.check(participants: 3, entitlement: try f.license(), issuerKey: .some(nil)) }
            == .callRefused(.unlicensed(participants: 3, .noIssuerConfigured)))
        #expect(policyError { try f.check(participants: 3, entitlement: try f.license(licensee: f.otherSubject)) }
            == .callRefused(.unlicensed(participants: 3, .anotherLicensee)))
    }

    @Test func groupCallWithTamperedLicenseRefused() throws {
        let f = try PolicyFixture()
        var bytes = try f.license(maximum: 3).encoded
        bytes[65] = 8  // claim 8 participants
        let tampered = try Entitlement.parse(bytes: bytes)
        #expect(policyError { try f.check(participants: 4, entitlement: tampered) }
            == .callRefused(.unlicensed(participants: 4, .damaged("its signature does not match"))))
    }

    @Test func supervisedGroupCallNeedsBoth() throws {
        let f = try PolicyFixture()
        let approval = try f.approval()
        let license = try f.license(maximum: 4)
        #expect(try f.check(participants: 4, supervised: true, approval: approval, entitlement: license) == .allowed)
        #expect(policyError { try f.check(participants: 4, supervised: true, entitlement: license) }
            == .callRefused(.unapproved(.missing)))
        #expect(policyError { try f.check(participants: 4, supervised: true, approval: approval) }
            == .callRefused(.unlicensed(participants: 4, .missing)))
    }

    @Test func fewerThanTwoParticipantsIsAnError() throws {
        let f = try PolicyFixture()
        #expect(policyError { try f.check(participants: 1) } == .other("a call needs at least 2 participants (got 1)"))
    }

    @Test func profileKeysAreUsedAndADamagedKeyRefuses() throws {
        let f = try PolicyFixture()
        var profile = Profile(displayName: "Kid", supervisedBy: Data(f.guardian.publicKey).base64EncodedString(),
                              issuerKey: Data(f.issuer.publicKey).base64EncodedString())
        func check(_ profile: Profile, approval: ContactApproval?, participants: Int = 3) throws {
            try CallPolicy.check(
                profile: profile, isContact: true, isBlocked: false, participants: participants, profileIdentifier: f.subject,
                contactKey: f.contact.publicKey, approval: approval, entitlement: try f.license(), now: f.now)
        }
        try check(profile, approval: try f.approval())
        #expect(policyError { try check(profile, approval: nil) } == .callRefused(.unapproved(.missing)))
        profile.supervisedBy = "not a key"
        #expect(policyError { try check(profile, approval: try f.approval()) }?.description.contains("guardian key") == true)
        profile.supervisedBy = nil
        try check(profile, approval: nil)
        profile.issuerKey = nil
        #expect(policyError { try check(profile, approval: nil) }
            == .callRefused(.unlicensed(participants: 3, .noIssuerConfigured)))
    }
}
