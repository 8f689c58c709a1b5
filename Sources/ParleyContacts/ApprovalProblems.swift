import Foundation

/// Why a guardian's approval of a contact cannot be used.
public enum ApprovalProblem: Equatable, Sendable, CustomStringConvertible {
    /// There is no approval for this contact.
    case missing
    /// The approval is not what `parley contacts approve` produced: cut short, altered, or
    /// not an approval at all.
    case damaged(String)
    /// Signed by a guardian other than the one this profile is supervised by.
    case wrongGuardian
    /// Issued for another supervised profile.
    case anotherProfile
    /// Issued for another contact (another per-contact key).
    case anotherContact
    /// Expired at this Unix time.
    case expired(at: Int64)

    public var description: String {
        switch self {
        case .missing:
            return "there is no guardian approval for this contact; ask your guardian to run `parley contacts approve` and install it"
        case .damaged(let reason):
            return "the approval is damaged or was altered (\(reason)); ask your guardian for it again"
        case .wrongGuardian:
            return "the approval is signed by another guardian, not the one this profile is supervised by; ask your own guardian to approve the contact"
        case .anotherProfile:
            return "the approval is for another supervised profile; ask your guardian to approve the contact for this profile"
        case .anotherContact:
            return "the approval is for another contact; ask your guardian to approve this contact"
        case .expired(let at):
            return "the approval expired at \(ContactsError.utcTimestamp(at)) (Unix time \(at)); ask your guardian for a new one"
        }
    }
}

/// Why a paid-tier license (entitlement) cannot be used.
public enum LicenseProblem: Equatable, Sendable, CustomStringConvertible {
    /// No license is installed.
    case missing
    /// The profile has no issuer key configured, so no license can be trusted.
    case noIssuerConfigured
    /// The license is not what the issuer produced: cut short, altered, or not a license.
    case damaged(String)
    /// Signed by an issuer other than the one this profile trusts.
    case wrongIssuer
    /// Issued for another licensee.
    case anotherLicensee
    /// Expired at this Unix time.
    case expired(at: Int64)
    /// Valid, but allows at most this many participants.
    case tooSmall(maximum: Int)

    public var description: String {
        switch self {
        case .missing:
            return "none is installed; install one with `parley license install`"
        case .noIssuerConfigured:
            return "this profile has no license issuer key configured, so no license can be checked; give the issuer's public key when creating the profile (`parley init --name NAME --issuer-key ISSUER_PUBKEY`) or set \"issuerKey\" in profile.json"
        case .damaged(let reason):
            return "the installed license is damaged or was altered (\(reason)); install it again"
        case .wrongIssuer:
            return "the installed license is signed by another issuer than the one this profile trusts"
        case .anotherLicensee:
            return "the installed license is for another licensee"
        case .expired(let at):
            return "the installed license expired at \(ContactsError.utcTimestamp(at)) (Unix time \(at)); renew it"
        case .tooSmall(let maximum):
            return "the installed license allows at most \(maximum) participants"
        }
    }
}

/// Why an incoming or outgoing call is refused, before any media flows.
public enum CallRefusal: Equatable, Sendable, CustomStringConvertible {
    /// The other side is not one of the profile's contacts.
    case notAContact
    /// The other side is a contact the profile has blocked.
    case blocked
    /// The profile is supervised and the contact has no valid guardian approval.
    case unapproved(ApprovalProblem)
    /// A call of `participants` people (more than two) without a usable paid-tier license.
    case unlicensed(participants: Int, LicenseProblem)

    public var description: String {
        switch self {
        case .notAContact:
            return "the caller is not one of your contacts; only contacts can call (add them with `parley invite` first)"
        case .blocked:
            return "the caller is a blocked contact; unblock them to take their calls"
        case .unapproved(let problem):
            return "this profile is supervised and the contact has no valid guardian approval: \(problem)"
        case .unlicensed(let participants, let problem):
            return "a group call of \(participants) people needs a paid-tier license: \(problem)"
        }
    }
}
