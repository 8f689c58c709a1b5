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
