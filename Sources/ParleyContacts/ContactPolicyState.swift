import Foundation
import ParleySecurity

/// A supervised profile's side of the policy: whose approvals it takes (its guardian's
/// key) and what they must name (its identifier).
public struct Supervision: Equatable, Sendable {
    /// The guardian's Ed25519 public key (`Profile.supervisedBy`).
    public let guardianKey: [UInt8]
    /// The supervised profile's identifier: the subject of its approvals.
    public let subject: [UInt8]

    public init(guardianKey: [UInt8], subject: [UInt8]) {
        self.guardianKey = guardianKey
        self.subject = subject
    }

    /// The supervision of the profile in `store`, or nil if it is not supervised. Makes the
    /// profile's identifier if it has none yet (see `ProfileStore.identifier()`).
    ///
    /// - Throws: what loading the profile throws; `.other` for a guardian key in the profile
    ///   that is not an Ed25519 public key (a damaged profile never loosens the policy).
    public static func of(_ store: ProfileStore) throws(ContactsError) -> Supervision? {
        let profile = try store.load()
        guard let text = profile.supervisedBy else { return nil }
        let guardianKey = try CallPolicy.publicKey(base64: text, what: "guardian key (supervised by)")
        return Supervision(guardianKey: guardianKey, subject: try store.identifier())
    }

    /// The request to hand the guardian for the contact whose per-contact key is `contactKey`.
    public func request(contactKey: [UInt8], contactName: String? = nil, note: String? = nil) throws(ContactsError) -> ApprovalRequest {
        try ApprovalRequest(guardianKey: guardianKey, subject: subject, contactKey: contactKey, contactName: contactName, note: note)
    }

    /// Checks that `approval` is this profile's guardian's, for this profile and the
    /// contact key `contactKey`, and not expired at `now`.
    ///
    /// - Throws: `ContactsError.invalidApproval` saying why not.
    public func verify(_ approval: ContactApproval, contactKey: [UInt8], now: Date = Date()) throws(ContactsError) {
        try approval.verify(guardianPublicKey: guardianKey, subject: subject, contactKey: contactKey, now: now)
    }

    /// What is wrong with the approval stored for `contact` (`.missing` when it has none),
    /// or nil when it is valid at `now`.
    public func problem(of contact: ContactBook.Contact, now: Date = Date()) -> ApprovalProblem? {
        guard let text = contact.approval else { return .missing }
        do {
            let approval = try ContactApproval.parse(text: text)
            try verify(approval, contactKey: try contact.peerSigningPublicKey(), now: now)
            return nil
        } catch {
            if case .invalidApproval(let problem) = error { return problem }
            return .damaged("\(error)")
        }
    }
}

extension ContactBook.Contact {
    /// True when the profile blocked this contact: its calls are refused.
    public var isBlocked: Bool { blocked ?? false }

    /// The first 4 bytes of the contact id in hex: how `parley contacts list` names it.
    public var shortID: String { hex(Array((Data(base64Encoded: id).map { [UInt8]($0) } ?? []).prefix(4))) }
}

extension ContactBook {
    /// The index of the contact named by `query`: the short id `parley contacts list`
    /// prints (first 4 bytes of the id in hex), the full id, or a display name that only
    /// one contact has. The same lookup as `resolve(_:)`.
    ///
    /// - Throws: `.contactNotFound` / `.contactAmbiguous` when no contact or more than one
    ///   matches, saying what to use.
    public func contactIndex(matching query: String) throws(ContactsError) -> Int {
        try resolve(query)
    }

    /// Blocks (or unblocks) the contact named by `query` (see `contactIndex(matching:)`)
    /// and returns it.
    @discardableResult
    public mutating func setBlocked(_ blocked: Bool, contact query: String) throws(ContactsError) -> Contact {
        let index = try contactIndex(matching: query)
        contacts[index].blocked = blocked ? true : nil
        return contacts[index]
    }

    /// The supervised side: checks the guardian's `approval` and stores it with the
    /// contact it names (by its per-contact key), replacing any older one. Returns that
    /// contact.
    ///
    /// - Throws: `.invalidApproval` if it is not valid for this profile (nothing changes),
    ///   `.other` if no contact has that key.
    @discardableResult
    public mutating func installApproval(
        _ approval: ContactApproval, supervision: Supervision, now: Date = Date()
    ) throws(ContactsError) -> Contact {
        var found: Int?
        for (index, contact) in contacts.enumerated() {
            if bytesEqual(try contact.peerSigningPublicKey(), approval.contactKey) { found = index }
        }
        let pending = pendingAcceptances.contains { pending in
            ((try? restoreInvitation(pending.uri)).map { bytesEqual($0.signingKey, approval.contactKey) }) ?? false
        }
        guard let index = found else {
            // Check it anyway, so a bad approval is reported as such.
            try supervision.verify(approval, contactKey: approval.contactKey, now: now)
            if pending {
                throw ContactsError.other("this approval is for an invitation you accepted that is not established yet; run `parley contacts sync` first, then install it")
            }
            throw ContactsError.other("this approval is for none of your contacts; if it is for an invitation you have not accepted yet, run `parley accept URI --approval parley-approval:…`")
        }
        try supervision.verify(approval, contactKey: try contacts[index].peerSigningPublicKey(), now: now)
        contacts[index].approval = approval.text
        return contacts[index]
    }

    /// Accepts the invitation in `uri` like `accept(uri:now:)`, for a profile that may be
    /// supervised: a supervised profile needs `approval`, its guardian's valid approval of
    /// the inviter's per-contact key, which is checked first and kept with the pending
    /// acceptance (and then with the contact).
    ///
    /// - Throws: `.invalidApproval(.missing)` if supervised without an approval,
    ///   `.invalidApproval` if the approval is not valid (nothing changes), `.other` for an
    ///   approval given to a profile that is not supervised; what `accept(uri:now:)` throws.
    public mutating func accept(
        uri: String, supervision: Supervision?, approval: ContactApproval?, now: Date = Date()
    ) throws(ContactsError) -> OutgoingEnvelope {
        let invitation = try Invitation.parse(uri: uri, now: now)
        if let supervision {
            guard let approval else { throw ContactsError.invalidApproval(.missing) }
            try supervision.verify(approval, contactKey: invitation.signingKey, now: now)
        } else if approval != nil {
            throw ContactsError.other("this profile is not supervised, so it needs no guardian approval; accept without one")
        }
        let envelope = try accept(uri: uri, now: now)
        if let approval { attachApproval(approval, toAcceptanceOf: invitation) }
        return envelope
    }

    /// Keeps `approval` with the pending acceptance of `invitation` (it moves to the contact
    /// when the inviter confirms). Does nothing if there is no such acceptance.
    public mutating func attachApproval(_ approval: ContactApproval, toAcceptanceOf invitation: Invitation) {
        let id = b64(invitation.invitationID)
        if let index = pendingAcceptances.firstIndex(where: { $0.invitationID == id }) {
            pendingAcceptances[index].approval = approval.text
        }
    }
}
