import ParleyContacts
import Testing

@Suite("GroupLinkMessage: member-to-member link messages through the host")
struct GroupLinkMessageTests {
    let alice = [UInt8](repeating: 0xA1, count: 16)
    let bob = [UInt8](repeating: 0xB0, count: 16)

    @Test("each kind round-trips, inside a .link signaling message")
    func roundTrip() throws {
        let member = GroupLinkMessage.Member(id: bob, name: "3f2a Bob", description: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ssrc:42 cname:parley\r\n")
        for (kind, payload) in [(GroupLinkMessage.Kind.credentials, Array("ufrag password".utf8)),
                                (.candidate, Array("a=candidate:1 1 UDP 2015364095 10.0.0.1 5000 typ host".utf8)),
                                (.candidate, []), (.member, member.encoded())] {
            let message = GroupLinkMessage(to: alice, from: bob, kind: kind, payload: payload)
            #expect(message.message.kind == .link)
            let decoded = try GroupLinkMessage(decoding: try SignalingMessage(decoding: message.message.encoded()).body)
            #expect(decoded == message)
        }
        #expect(try GroupLinkMessage.Member(decoding: member.encoded()) == member)
    }

    @Test("malformed messages are errors, never a crash")
    func malformed() {
        let good = GroupLinkMessage(to: alice, from: bob, kind: .candidate, payload: [1, 2]).encoded()
        for bytes in [[], [1], Array(good.prefix(20)), [9] + good.dropFirst(), Array(good.prefix(33)) + [77]] as [[UInt8]] {
            #expect(throws: ContactsError.self) { try GroupLinkMessage(decoding: bytes) }
        }
        for bytes in [[], Array(repeating: 1, count: 16), Array(repeating: 1, count: 16) + [200, 65]] as [[UInt8]] {
            #expect(throws: ContactsError.self) { try GroupLinkMessage.Member(decoding: bytes) }
        }
    }
}
