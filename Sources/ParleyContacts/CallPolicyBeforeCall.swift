import Foundation
import ParleySecurity

extension CallPolicy {
    /// The policy check to run before any media flows, for a call with the contacts
    /// `contactIDs` (their `ContactBook.Contact.id`, e.g. the caller of an incoming call or
    /// the members of an outgoing one) of `participants` people in all, this profile
    /// included. Reads everything from the profile directory `directory`: the profile
    /// (guardian and issuer keys, identifier), the contact store (is each one a contact, is
    /// it blocked, its guardian approval) and the installed license (`license.token`), then
    /// applies `check` to each contact.
    ///
    /// A call goes ahead only if this returns `.allowed`; a refusal says why, for the user.
    ///
    /// - Throws: `ContactsError.callRefused` with `.notAContact`, `.blocked`,
    ///   `.unapproved(…)` or `.unlicensed(…)`; `.other` for no contacts or fewer
    ///   participants than contacts + 1; what loading the profile or the store throws
    ///   (`.other` if there is no profile, `.wrongKey`, `.corruptStore`, `.storage`).
    @discardableResult
    public static func checkBeforeCall(
        directory: String, contactIDs: [String], participants: Int, now: Date = Date()
    ) throws(ContactsError) -> Decision {
        let store = ProfileStore(directory: directory)
        let identifier = try store.identifier()
        let profile = try store.load()
        let book: ContactBook = try ContactBook.store(in: directory).load()
        let license = participants > freeParticipants ? try LicenseStore(directory: directory).loadText() : nil
        return try checkBeforeCall(
            profile: profile, profileIdentifier: identifier, book: book, licenseText: license, contactIDs: contactIDs,
            participants: participants, now: now)
    }

    /// `checkBeforeCall(directory:…)` on values already loaded: `licenseText` is the
    /// installed license (`parley-license:` text) or nil.
    @discardableResult
    public static func checkBeforeCall(
        profile: Profile, profileIdentifier: [UInt8], book: ContactBook, licenseText: String?, contactIDs: [String],
        participants: Int, now: Date = Date()
    ) throws(ContactsError) -> Decision {
        guard !contactIDs.isEmpty else {
            throw ContactsError.other("a call needs at least one contact on the other side")
        }
        guard participants >= contactIDs.count + 1 else {
            throw ContactsError.other(
                "a call with \(contactIDs.count) contact(s) has at least \(contactIDs.count + 1) participants (got \(participants))")
        }
        var entitlement: Entitlement?
        if participants > freeParticipants, let licenseText {
            do {
                entitlement = try Entitlement.parse(text: licenseText)
            } catch {
                if case .invalidLicense(let problem) = error {
                    throw ContactsError.callRefused(.unlicensed(participants: participants, problem))
                }
                throw error
            }
        }
        for id in contactIDs {
            let contact = book.contacts.first { $0.id == id }
            var approval: ContactApproval?
            if profile.supervisedBy != nil, let text = contact?.approval {
                do {
                    approval = try ContactApproval.parse(text: text)
                } catch {
                    if case .invalidApproval(let problem) = error { throw ContactsError.callRefused(.unapproved(problem)) }
                    throw error
                }
            }
            try check(
                profile: profile, isContact: contact != nil, isBlocked: contact?.isBlocked ?? false,
                participants: participants, profileIdentifier: profileIdentifier,
                contactKey: try contact?.peerSigningPublicKey(), approval: approval, entitlement: entitlement, now: now)
        }
        return .allowed
    }

    /// The host's paid-tier check before it starts a group call of `participants` people
    /// (itself included): the license installed in the profile directory `directory` must
    /// be for this profile, from its configured issuer, valid now and big enough. Two
    /// people need nothing.
    ///
    /// - Throws: `ContactsError.callRefused(.unlicensed(…))` saying what is missing;
    ///   `.other` when there is no profile to hold a license.
    public static func checkGroupLicense(directory: String, participants: Int, now: Date = Date()) throws(ContactsError) {
        guard participants > freeParticipants else { return }
        let store = ProfileStore(directory: directory)
        guard store.exists else {
            throw ContactsError.other(
                "a call of \(participants) people is the paid tier and needs a license, but there is no profile in \(directory): "
                    + "run `parley init --name NAME --issuer-key KEY`, then `parley license install TOKEN` (set PARLEY_HOME to use another directory)")
        }
        let identifier = try store.identifier()
        let profile = try store.load()
        let text = try LicenseStore(directory: directory).loadText()
        var entitlement: Entitlement?
        if let text {
            do {
                entitlement = try Entitlement.parse(text: text)
            } catch {
                if case .invalidLicense(let problem) = error {
                    throw ContactsError.callRefused(.unlicensed(participants: participants, problem))
                }
                throw error
            }
        }
        let issuerKey = try profile.issuerKey.map { text throws(ContactsError) in try publicKey(base64: text, what: "license issuer key") }
        try checkLicense(participants: participants, profileIdentifier: identifier, entitlement: entitlement, issuerKey: issuerKey, now: now)
    }
}
