import Foundation
import ParleySecurity

/// Who may call: decided before any media flows.
///
/// In order: the other side must be a contact, and not a blocked one; a supervised profile
/// (one with a guardian key) needs the guardian's valid approval of that contact; a call
/// of more than two people needs a valid paid-tier license signed by the profile's issuer
/// key that allows at least that many participants.
public enum CallPolicy {
    public enum Decision: Equatable, Sendable {
        case allowed
    }

    /// Two people need no license; more do.
    public static let freeParticipants = 2

    /// Decides whether a call may go ahead.
    ///
    /// - Parameters:
    ///   - isContact: the other side is one of the profile's contacts.
    ///   - isBlocked: that contact is blocked.
    ///   - participants: people in the call, this profile included (at least 2).
    ///   - profileIdentifier: this profile's 32-byte identifier: the subject of approvals
    ///     and the licensee of licenses.
    ///   - guardianKey: the guardian's Ed25519 public key if the profile is supervised.
    ///   - contactKey: the contact's per-contact Ed25519 public key.
    ///   - approval: the guardian's approval installed for that contact, if any.
    ///   - entitlement: the installed license, if any.
    ///   - issuerKey: the license issuer's Ed25519 public key configured in the profile.
    /// - Throws: `ContactsError.callRefused` saying why; `.other` for fewer than 2
    ///   participants.
    @discardableResult
    public static func check(
        isContact: Bool, isBlocked: Bool, participants: Int, profileIdentifier: [UInt8],
        guardianKey: [UInt8]?, contactKey: [UInt8]?, approval: ContactApproval?,
        entitlement: Entitlement?, issuerKey: [UInt8]?, now: Date = Date()
    ) throws(ContactsError) -> Decision {
        guard participants >= 2 else {
            throw ContactsError.other("a call needs at least 2 participants (got \(participants))")
        }
        guard isContact else { throw ContactsError.callRefused(.notAContact) }
        guard !isBlocked else { throw ContactsError.callRefused(.blocked) }

        if let guardianKey {
            guard let approval, let contactKey else { throw ContactsError.callRefused(.unapproved(.missing)) }
            do {
                try approval.verify(guardianPublicKey: guardianKey, subject: profileIdentifier, contactKey: contactKey, now: now)
            } catch {
                if case .invalidApproval(let problem) = error { throw ContactsError.callRefused(.unapproved(problem)) }
                throw error
            }
        }

        try checkLicense(participants: participants, profileIdentifier: profileIdentifier, entitlement: entitlement,
                         issuerKey: issuerKey, now: now)
        return .allowed
    }

    /// The paid-tier part of `check`: a call of more than `freeParticipants` people needs a
    /// license for this profile from the configured issuer, valid now and big enough.
    public static func checkLicense(
        participants: Int, profileIdentifier: [UInt8], entitlement: Entitlement?, issuerKey: [UInt8]?, now: Date = Date()
    ) throws(ContactsError) {
        guard participants > freeParticipants else { return }
        func refuse(_ problem: LicenseProblem) -> ContactsError {
            .callRefused(.unlicensed(participants: participants, problem))
        }
        guard let entitlement else { throw refuse(.missing) }
        guard let issuerKey else { throw refuse(.noIssuerConfigured) }
        do {
            try entitlement.verify(issuerPublicKey: issuerKey, licensee: profileIdentifier, now: now)
        } catch {
            if case .invalidLicense(let problem) = error { throw refuse(problem) }
            throw error
        }
        guard participants <= entitlement.maximumParticipants else {
            throw refuse(.tooSmall(maximum: entitlement.maximumParticipants))
        }
    }

    /// `check` with the guardian and issuer keys taken from `profile` (`supervisedBy`,
    /// `issuerKey`, base64). A key there that is not a valid base64 Ed25519 public key
    /// refuses the call (`ContactsError.other`): a damaged profile never loosens the policy.
    @discardableResult
    public static func check(
        profile: Profile, isContact: Bool, isBlocked: Bool, participants: Int, profileIdentifier: [UInt8],
        contactKey: [UInt8]?, approval: ContactApproval?, entitlement: Entitlement?, now: Date = Date()
    ) throws(ContactsError) -> Decision {
        let guardianKey = try profile.supervisedBy.map { text throws(ContactsError) in
            try publicKey(base64: text, what: "guardian key (supervised by)")
        }
        let issuerKey = try profile.issuerKey.map { text throws(ContactsError) in
            try publicKey(base64: text, what: "license issuer key")
        }
        return try check(
            isContact: isContact, isBlocked: isBlocked, participants: participants, profileIdentifier: profileIdentifier,
            guardianKey: guardianKey, contactKey: contactKey, approval: approval, entitlement: entitlement,
            issuerKey: issuerKey, now: now)
    }

    /// A 32-byte Ed25519 public key from standard base64 (or unpadded base64url).
    static func publicKey(base64 text: String, what: String) throws(ContactsError) -> [UInt8] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = Data(base64Encoded: trimmed).map { [UInt8]($0) } ?? ParleyURI.base64URLDecode(trimmed)
        guard let bytes, bytes.count == Ed25519.publicKeyLength else {
            throw ContactsError.other(
                "the profile's \(what) is not a base64 Ed25519 public key of \(Ed25519.publicKeyLength) bytes; fix it in profile.json")
        }
        return bytes
    }
}
