import Foundation
import ParleyContacts
import ParleySecurity

/// The two simulated people of a loopback call and the keys of their call (design.md,
/// "Keys"): each has a profile and a contact book; the caller invites the callee, who
/// accepts (the real invitation, acceptance and confirmation, in process instead of
/// through a relay), and the call is set up over their contact's signaling channel — a
/// sealed offer and answer with fresh ephemeral keys, the callee's policy applied before
/// any key exists. The SRTP keys of every stream come from the resulting call key
/// schedules, one key per sender SSRC and direction, never from anywhere else.
///
/// The signaling sequence files live in a private temporary directory removed by
/// `close()` (or deinit).
public final class LoopbackParticipants {
    public let caller: Profile
    public let callee: Profile
    /// The caller's schedule (keys media it sends) and the callee's (keys media it receives).
    let callerCall: EstablishedCall
    let calleeCall: EstablishedCall
    /// The contact id both sides hold (base64), for the report.
    public let contactID: String
    /// The AEAD the caller sealed its signaling with.
    public let signalingAlgorithm: AEAD.Algorithm
    private let directory: String

    /// Sets everything up; `participants` is the call's size for the policy (2 for a
    /// loopback between two people).
    public init(callerName: String = "Alice", calleeName: String = "Bob", suite: SRTPSuite, now: Date = Date()) throws {
        caller = Profile(displayName: callerName, created: now)
        callee = Profile(displayName: calleeName, created: now)
        directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("parley-loopback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var callerBook = ContactBook()
        var calleeBook = ContactBook()
        do {
            let (a, b) = try LocalContactExchange.establish(
                inviter: &callerBook, acceptor: &calleeBook, inviterName: callerName, acceptorName: calleeName, now: now)
            let callerContact = callerBook.contacts[a]
            let calleeContact = calleeBook.contacts[b]
            contactID = callerContact.id

            let setup = try CallCaller(participants: 2, description: Self.description(name: "caller", suite: suite))
            let callerChannel = try callerContact.signalingChannel(
                sessionID: setup.callID,
                sequences: SignalingSequenceStore(path: (directory as NSString).appendingPathComponent("caller.seq")))
            signalingAlgorithm = callerChannel.algorithm
            let offer = try setup.sealOffer(on: callerChannel)
            let calleeChannel = try calleeContact.signalingChannel(
                sessionID: try CallSetup.callID(ofEnvelope: offer),
                sequences: SignalingSequenceStore(path: (directory as NSString).appendingPathComponent("callee.seq")))
            let calleeProfile = callee
            let calleeBookNow = calleeBook
            let calleeContactID = calleeContact.id
            let reply = try CallCallee.answer(
                offer, on: calleeChannel, contact: calleeContact,
                description: Self.description(name: "callee", suite: suite)
            ) { offer throws(ContactsError) in
                // The callee's policy, before any key, as for any call: the caller must be a
                // contact, not blocked (and approved if the profile were supervised); two
                // people need no license.
                try CallPolicy.checkBeforeCall(
                    profile: calleeProfile, profileIdentifier: Array(repeating: 1, count: 32), book: calleeBookNow,
                    licenseText: nil, contactIDs: [calleeContactID], participants: offer.participants, now: now)
            }
            switch reply {
            case .answered(let envelope, let call):
                calleeCall = call
                callerCall = try setup.receive(envelope, on: callerChannel, contact: callerContact)
            case .declined(_, let reason):
                throw reason
            }
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        guard callerCall.shortAuthenticationString == calleeCall.shortAuthenticationString else {
            try? FileManager.default.removeItem(atPath: directory)
            throw EngineError.keyAgreementFailed
        }
    }

    deinit { close() }

    /// The five words both sides would read to each other.
    public var shortAuthenticationString: ShortAuthenticationString { callerCall.shortAuthenticationString }

    /// The call id, hex.
    public var callID: String { callerCall.schedule.callID.map { String(format: "%02x", $0) }.joined() }

    /// Keys for the stream `ssrc` sent by the caller: the caller's outbound key and the
    /// callee's inbound key (equal, or the schedule is broken).
    func keys(suite: SRTPSuite, ssrc: UInt32) throws -> (outbound: SecretBytes, inbound: SecretBytes) {
        let outbound = try callerCall.schedule.outboundKeyingMaterial(suite: suite, ssrc: ssrc)
        let inbound = try calleeCall.schedule.inboundKeyingMaterial(suite: suite, ssrc: ssrc)
        return (outbound, inbound)
    }

    /// Wipes the ephemeral and call secrets (hangup) and removes the sequence files.
    public func close() {
        callerCall.schedule.wipe()
        calleeCall.schedule.wipe()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A minimal session description of one side (what a real call would carry; here it
    /// is only bound into the transcript).
    static func description(name: String, suite: SRTPSuite) -> String {
        "v=0\r\no=parley-\(name) 1 1 IN IP4 127.0.0.1\r\ns=Parley loopback\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + "m=audio 9 RTP/SAVP \(MediaProfile.audioPayloadType)\r\na=rtpmap:\(MediaProfile.audioPayloadType) opus/48000/2\r\n"
            + "m=video 9 RTP/SAVP \(MediaProfile.vp8PayloadType) \(MediaProfile.vp9PayloadType)\r\n"
            + "a=rtpmap:\(MediaProfile.vp8PayloadType) VP8/90000\r\na=rtpmap:\(MediaProfile.vp9PayloadType) VP9/90000\r\n"
            + "a=x-parley-srtp:\(suite.rawValue)\r\n"
    }
}
