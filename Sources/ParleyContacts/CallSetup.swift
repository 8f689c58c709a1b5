import Foundation
import ParleySecurity

/// The call offer: what the caller sends, sealed, as the body of a `.offer` signaling
/// message (design.md, "Keys").
///
///     version (u8 = 1) || call id (16) || participants (u8, this call's size, ≥ 2)
///     || caller's ephemeral X25519 public key (32)
///     || description length (u32 big-endian) || session description (UTF-8 SDP)
///
/// The answer (`.answer`) is the same without the participant count:
///
///     version (u8 = 1) || call id (16) || callee's ephemeral X25519 public key (32)
///     || description length (u32 big-endian) || session description
///
/// A refusal (`.hangup`) is `version || call id || reason (u8)`: see `CallDecline`.
///
/// Both sides hash the two bodies in order (offer, answer) with
/// `CallKeySchedule.transcriptHash`, so the call secret binds everything the two sides
/// said: the keys, the call id, the participant count and both session descriptions.
public struct CallOffer: Equatable, Sendable {
    public static let version: UInt8 = 1
    /// The largest session description carried (SDPs are a few hundred bytes).
    public static let maximumDescriptionBytes = 16 * 1024

    public var callID: [UInt8]
    public var participants: Int
    public var ephemeralPublicKey: [UInt8]
    public var description: String

    public init(callID: [UInt8], participants: Int, ephemeralPublicKey: [UInt8], description: String) {
        self.callID = callID
        self.participants = participants
        self.ephemeralPublicKey = ephemeralPublicKey
        self.description = description
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += callID
        bytes.append(UInt8(clamping: participants))
        bytes += ephemeralPublicKey
        CallSetup.appendDescription(description, to: &bytes)
        return bytes
    }

    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        var reader = CallSetup.reader(bytes, what: "call offer")
        guard try reader.byte("version") == Self.version else {
            throw ContactsError.invalidSignalingMessage("the call offer has an unknown version (a newer Parley?)")
        }
        callID = try reader.take(CallKeySchedule.callIDLength, "call id")
        participants = Int(try reader.byte("participants"))
        guard participants >= 2 else {
            throw ContactsError.invalidSignalingMessage("the call offer names \(participants) participants; a call has at least 2")
        }
        ephemeralPublicKey = try reader.take(X25519.keyLength, "ephemeral key")
        description = try CallSetup.readDescription(&reader)
        try reader.expectEnd()
    }
}

/// The call answer (see `CallOffer` for the encoding).
public struct CallAnswer: Equatable, Sendable {
    public static let version: UInt8 = 1

    public var callID: [UInt8]
    public var ephemeralPublicKey: [UInt8]
    public var description: String

    public init(callID: [UInt8], ephemeralPublicKey: [UInt8], description: String) {
        self.callID = callID
        self.ephemeralPublicKey = ephemeralPublicKey
        self.description = description
    }

    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += callID
        bytes += ephemeralPublicKey
        CallSetup.appendDescription(description, to: &bytes)
        return bytes
    }

    public init(decoding bytes: [UInt8]) throws(ContactsError) {
        var reader = CallSetup.reader(bytes, what: "call answer")
        guard try reader.byte("version") == Self.version else {
            throw ContactsError.invalidSignalingMessage("the call answer has an unknown version (a newer Parley?)")
        }
        callID = try reader.take(CallKeySchedule.callIDLength, "call id")
        ephemeralPublicKey = try reader.take(X25519.keyLength, "ephemeral key")
        description = try CallSetup.readDescription(&reader)
        try reader.expectEnd()
    }
}

/// Why the callee did not answer. Deliberately coarse: a caller the policy refuses
/// (blocked, unapproved, unlicensed) learns only that the call was declined — the exact
/// reason is shown on the callee's side, never sent.
public enum CallDecline: UInt8, Sendable, Equatable, CustomStringConvertible {
    /// Refused by the callee (its policy or its user).
    case declined = 1
    /// The callee is in another call.
    case busy = 2
    /// The caller hung up before the answer (sent by the caller).
    case cancelled = 3

    public var description: String {
        switch self {
        case .declined: return "the contact declined the call"
        case .busy: return "the contact is busy in another call"
        case .cancelled: return "the caller hung up before the call was answered"
        }
    }

    static func encoded(_ reason: CallDecline, callID: [UInt8]) -> [UInt8] {
        [CallOffer.version] + callID + [reason.rawValue]
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
        let id: [UInt8]
        if let callID {
            id = callID
        } else {
            id = try contactsSecurity("making a call id") { () throws(SecurityError) in
                try SecureRandom.bytes(count: CallKeySchedule.callIDLength)
            }
        }
        guard id.count == CallKeySchedule.callIDLength else {
            throw ContactsError.other("a call id is \(CallKeySchedule.callIDLength) bytes")
        }
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
        return try channel.seal(SignalingMessage(kind: .offer, body: offerBody))
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
        let schedule = try contactsSecurity("running the call key schedule") { () throws(SecurityError) in
            try CallKeySchedule(
                ephemeralPrivateKey: ephemeral.privateKey, peerEphemeralPublicKey: offer.ephemeralPublicKey,
                contactRoot: contactRoot, callID: offer.callID, transcriptHash: transcript, role: .callee)
        }
        let sealed = try channel.seal(SignalingMessage(kind: .answer, body: answerBody))
        return .answered(envelope: sealed, call: EstablishedCall(schedule: schedule, offer: offer, answer: answer))
    }
}

/// Helpers shared by the call setup messages.
public enum CallSetup {
    /// The call id a sealed offer (or any call message) belongs to: its session id, read
    /// from the header without authenticating (the channel authenticates it later).
    public static func callID(ofEnvelope envelope: [UInt8]) throws(ContactsError) -> [UInt8] {
        try SignalingEnvelopeHeader(parsing: envelope).sessionID
    }

    static func reader(_ bytes: [UInt8], what: String) -> InvitationReader {
        InvitationReader(bytes) { reason in
            ContactsError.invalidSignalingMessage("the \(what) is malformed: \(reason)")
        }
    }

    static func appendDescription(_ description: String, to bytes: inout [UInt8]) {
        let utf8 = Array(description.utf8)
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: utf8.count >> shift)) }
        bytes += utf8
    }

    static func readDescription(_ reader: inout InvitationReader) throws(ContactsError) -> String {
        let length = try reader.take(4, "description length").reduce(0) { ($0 << 8) | Int($1) }
        guard length <= CallOffer.maximumDescriptionBytes else {
            throw ContactsError.invalidSignalingMessage("its session description is \(length) bytes, more than \(CallOffer.maximumDescriptionBytes)")
        }
        let bytes = try reader.take(length, "session description")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ContactsError.invalidSignalingMessage("its session description is not UTF-8")
        }
        return text
    }

    static func decline(_ body: [UInt8], callID: [UInt8]) throws(ContactsError) -> CallDecline {
        var reader = reader(body, what: "call refusal")
        guard try reader.byte("version") == CallOffer.version else {
            throw ContactsError.invalidSignalingMessage("the call refusal has an unknown version")
        }
        guard bytesEqual(try reader.take(CallKeySchedule.callIDLength, "call id"), callID) else {
            throw ContactsError.invalidSignalingMessage("the refusal is for another call")
        }
        let code = try reader.byte("reason")
        try reader.expectEnd()
        return CallDecline(rawValue: code) ?? .declined
    }
}
