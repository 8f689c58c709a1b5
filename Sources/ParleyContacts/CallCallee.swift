import Foundation
import ParleySecurity

/// The callee's half: opens an offer, applies the policy, and answers or declines.
public enum CallCallee {
    /// What the callee sends back.
    public enum Reply {
        /// The call goes ahead: send `envelope`, then media keyed by `call`.
        case answered(envelope: [UInt8], call: EstablishedCall)
        /// The call was refused before any media: send `envelope` (a coarse decline) and
        /// show `reason` (the precise one) locally.
        case declined(envelope: [UInt8], reason: ContactsError)
    }

    /// Answers a sealed offer.
    ///
    /// - Parameters:
    ///   - envelope: the sealed offer, as received.
    ///   - channel: this contact's channel with session id = the offer's call id
    ///     (`CallSetup.callID(ofEnvelope:)`).
    ///   - contactRoot: the contact root secret.
    ///   - description: our session description.
    ///   - admit: the policy: throw (e.g. `ContactsError.callRefused`) to decline. It sees
    ///     the authenticated offer (participants, the caller's description) and runs
    ///     before any key is derived and before any media could flow.
    /// - Throws: for an envelope that does not open (not from this contact, damaged,
    ///   replayed) or is not a valid offer: nothing is sent back then.
    public static func answer(
        _ envelope: [UInt8], on channel: SignalingChannel, contactRoot: SecretBytes, description: String,
        admit: (CallOffer) throws(ContactsError) -> Void
    ) throws(ContactsError) -> Reply {
        try answer(envelope, on: channel, root: { _ throws(ContactsError) in contactRoot }, wipeRoot: false,
                   description: description, admit: admit)
    }

    /// `answer(_:on:contactRoot:description:admit:)` with the root taken from the stored
    /// contact: the root of the key index the offer was sealed under (during a key
    /// rotation the two sides' current keys may differ; the offer's index is the one both
    /// hold).
    public static func answer(
        _ envelope: [UInt8], on channel: SignalingChannel, contact: ContactBook.Contact, description: String,
        admit: (CallOffer) throws(ContactsError) -> Void
    ) throws(ContactsError) -> Reply {
        try answer(envelope, on: channel, root: { index throws(ContactsError) in
            try contact.rootSecret(keyIndex: index ?? contact.currentKeyIndex)
        }, wipeRoot: true, description: description, admit: admit)
    }

    private static func answer(
        _ envelope: [UInt8], on channel: SignalingChannel, root: (UInt32?) throws(ContactsError) -> SecretBytes,
        wipeRoot: Bool, description: String, admit: (CallOffer) throws(ContactsError) -> Void
    ) throws(ContactsError) -> Reply {
        let message = try channel.open(envelope)
        guard message.kind == .offer else {
            throw ContactsError.invalidSignalingMessage("expected a call offer, got a \(message.kind) message")
        }
        let offer = try CallOffer(decoding: message.body)
        guard bytesEqual(offer.callID, channel.sessionID) else {
            throw ContactsError.invalidSignalingMessage("the offer's call id is not its session's")
        }
        do {
            try admit(offer)
        } catch {
            let decline = try channel.seal(SignalingMessage(kind: .hangup, body: CallDecline.encoded(.declined, callID: offer.callID)))
            return .declined(envelope: decline, reason: error)
        }
        guard description.utf8.count <= CallOffer.maximumDescriptionBytes else {
            throw ContactsError.other("the session description is longer than \(CallOffer.maximumDescriptionBytes) bytes")
        }
        let ephemeral = try contactsSecurity("making the call's ephemeral key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        let answer = CallAnswer(callID: offer.callID, ephemeralPublicKey: ephemeral.publicKey, description: description)
        let answerBody = answer.encoded()
        let transcript = CallKeySchedule.transcriptHash([message.body, answerBody])
        let contactRoot = try root(channel.lastOpenedKeyIndex)
        defer { if wipeRoot { contactRoot.wipe() } }
        let schedule = try contactsSecurity("running the call key schedule") { () throws(SecurityError) in
            try CallKeySchedule(
                ephemeralPrivateKey: ephemeral.privateKey, peerEphemeralPublicKey: offer.ephemeralPublicKey,
                contactRoot: contactRoot, callID: offer.callID, transcriptHash: transcript, role: .callee)
        }
        let sealed = try channel.seal(SignalingMessage(kind: .answer, body: answerBody))
        return .answered(envelope: sealed, call: EstablishedCall(schedule: schedule, offer: offer, answer: answer))
    }
}
