#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ParleySecurity

/// Rotation of a contact root (design.md, "Keys": "Secrets rotate (two slots, switched only
/// after the peer acknowledges)"). Everything travels as signaling messages on the
/// contact's control session (`ContactBook.controlSessionID`), sealed and signed by
/// `SignalingChannel`, through the relay mailboxes of the established contact.
///
/// The exchange, for a contact at key index `i` with root `R(i)` (A starts, B answers):
///
/// 1. A → B `rotate` under `R(i)`: a fresh X25519 public key and a random 32-byte
///    contribution for index `i + 1`. A keeps the private key and contribution
///    (`Contact.rotation`) and still seals under `R(i)`.
/// 2. B derives `R(i + 1)`, keeps it in its second slot (*next*), and answers
///    `rotateAck` under `R(i)` with its own fresh X25519 public key and contribution. B
///    still seals under `R(i)` and now opens under either index.
/// 3. A, on the answer, derives `R(i + 1)` and switches: it seals under `i + 1` from now
///    on, keeps `R(i)` in its second slot (*previous*) only to open what B sealed before
///    B switched, and sends `rotateDone` under `R(i + 1)`.
/// 4. B switches when it first opens anything under `i + 1` (normally that
///    `rotateDone`): `R(i + 1)` becomes current, `R(i)` is wiped, and B sends its own
///    `rotateDone` under `R(i + 1)`.
/// 5. A wipes `R(i)` when it first opens anything from B under `i + 1`.
///
/// So each side uses the new root only once the peer has acknowledged it (A after B's
/// answer, B after A's first message under it), never holds more than two roots, and an
/// answer that never arrives leaves both sides on `R(i)`, still talking.
///
///     R(i + 1) = HKDF-SHA256(ikm:  X25519(own rotation key, peer rotation key)
///                                  || initiator contribution || responder contribution,
///                            salt: R(i),
///                            info: "parley rotate v1" || i + 1 (u32 big-endian)
///                                  || inviter Ed25519 pk || acceptor Ed25519 pk)  → 32 bytes
///
/// Message bodies (inside the sealed envelope; `version` is 1):
///
///     rotate     version (1) | key index i + 1 (u32 BE) | X25519 pk (32) | contribution (32)
///     rotateAck  version (1) | key index i + 1 (u32 BE) | the request's X25519 pk (32)
///                | X25519 pk (32) | contribution (32)
///     rotateDone version (1) | key index i + 1 (u32 BE)
///
/// Simultaneous requests (both sides send `rotate` for the same index): the inviter's
/// wins. The inviter ignores the acceptor's request; the acceptor drops its own pending
/// request and answers the inviter's. A side that runs `parley contacts rotate` again
/// before the answer arrives replaces its request (the peer replaces its next slot; an
/// answer to the replaced request is ignored). Replays are refused by the persisted replay
/// floor of the control session, and stale requests and answers by their key index.
public enum ContactRotation {
    static let info = Array("parley rotate v1".utf8)
    static let bodyVersion: UInt8 = 1

    /// A `rotate` body.
    public struct Request: Equatable, Sendable {
        public var keyIndex: UInt32
        public var agreementKey: [UInt8]
        public var contribution: [UInt8]
        static let length = 1 + 4 + X25519.keyLength + ContactRoot.contributionLength

        public func encoded() -> [UInt8] {
            [ContactRotation.bodyVersion] + bigEndian(keyIndex) + agreementKey + contribution
        }

        public init(keyIndex: UInt32, agreementKey: [UInt8], contribution: [UInt8]) {
            self.keyIndex = keyIndex
            self.agreementKey = agreementKey
            self.contribution = contribution
        }

        public init(decoding body: [UInt8]) throws(ContactsError) {
            var reader = try ContactRotation.reader(body, length: Self.length, what: "request")
            keyIndex = try reader.uint32()
            agreementKey = try reader.take(X25519.keyLength, "key")
            contribution = try reader.take(ContactRoot.contributionLength, "contribution")
        }
    }

    /// A `rotateAck` body.
    public struct Answer: Equatable, Sendable {
        public var keyIndex: UInt32
        /// The X25519 key of the request this answers.
        public var requestKey: [UInt8]
        public var agreementKey: [UInt8]
        public var contribution: [UInt8]
        static let length = 1 + 4 + 2 * X25519.keyLength + ContactRoot.contributionLength

        public func encoded() -> [UInt8] {
            [ContactRotation.bodyVersion] + bigEndian(keyIndex) + requestKey + agreementKey + contribution
        }

        public init(keyIndex: UInt32, requestKey: [UInt8], agreementKey: [UInt8], contribution: [UInt8]) {
            self.keyIndex = keyIndex
            self.requestKey = requestKey
            self.agreementKey = agreementKey
            self.contribution = contribution
        }

        public init(decoding body: [UInt8]) throws(ContactsError) {
            var reader = try ContactRotation.reader(body, length: Self.length, what: "answer")
            keyIndex = try reader.uint32()
            requestKey = try reader.take(X25519.keyLength, "request key")
            agreementKey = try reader.take(X25519.keyLength, "key")
            contribution = try reader.take(ContactRoot.contributionLength, "contribution")
        }
    }

    /// A `rotateDone` body.
    public struct Done: Equatable, Sendable {
        public var keyIndex: UInt32
        static let length = 1 + 4

        public func encoded() -> [UInt8] { [ContactRotation.bodyVersion] + bigEndian(keyIndex) }

        public init(keyIndex: UInt32) { self.keyIndex = keyIndex }

        public init(decoding body: [UInt8]) throws(ContactsError) {
            var reader = try ContactRotation.reader(body, length: Self.length, what: "switch notice")
            keyIndex = try reader.uint32()
        }
    }

    static func reader(_ body: [UInt8], length: Int, what: String) throws(ContactsError) -> RotationReader {
        guard body.first == bodyVersion else {
            throw ContactsError.rotationRefused(
                "the \(what) is version \(body.first.map { String($0) } ?? "(empty)"); update Parley")
        }
        guard body.count == length else {
            throw ContactsError.rotationRefused("the \(what) has \(body.count) bytes instead of \(length)")
        }
        return RotationReader(bytes: body, offset: 1)
    }

    /// The next root (see the type's documentation).
    ///
    /// - Throws: `.rotationRefused` for a peer key that gives no shared secret (low order)
    ///   or inputs of the wrong length.
    public static func deriveRoot(
        current: SecretBytes, keyIndex: UInt32, ownAgreementPrivateKey: SecretBytes, peerAgreementKey: [UInt8],
        initiatorContribution: [UInt8], responderContribution: [UInt8],
        inviterSigningKey: [UInt8], acceptorSigningKey: [UInt8]
    ) throws(ContactsError) -> SecretBytes {
        guard current.count == ContactRoot.length, peerAgreementKey.count == X25519.keyLength,
            initiatorContribution.count == ContactRoot.contributionLength,
            responderContribution.count == ContactRoot.contributionLength,
            inviterSigningKey.count == Ed25519.publicKeyLength, acceptorSigningKey.count == Ed25519.publicKeyLength
        else {
            throw ContactsError.rotationRefused("a rotation input has the wrong length")
        }
        let shared: SecretBytes
        do {
            shared = try X25519.sharedSecret(privateKey: ownAgreementPrivateKey, publicKey: peerAgreementKey)
        } catch {
            throw ContactsError.rotationRefused("the peer's rotation key is unusable (\(error))")
        }
        defer { shared.wipe() }
        var ikm = shared.copyBytes() + initiatorContribution + responderContribution
        defer { wipeBytes(&ikm) }
        var salt = current.copyBytes()
        defer { wipeBytes(&salt) }
        var root = try contactsSecurity("deriving the rotated contact root") { () throws(SecurityError) in
            try HKDF.derive(
                ikm: ikm, salt: salt, info: info + bigEndian(keyIndex) + inviterSigningKey + acceptorSigningKey,
                length: ContactRoot.length)
        }
        defer { wipeBytes(&root) }
        return SecretBytes(copying: root)
    }
}

struct RotationReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func take(_ count: Int, _ what: String) throws(ContactsError) -> [UInt8] {
        guard bytes.count - offset >= count else { throw ContactsError.rotationRefused("the \(what) is cut short") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func uint32() throws(ContactsError) -> UInt32 {
        try take(4, "key index").reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
     UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

extension ContactBook.Contact {
    /// The root of key index `index`: the current one (`root`) or, during a rotation, the
    /// second slot's. A call keyed from the contact root should use the root of the key
    /// index its offer was sealed under (the callee: `SignalingChannel.lastOpenedKeyIndex`
    /// after opening the offer), so that both sides agree even while one has switched.
    ///
    /// - Throws: `.other` if this contact holds no root of that index.
    public func rootSecret(keyIndex index: UInt32) throws(ContactsError) -> SecretBytes {
        let text: String
        if index == currentKeyIndex {
            text = root
        } else if let slot = secondKey, slot.keyIndex == index {
            text = slot.root
        } else {
            throw ContactsError.other("this contact holds no key \(index) (it is at key \(currentKeyIndex))")
        }
        var bytes = try unb64(text)
        defer { wipeBytes(&bytes) }
        guard bytes.count == ContactRoot.length else {
            throw ContactsError.corruptStore(path: ContactBook.storeFileName, reason: "a contact root has the wrong length")
        }
        return SecretBytes(copying: bytes)
    }
}

// MARK: - Contacts: channels, rotation steps, incoming envelopes

/// What `ContactBook.receive` did with one envelope from a contact's mailbox.
public struct ContactReceipt: Sendable {
    /// A step of a key rotation, for the user.
    public enum Event: Equatable, Sendable {
        /// We answered the peer's request; the new root waits in our next slot.
        case answered(keyIndex: UInt32)
        /// We now seal under the new root of this index.
        case switched(keyIndex: UInt32)
        /// The previous root (this index) is wiped: the peer switched too.
        case previousKeyWiped(keyIndex: UInt32)
        /// Both sides asked at once; we are the inviter, so our request stands and theirs is ignored.
        case ignoredPeerRequest(keyIndex: UInt32)
        /// Both sides asked at once; the inviter's request wins, so ours was dropped and theirs answered.
        case droppedOwnRequest(keyIndex: UInt32)
        /// An answer to a request we replaced since; ignored.
        case staleAnswerIgnored(keyIndex: UInt32)
    }

    /// A message that is not part of a rotation (e.g. call signaling), for the caller.
    public var message: SignalingMessage?
    /// Envelopes to deposit, in order.
    public var replies: [OutgoingEnvelope] = []
    public var events: [Event] = []
}

extension ContactBook {
    /// The control session id of a contact (see `SignalingChannel`): the first 16 bytes of
    /// HKDF-SHA256(ikm: invitation id, info: "parley control session v1").
    public static func controlSessionID(contactID: [UInt8]) throws(ContactsError) -> [UInt8] {
        try contactsSecurity("deriving the control session id") { () throws(SecurityError) in
            try HKDF.derive(
                ikm: contactID, salt: [], info: Array("parley control session v1".utf8),
                length: SignalingEnvelopeHeader.sessionIDLength)
        }
    }

    /// Where the send sequence of one contact, key index and direction lives:
    /// `directory/signaling/<contact id hex>-<key index>-<direction>.seq` (direction 1:
    /// inviter → acceptor, 2: acceptor → inviter), mode 0600 in a 0700 directory.
    public static func sequencePath(directory: String, contactID: [UInt8], keyIndex: UInt32, direction: UInt8) -> String {
        DurableFile.join(DurableFile.join(directory, "signaling"), "\(hex(contactID))-\(keyIndex)-\(direction).seq")
    }

    /// A channel to the contact at `index` in `contacts`, from its stored keys: it seals
    /// under the current root (key index `keyIndex`) and also opens under the second slot
    /// during a rotation. Its send sequence is `sequencePath(directory: …)`, locked for the
    /// channel's lifetime (a second channel of the same contact and key, in this process or
    /// another, is refused with `.storage` until the first is released).
    ///
    /// - Parameters:
    ///   - sessionID: a call's session id; nil for the contact's control session, whose
    ///     replay floors come from the store (persist them back with
    ///     `SignalingChannel.highestReceived`; `receive` does).
    ///   - directory: the profile directory (`ProfileStore.directory`).
    ///   - algorithm: the AEAD to seal with; by default the contact's
    ///     `signalingAlgorithm` (the control session always seals with
    ///     XChaCha20-Poly1305; channels open either algorithm).
    public func signalingChannel(
        for index: Int, sessionID: [UInt8]? = nil, directory: String,
        algorithm: AEAD.Algorithm? = nil
    ) throws(ContactsError) -> SignalingChannel {
        guard contacts.indices.contains(index) else { throw ContactsError.other("no contact at index \(index)") }
        return try Self.makeChannel(
            contacts[index], sessionID: sessionID, directory: directory,
            algorithm: algorithm ?? contacts[index].signalingAlgorithm)
    }

    static func makeChannel(
        _ contact: Contact, sessionID: [UInt8]?, directory: String, algorithm: AEAD.Algorithm = .xChaCha20Poly1305
    ) throws(ContactsError) -> SignalingChannel {
        let contactID = try unb64(contact.id)
        let role: SignalingRole = contact.role == .inviter ? .inviter : .acceptor
        let control = sessionID == nil
        let session: [UInt8]
        if let sessionID { session = sessionID } else { session = try controlSessionID(contactID: contactID) }
        let root = SecretBytes(copying: try unb64(contact.root))
        let signing = try signingKeyPair(contact.signingSecretKey)
        let second = try contact.secondKey.map { (slot) throws(ContactsError) in
            SignalingKeySlot(
                root: SecretBytes(copying: try unb64(slot.root)), keyIndex: slot.keyIndex,
                receivedThrough: control ? slot.receivedThrough : 0)
        }
        let sequences = try SignalingSequenceStore(
            path: sequencePath(
                directory: directory, contactID: contactID, keyIndex: contact.currentKeyIndex,
                direction: role.sendDirection),
            exclusive: true)
        return try SignalingChannel(
            root: root, role: role, signingKey: signing.secretKey, peerSigningKey: try unb64(contact.peerSigningKey),
            sessionID: session, algorithm: control ? .xChaCha20Poly1305 : algorithm, sequences: sequences,
            keyIndex: contact.currentKeyIndex, receivedThrough: control ? (contact.receivedThrough ?? 0) : 0,
            second: second)
    }

    /// Starts a rotation of the contact at `index`: a fresh X25519 key pair and
    /// contribution, kept in `Contact.rotation`, and the `rotate` request sealed under the
    /// current root for the peer's mailbox. Running it again before the answer replaces the
    /// request.
    ///
    /// - Throws: `.rotationRefused` while a rotation is still finishing (a second slot
    ///   exists: sync first), `.storage` if the send sequence is in use or cannot be written.
    public mutating func startRotation(
        contact index: Int, directory: String, now: Date = Date()
    ) throws(ContactsError) -> OutgoingEnvelope {
        guard contacts.indices.contains(index) else { throw ContactsError.other("no contact at index \(index)") }
        var contact = contacts[index]
        if let slot = contact.secondKey {
            let which = slot.keyIndex > contact.currentKeyIndex
                ? "you answered their rotation to key \(slot.keyIndex) and wait for them to switch"
                : "you switched to key \(contact.currentKeyIndex) and wait for them to switch too"
            throw ContactsError.rotationRefused(
                "a rotation is still finishing (\(which)); run `parley contacts sync` (they must sync too), then try again")
        }
        guard contact.currentKeyIndex < UInt32.max else {
            throw ContactsError.rotationRefused("this contact's key index is exhausted; re-add the contact")
        }
        let newIndex = contact.currentKeyIndex + 1
        let agreement = try contactsSecurity("making a rotation X25519 key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        defer { agreement.privateKey.wipe() }
        var contribution = try contactsSecurity("drawing a rotation secret") { () throws(SecurityError) in
            try SecureRandom.bytes(count: ContactRoot.contributionLength)
        }
        defer { wipeBytes(&contribution) }
        var body = ContactRotation.Request(
            keyIndex: newIndex, agreementKey: agreement.publicKey, contribution: contribution).encoded()
        defer { wipeBytes(&body) }
        let envelope: [UInt8]
        do {
            let channel = try Self.makeChannel(contact, sessionID: nil, directory: directory)
            envelope = try channel.seal(SignalingMessage(kind: .rotate, body: body))
        }
        contact.rotation = PendingRotation(
            keyIndex: newIndex, agreementPrivateKey: b64(agreement.privateKey), contribution: b64(contribution),
            started: unixSeconds(now.timeIntervalSince1970))
        contacts[index] = contact
        return OutgoingEnvelope(mailbox: try unhex(contact.peerMailbox), bytes: envelope, relayHint: contact.relayHint)
    }

    /// Handles one envelope found in the mailbox of the contact at `index`
    /// (`contactMailboxes()`): opens it on the control session and carries out the
    /// rotation steps (see `ContactRotation`), returning the answers to deposit and any
    /// other message for the caller. The contact changes only if everything succeeds.
    ///
    /// For a contact we invited, an acceptance of its invitation found there (bytes 1–16
    /// are the invitation id) is a replay and refused as such.
    ///
    /// - Throws: `.invalidSignalingMessage` / `.signalingReplayed` for envelopes that do not
    ///   open (forged, damaged, replayed, or under a key index we no longer hold),
    ///   `.rotationRefused` for rotation messages that do not fit the contact's state,
    ///   `.invitationAlreadyAccepted` / `.invalidAcceptance` for replayed acceptances.
    public mutating func receive(
        _ bytes: [UInt8], fromContact index: Int, directory: String, now: Date = Date()
    ) throws(ContactsError) -> ContactReceipt {
        guard contacts.indices.contains(index) else { throw ContactsError.other("no contact at index \(index)") }
        var contact = contacts[index]
        let contactID = try unb64(contact.id)
        if contact.role == .inviter, bytes.count > contactID.count, bytesEqual(Array(bytes[1...contactID.count]), contactID) {
            var copy = self
            _ = try copy.receiveAcceptance(bytes, inMailbox: try unhex(contact.mailbox), now: now)
            throw ContactsError.invitationAlreadyAccepted
        }

        // Open, and persist the replay floor of the key it was sealed under.
        let (message, openedIndex, highest) = try Self.open(bytes, contact: contact, directory: directory)
        var receipt = ContactReceipt()
        var switchedFrom: UInt32?
        if openedIndex == contact.currentKeyIndex {
            contact.receivedThrough = highest
            if let slot = contact.secondKey, slot.keyIndex < contact.currentKeyIndex {
                // The peer seals under our current key: it switched too, the previous root goes.
                contact.secondKey = nil
                receipt.events.append(.previousKeyWiped(keyIndex: slot.keyIndex))
            }
        } else if var slot = contact.secondKey, slot.keyIndex == openedIndex {
            slot.receivedThrough = highest
            contact.secondKey = slot
            if slot.keyIndex > contact.currentKeyIndex {
                // The peer seals under the root we answered: it got our answer; switch.
                switchedFrom = contact.currentKeyIndex
                contact.root = slot.root
                contact.keyIndex = slot.keyIndex
                contact.receivedThrough = slot.receivedThrough
                contact.secondKey = nil
                contact.rotation = nil
                receipt.events.append(.switched(keyIndex: slot.keyIndex))
            }
        }

        var outgoing: [SignalingMessage] = []
        if switchedFrom != nil {
            outgoing.append(SignalingMessage(kind: .rotateDone, body: ContactRotation.Done(keyIndex: contact.currentKeyIndex).encoded()))
        }
        switch message.kind {
        case .rotate:
            let request = try ContactRotation.Request(decoding: message.body)
            if let answer = try answerRotation(request, openedIndex: openedIndex, contact: &contact, receipt: &receipt) {
                outgoing.append(answer)
            }
        case .rotateAck:
            let answer = try ContactRotation.Answer(decoding: message.body)
            if try finishRotation(answer, contact: &contact, receipt: &receipt) {
                switchedFrom = contact.currentKeyIndex - 1
                outgoing.append(SignalingMessage(kind: .rotateDone, body: ContactRotation.Done(keyIndex: contact.currentKeyIndex).encoded()))
            }
        case .rotateDone:
            let done = try ContactRotation.Done(decoding: message.body)
            guard done.keyIndex == openedIndex, done.keyIndex == contact.currentKeyIndex else {
                throw ContactsError.rotationRefused(
                    "a switch notice for key \(done.keyIndex) arrived under key \(openedIndex) while this contact is at key \(contact.currentKeyIndex)")
            }
        default:
            receipt.message = message
        }

        if !outgoing.isEmpty {
            let channel = try Self.makeChannel(contact, sessionID: nil, directory: directory)
            let mailbox = try unhex(contact.peerMailbox)
            for message in outgoing {
                var body = message.body
                defer { wipeBytes(&body) }
                receipt.replies.append(OutgoingEnvelope(
                    mailbox: mailbox, bytes: try channel.seal(message), relayHint: contact.relayHint))
            }
        }
        contacts[index] = contact
        if let old = switchedFrom {
            // We never seal under the old key again: its sequence file goes.
            let role: SignalingRole = contact.role == .inviter ? .inviter : .acceptor
            let path = Self.sequencePath(directory: directory, contactID: contactID, keyIndex: old, direction: role.sendDirection)
            unlink(path)
            unlink(path + ".lock")
        }
        return receipt
    }

    /// True if `bytes`, found in the mailbox of the contact at `index`, is for `receive`:
    /// anything but a signaling envelope of another session (a call's), which is left for
    /// whoever handles that session. (Only the header is looked at; nothing is verified.)
    public func isControlEnvelope(_ bytes: [UInt8], fromContact index: Int) -> Bool {
        guard contacts.indices.contains(index), let contactID = try? unb64(contacts[index].id) else { return true }
        if contacts[index].role == .inviter, bytes.count > contactID.count,
            bytesEqual(Array(bytes[1...contactID.count]), contactID)
        {
            return true
        }
        guard let header = try? SignalingEnvelopeHeader(parsing: bytes),
            let control = try? Self.controlSessionID(contactID: contactID)
        else { return true }
        return bytesEqual(header.sessionID, control)
    }

    /// Opens `bytes` with a channel that is released before returning (so its sequence
    /// lock is free again).
    static func open(
        _ bytes: [UInt8], contact: Contact, directory: String
    ) throws(ContactsError) -> (SignalingMessage, UInt32, UInt64) {
        let channel = try makeChannel(contact, sessionID: nil, directory: directory)
        let message = try channel.open(bytes)
        let index = channel.lastOpenedKeyIndex ?? channel.keyIndex
        return (message, index, channel.highestReceived(keyIndex: index) ?? 0)
    }

    /// B's side of step 2 (or a simultaneous request). Returns the answer to send, or nil
    /// if the request is ignored.
    private func answerRotation(
        _ request: ContactRotation.Request, openedIndex: UInt32, contact: inout Contact, receipt: inout ContactReceipt
    ) throws(ContactsError) -> SignalingMessage? {
        let current = contact.currentKeyIndex
        guard openedIndex == current, current < UInt32.max, request.keyIndex == current + 1 else {
            throw ContactsError.rotationRefused(
                "the request is for key \(request.keyIndex) (sent under key \(openedIndex)) but this contact is at key \(current); a stale or replayed request")
        }
        if let slot = contact.secondKey, slot.keyIndex < current {
            throw ContactsError.rotationRefused("a new request arrived before the last rotation finished")
        }
        if let pending = contact.rotation, pending.keyIndex == request.keyIndex {
            if contact.role == .inviter {
                receipt.events.append(.ignoredPeerRequest(keyIndex: request.keyIndex))
                return nil
            }
            contact.rotation = nil
            receipt.events.append(.droppedOwnRequest(keyIndex: request.keyIndex))
        }
        contact.rotation = nil
        let agreement = try contactsSecurity("making a rotation X25519 key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        defer { agreement.privateKey.wipe() }
        var contribution = try contactsSecurity("drawing a rotation secret") { () throws(SecurityError) in
            try SecureRandom.bytes(count: ContactRoot.contributionLength)
        }
        defer { wipeBytes(&contribution) }
        let root = SecretBytes(copying: try unb64(contact.root))
        defer { root.wipe() }
        let keys = try Self.signingKeys(contact)
        let next = try ContactRotation.deriveRoot(
            current: root, keyIndex: request.keyIndex, ownAgreementPrivateKey: agreement.privateKey,
            peerAgreementKey: request.agreementKey, initiatorContribution: request.contribution,
            responderContribution: contribution, inviterSigningKey: keys.inviter, acceptorSigningKey: keys.acceptor)
        defer { next.wipe() }
        contact.secondKey = KeySlot(root: b64(next), keyIndex: request.keyIndex, receivedThrough: 0)
        receipt.events.append(.answered(keyIndex: request.keyIndex))
        let answer = ContactRotation.Answer(
            keyIndex: request.keyIndex, requestKey: request.agreementKey, agreementKey: agreement.publicKey,
            contribution: contribution)
        return SignalingMessage(kind: .rotateAck, body: answer.encoded())
    }

    /// A's side of step 3. Returns true if we switched.
    private func finishRotation(
        _ answer: ContactRotation.Answer, contact: inout Contact, receipt: inout ContactReceipt
    ) throws(ContactsError) -> Bool {
        guard let pending = contact.rotation else {
            throw ContactsError.rotationRefused(
                "an answer for key \(answer.keyIndex) arrived but no rotation is pending (a replay, or it was already used)")
        }
        guard answer.keyIndex == pending.keyIndex, pending.keyIndex == contact.currentKeyIndex + 1 else {
            throw ContactsError.rotationRefused(
                "the answer is for key \(answer.keyIndex) but the pending rotation is to key \(pending.keyIndex)")
        }
        let agreement = try agreementKeyPair(pending.agreementPrivateKey)
        defer { agreement.privateKey.wipe() }
        guard bytesEqual(answer.requestKey, agreement.publicKey) else {
            receipt.events.append(.staleAnswerIgnored(keyIndex: answer.keyIndex))
            return false
        }
        var contribution = try unb64(pending.contribution)
        defer { wipeBytes(&contribution) }
        let root = SecretBytes(copying: try unb64(contact.root))
        defer { root.wipe() }
        let keys = try Self.signingKeys(contact)
        let next = try ContactRotation.deriveRoot(
            current: root, keyIndex: answer.keyIndex, ownAgreementPrivateKey: agreement.privateKey,
            peerAgreementKey: answer.agreementKey, initiatorContribution: contribution,
            responderContribution: answer.contribution, inviterSigningKey: keys.inviter, acceptorSigningKey: keys.acceptor)
        defer { next.wipe() }
        contact.secondKey = KeySlot(
            root: contact.root, keyIndex: contact.currentKeyIndex, receivedThrough: contact.receivedThrough ?? 0)
        contact.root = b64(next)
        contact.keyIndex = answer.keyIndex
        contact.receivedThrough = 0
        contact.rotation = nil
        receipt.events.append(.switched(keyIndex: answer.keyIndex))
        return true
    }

    /// The inviter's and the acceptor's per-contact Ed25519 public keys.
    static func signingKeys(_ contact: Contact) throws(ContactsError) -> (inviter: [UInt8], acceptor: [UInt8]) {
        let own = try signingKeyPair(contact.signingSecretKey)
        defer { own.secretKey.wipe() }
        let peer = try unb64(contact.peerSigningKey)
        return contact.role == .inviter ? (own.publicKey, peer) : (peer, own.publicKey)
    }
}
