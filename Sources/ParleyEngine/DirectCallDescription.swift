import Foundation

/// The session description a direct call's offer and answer carry (sealed): ICE
/// credentials (candidates follow one by one, trickled) and the media SSRCs, as SDP
/// (RFC 8866 / 8839): `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options:trickle`, an `m=audio`
/// section with `a=rtcp-mux`, Opus and `a=ssrc`, and an `m=video` section (VP8) when the
/// side sends video.
///
/// In a group call the description a member gives the host names only its SSRCs (the
/// ICE credentials of each of its links go separately, per peer): `ufrag` and `password`
/// are then empty and left out.
public struct DirectCallDescription: Equatable, Sendable {
    public var ufrag: String
    public var password: String
    public var audioSSRC: UInt32
    /// The video SSRC (nil: this side sends no video).
    public var videoSSRC: UInt32?

    public init(ufrag: String, password: String, audioSSRC: UInt32, videoSSRC: UInt32? = nil) {
        self.ufrag = ufrag
        self.password = password
        self.audioSSRC = audioSSRC
        self.videoSSRC = videoSSRC
    }

    public var sdp: String {
        let ice = ufrag.isEmpty ? "" : "a=ice-ufrag:\(ufrag)\r\na=ice-pwd:\(password)\r\n"
        var text = """
            v=0\r
            o=- 0 0 IN IP4 0.0.0.0\r
            s=parley\r
            t=0 0\r
            a=ice-options:trickle\r
            m=audio 9 UDP/TLS/RTP/SAVPF \(MediaProfile.audioPayloadType)\r
            c=IN IP4 0.0.0.0\r
            \(ice)a=rtcp-mux\r
            a=rtpmap:\(MediaProfile.audioPayloadType) opus/48000/2\r
            a=ssrc:\(audioSSRC) cname:parley\r

            """
        if let videoSSRC {
            text += """
                m=video 9 UDP/TLS/RTP/SAVPF \(MediaProfile.vp8PayloadType)\r
                c=IN IP4 0.0.0.0\r
                a=rtcp-mux\r
                a=rtpmap:\(MediaProfile.vp8PayloadType) VP8/90000\r
                a=ssrc:\(videoSSRC) cname:parley\r

                """
        }
        return text
    }

    /// Reads what `sdp` writes. Throws `EngineError.invalidOption` naming what is missing.
    /// `requireICE` false: a group member's description, without ICE credentials.
    public init(parsing sdp: String, requireICE: Bool = true) throws {
        var ufrag: String?, password: String?, audio: UInt32?, video: UInt32?
        var section = ""
        for raw in sdp.split(whereSeparator: { $0.isNewline }) {
            let line = String(raw)
            if line.hasPrefix("m=") { section = String(line.dropFirst(2).prefix { $0 != " " }) }
            if line.hasPrefix("a=ice-ufrag:") { ufrag = String(line.dropFirst("a=ice-ufrag:".count)) }
            if line.hasPrefix("a=ice-pwd:") { password = String(line.dropFirst("a=ice-pwd:".count)) }
            if line.hasPrefix("a=ssrc:") {
                let ssrc = UInt32(line.dropFirst("a=ssrc:".count).prefix { $0.isNumber })
                if section == "audio", audio == nil { audio = ssrc }
                if section == "video", video == nil { video = ssrc }
            }
        }
        if requireICE {
            guard let ufrag, !ufrag.isEmpty, let password, !password.isEmpty else {
                throw EngineError.invalidOption("the peer's session description has no ICE credentials (a=ice-ufrag, a=ice-pwd)")
            }
        }
        guard let audio else { throw EngineError.invalidOption("the peer's session description has no audio SSRC (a=ssrc)") }
        self.init(ufrag: ufrag ?? "", password: password ?? "", audioSSRC: audio, videoSSRC: video)
    }
}
