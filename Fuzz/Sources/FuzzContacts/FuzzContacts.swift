import Foundation
import ParleyContacts
import ParleySecurity

/// The contact and call-setup parsers: the first byte picks one, the rest is its input.
/// Whatever parses must encode back to the same bytes (and parse again equal); nothing may
/// crash on any input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    let input = Array(all.dropFirst())
    let epoch = Date(timeIntervalSince1970: 0)  // no expiry refusals: reach the deeper checks
    switch all[0] % 13 {
    case 0:
        _ = try? Invitation.parse(uri: String(decoding: input, as: UTF8.self), now: epoch)
    case 1:
        _ = try? Invitation.parse(bytes: input, now: epoch)
    case 2:
        if let offer = try? CallOffer(decoding: input) {
            guard offer.encoded() == input, (try? CallOffer(decoding: offer.encoded())) == offer else {
                fatalError("a call offer does not survive decode → encode")
            }
        }
    case 3:
        if let answer = try? CallAnswer(decoding: input) {
            guard answer.encoded() == input else { fatalError("a call answer does not survive decode → encode") }
        }
    case 4:
        if let invite = try? GroupInvite(decoding: input) {
            guard invite.encoded() == input else { fatalError("a group invite does not survive decode → encode") }
        }
    case 5:
        if let join = try? GroupJoin(decoding: input) {
            guard join.encoded() == input else { fatalError("a group join does not survive decode → encode") }
        }
    case 6:
        if let roster = try? GroupRoster(parsing: input) {
            guard roster.encode() == input else { fatalError("a group roster does not survive parse → encode") }
        }
    case 7:
        _ = try? SignalingEnvelopeHeader(parsing: input)
        if let message = try? SignalingMessage(decoding: input) {
            guard message.encoded() == input else { fatalError("a signaling message does not survive decode → encode") }
        }
    case 8:
        if let approval = try? ContactApproval.parse(bytes: input) {
            guard approval.encoded == input else { fatalError("an approval does not survive parse → encode") }
        }
        _ = try? ContactApproval.parse(text: String(decoding: input, as: UTF8.self))
    case 10:
        _ = try? ApprovalRequest.parse(text: String(decoding: input, as: UTF8.self))
    case 11:
        if let request = try? ContactRotation.Request(decoding: input) {
            guard request.encoded() == input else { fatalError("a rotation request does not survive decode → encode") }
        }
        if let done = try? ContactRotation.Done(decoding: input) {
            guard done.encoded() == input else { fatalError("a rotation done does not survive decode → encode") }
        }
    case 12:
        if let answer = try? ContactRotation.Answer(decoding: input) {
            guard answer.encoded() == input else { fatalError("a rotation answer does not survive decode → encode") }
        }
    default:
        _ = try? Entitlement.parse(bytes: input)
        _ = try? Entitlement.parse(text: String(decoding: input, as: UTF8.self))
    }
    return 0
}
