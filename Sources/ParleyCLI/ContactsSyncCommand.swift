import ArgumentParser
import Foundation
import ParleyContacts
import ParleyRelay
import ParleySecurity

/// `parley contacts rotate NAME_OR_ID`: starts a rotation of one contact's root.
struct RotateContact: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Rotate a contact's keys: agree on a fresh contact root with them.",
        discussion: """
            Sends the contact, through the relay, a rotation request sealed under the \
            current contact key: a fresh X25519 key and a random 32-byte secret. Their \
            `parley contacts sync` answers with theirs; your next sync switches to the new \
            key (index + 1), and each side wipes the old key once it sees the other use the \
            new one. Until the answer arrives both sides keep using the current key.

            Example:
              parley contacts rotate Bob
              parley contacts rotate 1a2b3c4d
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Argument(help: ArgumentHelp(
        "The contact: the short id `parley contacts list` prints, or its display name.", valueName: "NAME_OR_ID"))
    var contact: String

    func run() throws {
        logging.bootstrap()
        let store = try ProfileStore()
        _ = try store.load()
        let contacts = ContactBook.store(in: store.directory)
        var book: ContactBook = try contacts.load()
        let index = try book.resolve(contact)
        let replacing = book.contacts[index].rotation != nil
        let envelope = try book.startRotation(contact: index, directory: store.directory)
        // Saved first: a request that never leaves is harmless (run it again), one that
        // leaves without our secrets would be answered in vain.
        try contacts.save(book)
        let entry = book.contacts[index]
        try RelayExchange.deposit(envelope)
        let to = entry.currentKeyIndex + 1
        if replacing { print("Replaced your earlier rotation request.") }
        print("Asked \(RelayExchange.label(entry)) to rotate to key \(to) (now key \(entry.currentKeyIndex)), through \(entry.relayHint).")
        print("Next: they run `parley contacts sync`, then you run `parley contacts sync`.")
    }
}

extension RelayExchange {
    /// "1a2b3c4d Bob" (or the short id alone when the name is unknown).
    static func label(_ contact: ContactBook.Contact) -> String {
        contact.displayName.map { "\(contact.shortID) \($0)" } ?? contact.shortID
    }

    /// Drops expired pending entries (saving the book), says how many.
    static func prune(_ book: inout ContactBook, store: EncryptedStore) throws {
        let dropped = book.pruneExpired()
        guard dropped.invitations + dropped.acceptances > 0 else { return }
        try store.save(book)
        print("Dropped \(dropped.invitations) expired invitation(s) and \(dropped.acceptances) expired acceptance(s); their mailboxes are no longer polled.")
    }

    /// `parley contacts list`.
    static func list(store: ProfileStore) throws {
        let contacts = ContactBook.store(in: store.directory)
        var book: ContactBook = try contacts.load()
        try prune(&book, store: contacts)
        let formatter = ISO8601DateFormatter()
        print(book.contacts.count == 1 ? "1 contact" : "\(book.contacts.count) contacts")
        let policy = try ContactPolicyNotes(store: store)
        for contact in book.contacts {
            let how = contact.role == .inviter ? "you invited them" : "they invited you"
            let since = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(contact.established)))
            var key = "key \(contact.currentKeyIndex)"
            if let slot = contact.secondKey {
                key += slot.keyIndex > contact.currentKeyIndex
                    ? " (key \(slot.keyIndex) ready, waiting for them)"
                    : " (key \(slot.keyIndex) kept until they switch)"
            } else if let rotation = contact.rotation {
                key += " (rotation to key \(rotation.keyIndex) requested)"
            }
            print("  \(contact.shortID)  \(contact.displayName ?? "(name unknown)")  \(key), \(how), established \(since), relay \(contact.relayHint)")
            for note in policy.notes(for: contact) { print("      \(note)") }
        }
        if !book.pendingInvitations.isEmpty || !book.pendingAcceptances.isEmpty {
            print("Pending: \(book.pendingInvitations.count) invitation(s) not yet accepted, \(book.pendingAcceptances.count) acceptance(s) waiting for the inviter; run `parley contacts sync`.")
        }
    }

    static func describe(_ event: ContactReceipt.Event, _ contact: ContactBook.Contact) -> String {
        let who = label(contact)
        switch event {
        case .answered(let index):
            return "Key rotation: answered \(who)'s request; key \(index) is ready and used once they confirm (their next sync)."
        case .switched(let index):
            return "Key rotation: now using key \(index) with \(who)."
        case .previousKeyWiped(let index):
            return "Key rotation: \(who) switched too; old key \(index) wiped."
        case .ignoredPeerRequest(let index):
            return "Key rotation: \(who) asked to rotate to key \(index) too; your request (the inviter's) wins, theirs is ignored."
        case .droppedOwnRequest(let index):
            return "Key rotation: \(who) asked to rotate to key \(index) too; their request (the inviter's) wins, yours is dropped."
        case .staleAnswerIgnored(let index):
            return "Key rotation: \(who) answered an earlier request for key \(index); ignored (the newer request is pending)."
        }
    }

    /// Drains our mailboxes: answers acceptances (inviter), completes contacts from
    /// confirmations (acceptor), and carries out key rotations in established contacts'
    /// mailboxes. Expired pending entries are dropped first. Refused envelopes are dropped
    /// and reported as an error after everything else is done. Envelopes of other
    /// signaling sessions (calls) in a contact's mailbox are left for whoever handles them.
    static func sync(directory: String) throws {
        let contacts = ContactBook.store(in: directory)
        var book: ContactBook = try contacts.load()
        let name = try ProfileStore(directory: directory).load().displayName
        var problems: [String] = []
        var happened = 0
        try prune(&book, store: contacts)

        for entry in try book.inviterMailboxes() {
            let fetched = try fetch(hint: entry.relayHint, mailbox: entry.mailbox, key: RelayClaimKey(entry.claimKey))
            var done: [UInt64] = []
            for envelope in fetched.2 {
                done.append(envelope.id)
                var next = book
                let confirmation: OutgoingEnvelope
                do {
                    confirmation = try next.receiveAcceptance(envelope.bytes, inMailbox: entry.mailbox, displayName: name)
                } catch {
                    problems.append(error.description)
                    continue
                }
                try deposit(confirmation)
                try contacts.save(next)
                book = next
                happened += 1
                print("Contact established: \(book.contacts.last.map(label) ?? "?") accepted your invitation.")
            }
            try ack(fetched.0, fetched.1, done)
        }

        for entry in try book.acceptorMailboxes() {
            let fetched = try fetch(hint: entry.relayHint, mailbox: entry.mailbox, key: RelayClaimKey(entry.claimKey))
            var done: [UInt64] = []
            for envelope in fetched.2 {
                done.append(envelope.id)
                var next = book
                do {
                    try next.receiveConfirmation(envelope.bytes, inMailbox: entry.mailbox)
                } catch {
                    problems.append(error.description)
                    continue
                }
                try contacts.save(next)
                book = next
                happened += 1
                print("Contact established: \(book.contacts.last.map(label) ?? "?") confirmed.")
            }
            try ack(fetched.0, fetched.1, done)
        }

        for entry in try book.contactMailboxes() {
            let fetched = try fetch(hint: entry.relayHint, mailbox: entry.mailbox, key: RelayClaimKey(entry.claimKey))
            var done: [UInt64] = []
            for envelope in fetched.2 where book.isControlEnvelope(envelope.bytes, fromContact: entry.contact) {
                done.append(envelope.id)
                var next = book
                let receipt: ContactReceipt
                do {
                    receipt = try next.receive(envelope.bytes, fromContact: entry.contact, directory: directory)
                } catch {
                    switch error {
                    case .invitationAlreadyAccepted, .invalidAcceptance:
                        problems.append(error.description)  // someone's acceptance, not the contact's
                    default:
                        problems.append("\(label(book.contacts[entry.contact])): \(error.description)")
                    }
                    continue
                }
                // Saved before the answers leave: if a deposit fails, the peer can ask
                // again; an answer sent without our state saved could not be completed.
                try contacts.save(next)
                book = next
                let contact = book.contacts[entry.contact]
                for event in receipt.events { print(describe(event, contact)) }
                if let message = receipt.message {
                    print("Dropped a \(message.kind) message from \(label(contact)) on the control session (nothing handles it).")
                }
                happened += 1
                do {
                    for reply in receipt.replies { try deposit(reply) }
                } catch {
                    try? ack(fetched.0, fetched.1, done)
                    throw error
                }
            }
            try ack(fetched.0, fetched.1, done)
        }

        if !problems.isEmpty {
            throw CLIError.failed(problems.joined(separator: "; "))
        }
        if happened == 0 {
            print("Nothing new: \(book.pendingInvitations.count) invitation(s) and \(book.pendingAcceptances.count) acceptance(s) pending.")
        }
    }
}
