import ArgumentParser
import Foundation
import ParleyContacts
import ParleyRelay
import ParleySecurity

/// `parley accept URI`: answers an invitation through the relay it names.
struct AcceptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept",
        abstract: "Accept an invitation: answer it through the relay it names.",
        discussion: """
            Checks the invitation (signature, expiry), makes fresh per-contact keys and a \
            secret contribution sealed to the inviter, and leaves that answer in the \
            invitation's mailbox at its relay. The inviter's `parley contacts sync` picks it \
            up and answers; your `parley contacts sync` then completes the contact.

            Example:
              parley accept parley:AQ...
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Argument(help: ArgumentHelp("The parley: URI of the invitation.", valueName: "URI"))
    var uri: String

    @Option(name: .long, help: ArgumentHelp(
        "A supervised profile: your guardian's approval of this contact (see `parley contacts approve`).", valueName: "APPROVAL"))
    var approval: String?

    func run() throws {
        logging.bootstrap()
        let store = try ProfileStore()
        let profile = try store.load()
        let contacts = ContactBook.store(in: store.directory)
        var book: ContactBook = try contacts.load()
        let invitation = try Invitation.parse(uri: uri.trimmingCharacters(in: .whitespacesAndNewlines))
        let outgoing = try book.accept(uri: invitation.uri, displayName: profile.displayName)
        let guardianApproval = try SupervisedAccept.approval(for: invitation, given: approval, store: store)
        if let guardianApproval { book.attachApproval(guardianApproval, toAcceptanceOf: invitation) }
        let remaining = max(60, min(Int64(24 * 3600), invitation.expiry - Int64(Date().timeIntervalSince1970)))
        try RelayExchange.deposit(outgoing, ttl: UInt32(remaining))
        try contacts.save(book)
        print("Accepted invitation \(RelayExchange.shortID(invitation.invitationID)); the answer is waiting at \(invitation.relayHint).")
        print("Next: once the inviter has run `parley contacts sync`, run `parley contacts sync` to finish.")
    }
}

/// `parley contacts`: list and sync contacts.
struct ContactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contacts",
        abstract: "List your contacts, sync them through the relay, or rotate a contact's keys.",
        subcommands: [ListContacts.self, SyncContacts.self, RotateContact.self] + policySubcommands,
        defaultSubcommand: ListContacts.self
    )

    struct ListContacts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Print your contacts: short id, name, key index (never their keys).")
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            _ = try store.load()
            try RelayExchange.list(store: store)
        }
    }

    struct SyncContacts: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sync",
            abstract: "Fetch acceptances, confirmations and key rotations from the relay and complete them.")
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            _ = try store.load()
            try RelayExchange.sync(directory: store.directory)
        }
    }
}

/// The network half of the exchange: relay I/O around `ContactBook`'s steps.
enum RelayExchange {
    static func shortID(_ bytes: [UInt8]) -> String {
        bytes.prefix(4).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    static func endpoint(_ hint: String) throws -> (host: String, port: Int) {
        guard let colon = hint.lastIndex(of: ":"), let port = Int(hint[hint.index(after: colon)...]),
              (1...65535).contains(port), colon > hint.startIndex
        else { throw CLIError.failed("the relay hint '\(hint)' is not HOST:PORT; ask for a new invitation") }
        var host = String(hint[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = RelayBox<Result<T, Error>>()
        let semaphore = DispatchSemaphore(value: 0)
        Task {
            do { box.value = .success(try await body()) } catch { box.value = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.value!.get()
    }

    static func contactID(_ book: ContactBook) -> String {
        shortID(Array(Data(base64Encoded: book.contacts.last?.id ?? "") ?? Data()))
    }

    static func relayFailure(_ hint: String, _ error: Error) -> CLIError {
        CLIError.failed("the relay at \(hint) did not answer (\(error)); check that `parley relay` runs there and try again")
    }

    /// The commands' reconnect policy: a dropped connection or a relay restart is retried
    /// (re-claiming, deposits deduplicated by their id) for up to 4 tries within 10 s, so
    /// a relay that is simply down is reported within about a second.
    static var retry: RelaySession.Retry {
        var retry = RelaySession.Retry()
        retry.attempts = 4
        retry.initialDelay = 0.1
        retry.maxDelay = 1
        retry.deadline = 10
        return retry
    }

    static func deposit(_ envelope: OutgoingEnvelope, ttl: UInt32 = 24 * 3600) throws {
        let (host, port) = try endpoint(envelope.relayHint)
        guard let mailbox = MailboxID(bytes: envelope.mailbox) else { throw CLIError.failed("bad mailbox id") }
        let bytes = envelope.bytes
        do {
            try blocking {
                let session = RelaySession(host: host, port: port, retry: retry)
                do { _ = try await session.deposit(mailbox: mailbox, envelope: bytes, ttl: ttl) } catch {
                    await session.close()
                    throw error
                }
                await session.close()
            }
        } catch { throw relayFailure(envelope.relayHint, error) }
    }

    /// One claimed mailbox: its envelopes, and a way to acknowledge them.
    static func fetch(hint: String, mailbox bytes: [UInt8], key: RelayClaimKey) throws -> (RelaySession, MailboxID, [RelayEnvelope]) {
        let (host, port) = try endpoint(hint)
        guard let mailbox = MailboxID(bytes: bytes) else { throw CLIError.failed("bad mailbox id") }
        do {
            return try blocking {
                let session = RelaySession(host: host, port: port, retry: retry)
                do {
                    try await session.claim(mailbox: mailbox, key: key)
                    return (session, mailbox, try await session.fetch(mailbox: mailbox))
                } catch {
                    await session.close()
                    throw error
                }
            }
        } catch { throw relayFailure(hint, error) }
    }

    static func ack(_ client: RelaySession, _ mailbox: MailboxID, _ ids: [UInt64]) throws {
        try blocking {
            if !ids.isEmpty { try await client.ack(mailbox: mailbox, ids: ids) }
            await client.close()
        }
    }
}
