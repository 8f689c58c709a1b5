import Foundation

/// What can go wrong with the profile, invitations, contacts and their store. Messages say
/// what happened and what to do; none of them ever carries key material.
public enum ContactsError: Error, Equatable, CustomStringConvertible {
    /// A file of the profile or contact store could not be read or written.
    case storage(path: String, reason: String)
    /// The store's contents are not what Parley wrote (damaged, or not a Parley file).
    case corruptStore(path: String, reason: String)
    /// An invitation or acceptance that cannot be used.
    case invalidInvitation(String)
    /// Anything else, with its own message.
    case other(String)
    /// An invitation (or an acceptance of it) arrived after its expiry (Unix seconds).
    case invitationExpired(expiredAt: Int64)
    /// An acceptance that cannot be used: damaged, forged, or for another invitation.
    case invalidAcceptance(String)
    /// An acceptance for an invitation that was already accepted (a replay).
    case invitationAlreadyAccepted
    /// An encrypted store that does not open with the passphrase or key file given: the
    /// key is wrong, or the store was altered.
    case wrongKey(path: String)
    /// A signaling envelope that cannot be used: damaged, forged, for another session, or
    /// sealed with another algorithm. It is dropped; nothing was delivered.
    case invalidSignalingMessage(String)
    /// A signaling envelope whose sequence number was already received, or is too old for
    /// the replay window: a replay (or a message delayed past the window). It is dropped.
    case signalingReplayed(sequence: UInt64)
    /// A guardian's approval of a contact that cannot be used, and why.
    case invalidApproval(ApprovalProblem)
    /// A paid-tier license (entitlement) that cannot be used, and why.
    case invalidLicense(LicenseProblem)
    /// A call refused by the policy (before any media flows), and why.
    case callRefused(CallRefusal)
    /// The other side of a call setup declined the call (it says no more than that).
    case callDeclined(CallDecline)
    /// A `parley-approval-request:` text that cannot be used, and why.
    case invalidApprovalRequest(String)
    /// A license that `parley license install` refuses to install, and why.
    case licenseInstallRefused(LicenseProblem)
    /// No contact has this short id or display name.
    case contactNotFound(String)
    /// More than one contact matches (their short ids are given).
    case contactAmbiguous(String, matches: [String])
    /// A key rotation message or request that cannot be used, and why.
    case rotationRefused(String)

    public var description: String {
        switch self {
        case .storage(let path, let reason):
            return "\(path): \(reason)"
        case .corruptStore(let path, let reason):
            return "\(path): the store is damaged (\(reason)); restore it from a backup or start a new profile"
        case .invalidInvitation(let reason):
            return "invitation refused: \(reason)"
        case .other(let message):
            return message
        case .invitationExpired(let expiredAt):
            return "invitation refused: it expired at \(ContactsError.utcTimestamp(expiredAt)) (Unix time \(expiredAt)); ask for a new invitation"
        case .invalidAcceptance(let reason):
            return "acceptance refused: \(reason)"
        case .invitationAlreadyAccepted:
            return "acceptance refused: this invitation was already accepted, so this is a replay; send a new invitation to add another contact"
        case .wrongKey(let path):
            return "\(path): wrong passphrase or damaged store; check the passphrase or key file and try again"
        case .invalidSignalingMessage(let reason):
            return "signaling message refused: \(reason); it was dropped (if this keeps happening, the contact's keys may have changed: re-add the contact)"
        case .signalingReplayed(let sequence):
            return "signaling message refused: sequence number \(sequence) was already received or is too old (a replay or a badly delayed message); it was dropped"
        case .invalidApproval(let problem):
            return "approval refused: \(problem)"
        case .invalidLicense(let problem):
            return "license refused: \(problem)"
        case .callRefused(let refusal):
            return "call refused: \(refusal)"
        case .callDeclined(let reason):
            return "call not answered: \(reason)"
        case .invalidApprovalRequest(let reason):
            return "approval request refused: \(reason)"
        case .licenseInstallRefused(let problem):
            return "license refused: \(problem.installDescription); nothing was installed"
        case .contactNotFound(let query):
            return query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                ? "no contact given; name one by the id or the name `parley contacts list` prints"
                : "no contact matches '\(Profile.printable(query))'; `parley contacts list` shows their ids and names"
        case .contactAmbiguous(let query, let matches):
            return "'\(Profile.printable(query))' matches more than one contact (\(matches.joined(separator: ", "))); name one by its id from `parley contacts list`"
        case .rotationRefused(let reason):
            return "key rotation refused: \(reason)"
        }
    }
}

extension ContactsError {
    /// `seconds` since 1970 as an ISO 8601 UTC time, e.g. `2025-01-31T12:00:00Z`.
    static func utcTimestamp(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
