import Foundation
import ParleySecurity

/// The contact exchange with both sides in one process: what `parley invite`,
/// `parley accept` and two `parley contacts sync` do through a relay, without the relay.
/// `parley loopback` uses it so its simulated participants are contacts of each other
/// and the call's keys come from a real contact session.
public enum LocalContactExchange {
    /// Makes an invitation in `inviter`, accepts it in `acceptor`, answers the acceptance
    /// and completes the contact on both sides.
    ///
    /// - Returns: the new contact's index in each book's `contacts`.
    public static func establish(
        inviter: inout ContactBook, acceptor: inout ContactBook, inviterName: String = "Alice",
        acceptorName: String = "Bob", relayHint: String = "127.0.0.1:7400", now: Date = Date()
    ) throws(ContactsError) -> (inviter: Int, acceptor: Int) {
        let (invitation, secrets) = try Invitation.create(relayHint: relayHint, expiresIn: .seconds(3600), now: now)
        inviter.add(invitation, secrets: secrets)
        secrets.wipe()
        let acceptance = try acceptor.accept(uri: invitation.uri, displayName: acceptorName, now: now)
        let confirmation = try inviter.receiveAcceptance(
            acceptance.bytes, inMailbox: acceptance.mailbox, displayName: inviterName, now: now)
        try acceptor.receiveConfirmation(confirmation.bytes, inMailbox: confirmation.mailbox, now: now)
        guard let a = inviter.contacts.lastIndex(where: { $0.id == b64(invitation.invitationID) }),
              let b = acceptor.contacts.lastIndex(where: { $0.id == b64(invitation.invitationID) })
        else { throw ContactsError.other("the local contact exchange did not establish a contact") }
        return (a, b)
    }
}
