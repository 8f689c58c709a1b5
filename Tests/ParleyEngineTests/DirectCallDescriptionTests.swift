import ParleyEngine
import Testing

@Suite("DirectCallDescription: the SDP of a direct call's offer and answer")
struct DirectCallDescriptionTests {
    @Test("ICE credentials, audio and video SSRCs round-trip; a member's description has no ICE credentials")
    func roundTrip() throws {
        let full = DirectCallDescription(ufrag: "abcd", password: "0123456789abcdefghijkl", audioSSRC: 11, videoSSRC: 22)
        #expect(try DirectCallDescription(parsing: full.sdp) == full)
        #expect(full.sdp.contains("m=video 9 UDP/TLS/RTP/SAVPF"))
        let audioOnly = DirectCallDescription(ufrag: "abcd", password: "0123456789abcdefghijkl", audioSSRC: 11)
        #expect(try DirectCallDescription(parsing: audioOnly.sdp) == audioOnly)
        #expect(!audioOnly.sdp.contains("m=video"))
        let member = DirectCallDescription(ufrag: "", password: "", audioSSRC: 7, videoSSRC: 8)
        #expect(!member.sdp.contains("ice-ufrag"))
        #expect(try DirectCallDescription(parsing: member.sdp, requireICE: false) == member)
        #expect(throws: EngineError.self) { try DirectCallDescription(parsing: member.sdp) }
        #expect(throws: EngineError.self) { try DirectCallDescription(parsing: "v=0\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\n") }
    }
}
