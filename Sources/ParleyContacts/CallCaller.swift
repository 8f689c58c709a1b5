import Foundation
import ParleySecurity

/// The caller's half of one call setup: makes a call id and a fresh ephemeral X25519 key,
/// seals the offer, and turns the callee's answer into the call's key schedule.
///
/// The signaling channel's session id must be the call id (`CallSetup.channelSessionID`):
/// the callee reads it from the offer's header to open a channel for the call, and an
/// envelope of any other call is refused by the channel.
public final class CallCaller {
    public let callID: [UInt8]
    public let offer: CallOffer
    private let ephemeral: X25519.KeyPair
    private var offerBody: [UInt8] = []
    private var done = false
    /// The contact key index the offer was sealed under: its root salts the call secret.
    public private(set) var offerKeyIndex: UInt32?

    /// - Parameters:
    ///   - participants: people in the call, the caller included.
    ///   - description: the caller's session description (SDP).
    ///   - callID: 16 bytes; random by default.
    public init(participants: Int = 2, description: String, callID: [UInt8]? = nil) throws(ContactsError) {
        guard (2...255).contains(participants) else {
            throw ContactsError.other("a call has 2 to 255 participants (asked for \(participants))")
        }
        guard description.utf8.count <= CallOffer.maximumDescriptionBytes else {
            throw ContactsError.other("the session description is longer than \(CallOffer.maximumDescriptionBytes) bytes")
        }
        let id = try CallSetup.callID(given: callID)
        self.callID = id
        self.ephemeral = try contactsSecurity("making the call's ephemeral key") { () throws(SecurityError) in
            try X25519.generateKeyPair()
        }
        self.offer = CallOffer(callID: id, participants: participants, ephemeralPublicKey: ephemeral.publicKey, description: description)
    }

    /// Seals the offer on `channel` (whose session id must be the call id).
    public func sealOffer(on channel: SignalingChannel) throws(ContactsError) -> [UInt8] {
        guard bytesEqual(channel.sessionID, callID) else {
            throw ContactsError.other("the signaling channel of a call must use the call id as its session id")
        }
        offerBody = offer.encoded()
        offerKeyIndex = channel.keyIndex
        return try channel.seal(SignalingMessage(kind: .offer, body: offerBody))
    }

    /// `receive(_:on:contactRoot:)` with the root of the key index the offer was sealed
    /// under, from the stored contact: right even if a key rotation completes meanwhile.
    public func receive(_ envelope: [UInt8], on channel: SignalingChannel, contact: ContactBook.Contact) throws(ContactsError) -> EstablishedCall {
        guard let index = offerKeyIndex else { throw ContactsError.other("send the offer before reading the answer") }
        let root = try contact.rootSecret(keyIndex: index)
        defer { root.wipe() }
        return try receive(envelope, on: channel, contactRoot: root)
    }

    /// Opens the callee's reply: an answer gives the established call (its keys from the
    /// contact root, both ephemerals and the transcript); a refusal throws.
    ///
    /// - Throws: `ContactsError.callDeclined` if the callee declined;
    ///   `.invalidSignalingMessage` / `.signalingReplayed` for an envelope that is not a
    ///   valid answer to this call (forged, of another call, replayed).
    public func receive(_ envelope: [UInt8], on channel: SignalingChannel, contactRoot: SecretBytes) throws(ContactsError) -> EstablishedCall {
        guard !done else { throw ContactsError.other("this call setup already finished") }
        guard !offerBody.isEmpty else { throw ContactsError.other("send the offer before reading the answer") }
        let message = try channel.open(envelope)
        switch message.kind {
        case .answer:
            let answer = try CallAnswer(decoding: message.body)
            guard bytesEqual(answer.callID, callID) else {
                throw ContactsError.invalidSignalingMessage("the answer is for another call")
            }
            let transcript = CallKeySchedule.transcriptHash([offerBody, message.body])
            let schedule = try contactsSecurity("running the call key schedule") { () throws(SecurityError) in
                try CallKeySchedule(
                    ephemeralPrivateKey: ephemeral.privateKey, peerEphemeralPublicKey: answer.ephemeralPublicKey,
                    contactRoot: contactRoot, callID: callID, transcriptHash: transcript, role: .caller)
            }
            done = true
            return EstablishedCall(schedule: schedule, offer: offer, answer: answer)
        case .hangup:
            let reason = try CallSetup.decline(message.body, callID: callID)
            done = true
            ephemeral.privateKey.wipe()
            throw ContactsError.callDeclined(reason)
        default:
            throw ContactsError.invalidSignalingMessage("expected the answer to the call offer, got a \(message.kind) message")
        }
    }

    /// A sealed cancellation, to send if the caller gives up before the answer. The
    /// ephemeral key is wiped.
    public func cancel(on channel: SignalingChannel) throws(ContactsError) -> [UInt8] {
        done = true
        ephemeral.privateKey.wipe()
        return try channel.seal(SignalingMessage(kind: .hangup, body: CallDecline.encoded(.cancelled, callID: callID)))
    }
}

/// A call both sides agreed on: its key schedule (SRTP keys per SSRC and direction, the
/// SAS), the peer's session description and the transcript.
public struct EstablishedCall {
    public let schedule: CallKeySchedule
    public let offer: CallOffer
    public let answer: CallAnswer
    /// The five words to compare by voice; equal on both sides.
    public var shortAuthenticationString: ShortAuthenticationString { schedule.shortAuthenticationString }
    /// The other side's session description.
    public var remoteDescription: String { schedule.role == .caller ? answer.description : offer.description }
}
