import Foundation
import ParleySecurity

/// Helpers shared by the call setup messages.
public enum CallSetup {
    /// The call id a sealed offer (or any call message) belongs to: its session id, read
    /// from the header without authenticating (the channel authenticates it later).
    public static func callID(ofEnvelope envelope: [UInt8]) throws(ContactsError) -> [UInt8] {
        try SignalingEnvelopeHeader(parsing: envelope).sessionID
    }

    /// `count` random bytes; `what` names the step in an error.
    static func random(_ count: Int, _ what: String) throws(ContactsError) -> [UInt8] {
        try contactsSecurity(what) { () throws(SecurityError) in try SecureRandom.bytes(count: count) }
    }

    /// The call id given (checked to be 16 bytes), or a random one.
    static func callID(given: [UInt8]?) throws(ContactsError) -> [UInt8] {
        guard let given else { return try random(CallKeySchedule.callIDLength, "making a call id") }
        guard given.count == CallKeySchedule.callIDLength else {
            throw ContactsError.other("a call id is \(CallKeySchedule.callIDLength) bytes")
        }
        return given
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
