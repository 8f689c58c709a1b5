import Foundation
import ParleySecurity

/// What the profile keeps about its correspondents, encrypted at rest in
/// `contacts.store` (AEAD under the profile's key file `store.key`): the pending
/// invitations with their per-contact secrets, the acceptances waiting for the inviter's
/// confirmation, and the established contacts. Secrets are base64 inside the encrypted
/// store; a store written before `contacts` existed still decodes.
public struct ContactBook: Codable, Equatable, Sendable {
    /// An invitation this profile gave out and its secrets (base64), until it is accepted or expires.
    public struct PendingInvitation: Codable, Equatable, Sendable {
        public var invitationID: String
        public var uri: String
        public var expiry: Int64
        public var signingSecretKey: String
        public var agreementPrivateKey: String
        public var contribution: String
    }

    /// An invitation this profile accepted, waiting for the inviter's confirmation.
    public struct PendingAcceptance: Codable, Equatable, Sendable {
        public var invitationID: String
        public var uri: String
        public var signingSecretKey: String
        public var agreementPrivateKey: String
        public var contribution: String
        /// The acceptance as sent (base64).
        public var acceptance: String
        /// Our mailbox (hex), where the confirmation arrives.
        public var mailbox: String
        /// A supervised profile's guardian approval of this contact (`parley-approval:` text);
        /// it moves to the contact. Absent in older stores.
        public var approval: String? = nil
    }

    /// Which side of the invitation we were.
    public enum Role: String, Codable, Equatable, Sendable {
        case inviter, acceptor
    }

    /// An established contact.
    ///
    /// Fields added later are optional, so stores written before them still decode:
    /// `keyIndex` nil means 0, the others nil mean "none".
    public struct Contact: Codable, Equatable, Sendable {
        /// The invitation id (base64), which names the contact.
        public var id: String
        /// The contact's display name, from its sealed acceptance or confirmation (nil for
        /// contacts made by a Parley that did not exchange names).
        public var displayName: String?
        public var role: Role
        public var invitationURI: String
        public var relayHint: String
        /// Our per-contact keys (base64).
        public var signingSecretKey: String
        public var agreementPrivateKey: String
        /// The peer's per-contact public keys (base64).
        public var peerSigningKey: String
        public var peerAgreementKey: String
        /// The current contact root (base64), with index `keyIndex`.
        public var root: String
        /// Our mailbox and the peer's (hex).
        public var mailbox: String
        public var peerMailbox: String
        public var established: Int64
        /// The index of `root`: 0 at first, +1 per completed rotation (`ContactRotation`).
        public var keyIndex: UInt32?
        /// The highest sequence number received from the peer on the control session
        /// under `root` (a persisted replay floor); nil for none yet.
        public var receivedThrough: UInt64?
        /// The second key slot during a rotation: the next root (index + 1) after we
        /// answered the peer's request, or the previous root (index − 1) after we switched
        /// on the peer's answer, until the peer is seen to have switched too.
        public var secondKey: KeySlot?
        /// Our rotation request, until the peer answers it.
        public var rotation: PendingRotation?
        /// A supervised profile's guardian approval of this contact (`parley-approval:` text);
        /// nil while it awaits one. Absent in older stores.
        public var approval: String? = nil
        /// True once the profile blocked this contact (see `isBlocked`). Absent in older stores.
        public var blocked: Bool? = nil
        /// What the contact's device can run (`SignalingCapabilities`), learned in the
        /// sealed acceptance or confirmation; nil if unknown (older exchanges).
        public var peerCapabilities: UInt8? = nil
    }

    /// A contact root besides the current one (base64), with its index and replay floor.
    public struct KeySlot: Codable, Equatable, Sendable {
        public var root: String
        public var keyIndex: UInt32
        public var receivedThrough: UInt64
    }

    /// A rotation we started: our fresh X25519 private key and contribution (base64) for
    /// the proposed key index, kept until the peer's answer arrives.
    public struct PendingRotation: Codable, Equatable, Sendable {
        public var keyIndex: UInt32
        public var agreementPrivateKey: String
        public var contribution: String
        public var started: Int64
    }

    public var pendingInvitations: [PendingInvitation] = []
    public var pendingAcceptances: [PendingAcceptance] = []
    public var contacts: [Contact] = []

    public init() {}

    enum CodingKeys: String, CodingKey { case pendingInvitations, pendingAcceptances, contacts }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pendingInvitations = try container.decodeIfPresent([PendingInvitation].self, forKey: .pendingInvitations) ?? []
        pendingAcceptances = try container.decodeIfPresent([PendingAcceptance].self, forKey: .pendingAcceptances) ?? []
        contacts = try container.decodeIfPresent([Contact].self, forKey: .contacts) ?? []
    }

    public static let storeFileName = "contacts.store"
    public static let keyFileName = "store.key"

    /// The environment variable holding the passphrase of a passphrase-locked store.
    public static let passphraseVariable = "PARLEY_PASSPHRASE"

    /// The encrypted store of the profile in `directory`: locked with the key file
    /// `store.key` when the profile has one (the default), else with the passphrase in
    /// `$PARLEY_PASSPHRASE` (Argon2id, `crypto_pwhash`; the CLI asks for it in a terminal).
    public static func store(
        in directory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> EncryptedStore {
        let path = DurableFile.join(directory, storeFileName)
        let keyFile = DurableFile.join(directory, keyFileName)
        if !DurableFile.exists(keyFile), let passphrase = environment[passphraseVariable], !passphrase.isEmpty {
            return EncryptedStore(path: path, key: .passphrase(passphrase))
        }
        return EncryptedStore(path: path, key: .keyFile(path: keyFile))
    }

    /// True if the profile in `directory` has a contact store locked with a passphrase
    /// (a store and no key file).
    public static func isPassphraseLocked(in directory: String) -> Bool {
        DurableFile.exists(DurableFile.join(directory, storeFileName))
            && !DurableFile.exists(DurableFile.join(directory, keyFileName))
    }

    /// Creates an empty book for a new profile, locked with a new key file, or with
    /// `passphrase` (at least 8 characters) when one is given.
    public static func create(in directory: String, passphrase: String? = nil) throws(ContactsError) {
        if let passphrase {
            guard passphrase.count >= 8 else {
                throw ContactsError.other("the passphrase is too short; use at least 8 characters (a few words is best)")
            }
            try EncryptedStore(path: DurableFile.join(directory, storeFileName), key: .passphrase(passphrase)).save(ContactBook())
            return
        }
        try EncryptedStore.createKeyFile(at: DurableFile.join(directory, keyFileName))
        try store(in: directory).save(ContactBook())
    }

    /// Records a new invitation and its secrets.
    public mutating func add(_ invitation: Invitation, secrets: InvitationSecrets) {
        pendingInvitations.append(PendingInvitation(
            invitationID: b64(invitation.invitationID), uri: invitation.uri,
            expiry: invitation.expiry, signingSecretKey: b64(secrets.signingKeyPair.secretKey),
            agreementPrivateKey: b64(secrets.agreementKeyPair.privateKey), contribution: b64(secrets.contribution)))
    }
}

// MARK: - The exchange, without the network

/// A message to put into a relay mailbox.
public struct OutgoingEnvelope: Equatable, Sendable {
    public var mailbox: [UInt8]
    public var bytes: [UInt8]
    public var relayHint: String
}

extension ContactBook {
    /// Accepts the invitation in `uri`: checks it, makes the acceptance (sealing our
    /// `displayName` in it, if given), and records its secrets until the confirmation
    /// arrives. Returns the acceptance for the inviter's mailbox.
    ///
    /// - Throws: `.invalidInvitation`, `.invitationExpired`, or `.other` if this profile
    ///   already accepted it or made it, or for a display name `Profile.validate` refuses.
    public mutating func accept(
        uri: String, displayName: String? = nil, now: Date = Date()
    ) throws(ContactsError) -> OutgoingEnvelope {
        let invitation = try Invitation.parse(uri: uri, now: now)
        let id = b64(invitation.invitationID)
        guard !pendingInvitations.contains(where: { $0.invitationID == id }) else {
            throw ContactsError.other("this is your own invitation; give it to the person you want to add")
        }
        guard !contacts.contains(where: { $0.id == id }) else {
            throw ContactsError.other("you already accepted this invitation and the contact is established (`parley contacts list`)")
        }
        guard !pendingAcceptances.contains(where: { $0.invitationID == id }) else {
            throw ContactsError.other("you already accepted this invitation; run `parley contacts sync` to finish it")
        }
        let (acceptance, secrets) = try Acceptance.create(for: invitation, displayName: displayName, now: now)
        defer { secrets.wipe() }
        let mailbox = try ContactMailboxes.acceptor(
            invitationID: invitation.invitationID, acceptorSigningKey: acceptance.signingKey)
        pendingAcceptances.append(PendingAcceptance(
            invitationID: id, uri: uri, signingSecretKey: b64(secrets.signingKeyPair.secretKey),
            agreementPrivateKey: b64(secrets.agreementKeyPair.privateKey), contribution: b64(secrets.contribution),
            acceptance: b64(acceptance.encoded), mailbox: hex(mailbox)))
        return OutgoingEnvelope(
            mailbox: try ContactMailboxes.inviter(invitationID: invitation.invitationID), bytes: acceptance.encoded,
            relayHint: invitation.relayHint)
    }

    /// The inviter's mailboxes to drain for acceptances, with the per-contact key that
    /// claims each: those of pending invitations. (The mailboxes of established contacts,
    /// where replayed acceptances and signaling land, are in `contactMailboxes()`.)
    public func inviterMailboxes() throws(ContactsError) -> [(mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] {
        var result: [(mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] = []
        for pending in pendingInvitations {
            let invitation = try restoreInvitation(pending.uri)
            result.append((try ContactMailboxes.inviter(invitationID: invitation.invitationID), invitation.relayHint,
                           try signingKeyPair(pending.signingSecretKey)))
        }
        return result
    }

    /// The mailboxes of established contacts (`Contact.mailbox`: the one each side drained
    /// during the exchange, so it is claimed with the same per-contact Ed25519 key,
    /// `Contact.signingSecretKey`), where the peer's signaling envelopes arrive (and, for
    /// contacts we invited, replayed acceptances). Pass each envelope to `receive(_:fromContact:directory:)`.
    public func contactMailboxes() throws(ContactsError) -> [(contact: Int, mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] {
        var result: [(contact: Int, mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] = []
        for (index, contact) in contacts.enumerated() {
            result.append((index, try unhex(contact.mailbox), contact.relayHint, try signingKeyPair(contact.signingSecretKey)))
        }
        return result
    }

    /// The acceptor's mailboxes to drain (pending acceptances), with their claim keys.
    public func acceptorMailboxes() throws(ContactsError) -> [(mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] {
        var result: [(mailbox: [UInt8], relayHint: String, claimKey: Ed25519.KeyPair)] = []
        for pending in pendingAcceptances {
            let invitation = try restoreInvitation(pending.uri)
            result.append((try unhex(pending.mailbox), invitation.relayHint, try signingKeyPair(pending.signingSecretKey)))
        }
        return result
    }

    /// The inviter's side: opens an acceptance found in the mailbox `mailbox`, makes the
    /// confirmation, and turns the pending invitation into a contact.
    ///
    /// The confirmation carries our `displayName` (sealed) unless the acceptance came from
    /// a Parley that does not exchange names; the contact gets the acceptor's name. Nothing
    /// changes unless everything checks out.
    ///
    /// - Throws: `.invitationAlreadyAccepted` for a second acceptance of an invitation
    ///   (a replay), `.invalidAcceptance` (also for a display name that `Profile.validate`
    ///   refuses), `.invitationExpired`.
    public mutating func receiveAcceptance(
        _ bytes: [UInt8], inMailbox mailbox: [UInt8], displayName: String? = nil, now: Date = Date()
    ) throws(ContactsError) -> OutgoingEnvelope {
        let mailboxHex = hex(mailbox)
        if let contact = contacts.first(where: { $0.role == .inviter && $0.mailbox == mailboxHex }) {
            // Check it as an acceptance (so garbage is reported as such), then refuse it as a replay.
            let invitation = try restoreInvitation(contact.invitationURI)
            let secrets = InvitationSecrets(
                invitationID: invitation.invitationID, signingKeyPair: try signingKeyPair(contact.signingSecretKey),
                agreementKeyPair: try agreementKeyPair(contact.agreementPrivateKey),
                contribution: SecretBytes(copying: [UInt8](repeating: 0, count: ContactRoot.contributionLength)))
            defer { secrets.wipe() }
            _ = try Acceptance.open(
                bytes, invitationSecrets: secrets, invitation: invitation,
                acceptedInvitationIDs: [invitation.invitationID], now: Date(timeIntervalSince1970: 0))
            throw ContactsError.invitationAlreadyAccepted
        }
        var found: Int?
        for (index, pending) in pendingInvitations.enumerated() {
            let invitation = try restoreInvitation(pending.uri)
            if bytesEqual(try ContactMailboxes.inviter(invitationID: invitation.invitationID), mailbox) { found = index }
        }
        guard let index = found else { throw ContactsError.invalidAcceptance("it arrived in no mailbox of ours") }
        let pending = pendingInvitations[index]
        let invitation = try restoreInvitation(pending.uri)
        let secrets = InvitationSecrets(
            invitationID: invitation.invitationID, signingKeyPair: try signingKeyPair(pending.signingSecretKey),
            agreementKeyPair: try agreementKeyPair(pending.agreementPrivateKey),
            contribution: SecretBytes(copying: try unb64(pending.contribution)))
        defer { secrets.wipe() }
        let opened = try Acceptance.open(bytes, invitationSecrets: secrets, invitation: invitation, now: now)
        defer { opened.contribution.wipe() }
        let confirmation = try Confirmation.create(
            invitation: invitation, secrets: secrets, acceptance: opened, displayName: displayName)
        let root = try ContactRoot.deriveForInviter(invitation: invitation, secrets: secrets, acceptance: opened)
        defer { root.wipe() }
        let peerMailbox = try ContactMailboxes.acceptor(
            invitationID: invitation.invitationID, acceptorSigningKey: opened.signingKey)
        contacts.append(Contact(
            id: pending.invitationID, displayName: opened.displayName, role: .inviter, invitationURI: pending.uri,
            relayHint: invitation.relayHint, signingSecretKey: pending.signingSecretKey,
            agreementPrivateKey: pending.agreementPrivateKey, peerSigningKey: b64(opened.signingKey),
            peerAgreementKey: b64(opened.agreementKey), root: b64(root), mailbox: mailboxHex,
            peerMailbox: hex(peerMailbox), established: unixSeconds(now.timeIntervalSince1970)))
        contacts[contacts.count - 1].peerCapabilities = opened.capabilities
        pendingInvitations.remove(at: index)
        return OutgoingEnvelope(mailbox: peerMailbox, bytes: confirmation, relayHint: invitation.relayHint)
    }

    /// The acceptor's side: opens the inviter's confirmation found in `mailbox` and turns
    /// the pending acceptance into a contact.
    public mutating func receiveConfirmation(
        _ bytes: [UInt8], inMailbox mailbox: [UInt8], now: Date = Date()
    ) throws(ContactsError) {
        let mailboxHex = hex(mailbox)
        guard let index = pendingAcceptances.firstIndex(where: { $0.mailbox == mailboxHex }) else {
            throw ContactsError.invalidAcceptance("a confirmation arrived in no mailbox of ours")
        }
        let pending = pendingAcceptances[index]
        let invitation = try restoreInvitation(pending.uri)
        let signing = try signingKeyPair(pending.signingSecretKey)
        let agreement = try agreementKeyPair(pending.agreementPrivateKey)
        defer {
            signing.secretKey.wipe()
            agreement.privateKey.wipe()
        }
        let (inviterContribution, inviterName, inviterCapabilities) = try Confirmation.open(
            bytes, invitation: invitation, acceptorSigningKey: signing.publicKey,
            acceptorAgreementPrivateKey: agreement.privateKey, acceptorAgreementKey: agreement.publicKey)
        defer { inviterContribution.wipe() }
        let ownContribution = SecretBytes(copying: try unb64(pending.contribution))
        defer { ownContribution.wipe() }
        let root = try ContactRoot.derive(
            ownAgreementPrivateKey: agreement.privateKey, peerAgreementKey: invitation.agreementKey,
            invitationID: invitation.invitationID, inviterContribution: inviterContribution,
            acceptorContribution: ownContribution, inviterSigningKey: invitation.signingKey,
            inviterAgreementKey: invitation.agreementKey, acceptorSigningKey: signing.publicKey,
            acceptorAgreementKey: agreement.publicKey)
        defer { root.wipe() }
        contacts.append(Contact(
            id: pending.invitationID, displayName: inviterName, role: .acceptor, invitationURI: pending.uri,
            relayHint: invitation.relayHint, signingSecretKey: pending.signingSecretKey,
            agreementPrivateKey: pending.agreementPrivateKey, peerSigningKey: b64(invitation.signingKey),
            peerAgreementKey: b64(invitation.agreementKey), root: b64(root), mailbox: mailboxHex,
            peerMailbox: hex(try ContactMailboxes.inviter(invitationID: invitation.invitationID)),
            established: unixSeconds(now.timeIntervalSince1970)))
        contacts[contacts.count - 1].approval = pending.approval
        contacts[contacts.count - 1].peerCapabilities = inviterCapabilities
        pendingAcceptances.remove(at: index)
    }

    /// How long after its invitation's expiry a pending acceptance is kept: the inviter
    /// confirms only before the expiry, and the relay keeps a confirmation this long
    /// (`parley contacts sync` deposits it with a 24-hour time to live).
    public static let confirmationGrace: Int64 = 24 * 3600

    /// Drops pending invitations that expired at `now` (the inviter refuses acceptances
    /// after the expiry, so their mailboxes need no more polling) and pending acceptances
    /// whose invitation expired more than `confirmationGrace` ago (no confirmation can
    /// arrive any more). Returns how many of each were dropped.
    @discardableResult
    public mutating func pruneExpired(now: Date = Date()) -> (invitations: Int, acceptances: Int) {
        let seconds = unixSeconds(now.timeIntervalSince1970)
        let invitations = pendingInvitations.count
        pendingInvitations.removeAll { seconds >= $0.expiry }
        let acceptances = pendingAcceptances.count
        pendingAcceptances.removeAll { pending in
            // An entry whose invitation no longer parses is kept: it is reported elsewhere.
            guard let invitation = try? restoreInvitation(pending.uri) else { return false }
            let (limit, overflow) = invitation.expiry.addingReportingOverflow(Self.confirmationGrace)
            return !overflow && seconds >= limit
        }
        return (invitations - pendingInvitations.count, acceptances - pendingAcceptances.count)
    }

    /// Drops expired pending invitations and acceptances (see `pruneExpired`); returns how
    /// many in all.
    @discardableResult
    public mutating func dropExpired(now: Date = Date()) -> Int {
        let dropped = pruneExpired(now: now)
        return dropped.invitations + dropped.acceptances
    }
}

// MARK: - Encoding helpers

func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
func b64(_ secret: SecretBytes) -> String { Data(secret.copyBytes()).base64EncodedString() }

func unb64(_ text: String) throws(ContactsError) -> [UInt8] {
    guard let data = Data(base64Encoded: text) else {
        throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a key is not valid base64")
    }
    return Array(data)
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

func unhex(_ text: String) throws(ContactsError) -> [UInt8] {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else {
        throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a mailbox id is not hex")
    }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: chars.count, by: 2) {
        guard let byte = UInt8(String(decoding: chars[index...index + 1], as: UTF8.self), radix: 16) else {
            throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a mailbox id is not hex")
        }
        bytes.append(byte)
    }
    return bytes
}

/// An invitation stored by us, read back without the expiry check (the callers check it).
func restoreInvitation(_ uri: String) throws(ContactsError) -> Invitation {
    try Invitation.parse(uri: uri, now: Date(timeIntervalSince1970: 0))
}

func signingKeyPair(_ secretKey: String) throws(ContactsError) -> Ed25519.KeyPair {
    var bytes = try unb64(secretKey)
    defer { wipeBytes(&bytes) }
    guard bytes.count == Ed25519.secretKeyLength else {
        throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a signing key has the wrong length")
    }
    let seed = SecretBytes(copying: Array(bytes[..<Ed25519.seedLength]))
    defer { seed.wipe() }
    return try contactsSecurity("restoring a per-contact key") { () throws(SecurityError) in try Ed25519.keyPair(seed: seed) }
}

func agreementKeyPair(_ privateKey: String) throws(ContactsError) -> X25519.KeyPair {
    var bytes = try unb64(privateKey)
    defer { wipeBytes(&bytes) }
    let secret = SecretBytes(copying: bytes)
    return try contactsSecurity("restoring a per-contact key") { () throws(SecurityError) in
        try X25519.keyPair(privateKey: secret)
    }
}
