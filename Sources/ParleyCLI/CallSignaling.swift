import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// The signaling of one call with one contact, through the contact's relay: sealed
/// envelopes deposited into the peer's mailbox and fetched from ours (claimed once, on one
/// connection kept for the call). Everything runs on the caller's thread.
final class CallSignaling {
    let contactIndex: Int
    let contact: ContactBook.Contact
    let channel: SignalingChannel
    let callID: [UInt8]
    private let relay: RelaySession
    private let ourMailbox: MailboxID
    private let peerMailbox: MailboxID
    private(set) var deposits = 0

    /// Connects to the contact's relay and claims our mailbox for it.
    static func connect(contact: ContactBook.Contact, claimKey: Ed25519.KeyPair) throws -> (RelaySession, MailboxID, MailboxID) {
        let (host, port) = try RelayExchange.endpoint(contact.relayHint)
        guard let ours = MailboxID(hex: contact.mailbox), let theirs = MailboxID(hex: contact.peerMailbox) else {
            throw CLIError.failed("the contact's mailbox ids are damaged; exchange invitations again")
        }
        let session = RelaySession(host: host, port: port, retry: RelayExchange.retry)
        let key = RelayClaimKey(claimKey)
        do {
            try RelayExchange.blocking { try await session.claim(mailbox: ours, key: key) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        return (session, ours, theirs)
    }

    init(contactIndex: Int, contact: ContactBook.Contact, channel: SignalingChannel, relay: RelaySession,
         ourMailbox: MailboxID, peerMailbox: MailboxID) {
        self.contactIndex = contactIndex
        self.contact = contact
        self.channel = channel
        callID = channel.sessionID
        self.relay = relay
        self.ourMailbox = ourMailbox
        self.peerMailbox = peerMailbox
    }

    /// Deposits a sealed envelope for the peer (short TTL: call signaling is stale in minutes).
    func send(_ envelope: [UInt8]) throws {
        let relay = self.relay, mailbox = peerMailbox
        do {
            try RelayExchange.blocking { _ = try await relay.deposit(mailbox: mailbox, envelope: envelope, ttl: 120) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        deposits += 1
    }

    func send(_ message: SignalingMessage) throws { try send(try channel.seal(message)) }

    /// This call's envelopes in our mailbox (acknowledged: they are gone from the relay).
    /// Other calls' envelopes stay for whoever handles them.
    func receive() throws -> [[UInt8]] {
        let relay = self.relay, mailbox = ourMailbox
        let envelopes: [RelayEnvelope]
        do {
            envelopes = try RelayExchange.blocking { try await relay.fetch(mailbox: mailbox) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        let mine = envelopes.filter { (try? CallSetup.callID(ofEnvelope: $0.bytes)) == callID }
        let ids = mine.map(\.id)
        if !ids.isEmpty { try? RelayExchange.blocking { try await relay.ack(mailbox: mailbox, ids: ids) } }
        return mine.map(\.bytes)
    }

    func close() {
        let relay = self.relay
        try? RelayExchange.blocking { await relay.close() }
    }
}
