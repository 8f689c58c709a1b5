import ParleyCore

/// What `SessionDescription.answer(to:configuration:key:)` accepts and where Parley listens.
public struct SDPAnswerConfiguration: Equatable, Sendable {
    public struct Audio: Equatable, Sendable {
        public var port: UInt16
        public var ssrc: UInt32
        /// Asks for stereo (`stereo=1;sprop-stereo=1`).
        public var stereo: Bool

        public init(port: UInt16, ssrc: UInt32, stereo: Bool = false) {
            self.port = port
            self.ssrc = ssrc
            self.stereo = stereo
        }
    }

    public struct Video: Equatable, Sendable {
        public var port: UInt16
        public var ssrc: UInt32
        /// The codecs accepted; the offer's order decides among them.
        public var codecs: [VideoCodecKind]

        public init(port: UInt16, ssrc: UInt32, codecs: [VideoCodecKind] = [.vp8, .vp9]) {
            self.port = port
            self.ssrc = ssrc
            self.codecs = codecs
        }
    }

    /// The local address: the answer's `c=` and `o=` lines.
    public var address: String
    public var sessionId: UInt64
    public var sessionVersion: UInt64
    public var sessionName: String
    public var cname: String
    /// Nil rejects every audio section.
    public var audio: Audio?
    /// Nil rejects every video section.
    public var video: Video?
    /// The suites accepted; the offer's order of `a=crypto` lines decides among them.
    public var cryptoSuites: [SDPCryptoSuite]
    /// Whether a plain `RTP/AVP(F)` section is accepted; false rejects it.
    public var acceptsUnencrypted: Bool

    public init(address: String, sessionId: UInt64 = 0, sessionVersion: UInt64 = 0, sessionName: String = "Parley",
                cname: String, audio: Audio? = nil, video: Video? = nil,
                cryptoSuites: [SDPCryptoSuite] = SDPCryptoSuite.allCases, acceptsUnencrypted: Bool = true) {
        self.address = address
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.sessionName = sessionName
        self.cname = cname
        self.audio = audio
        self.video = video
        self.cryptoSuites = cryptoSuites
        self.acceptsUnencrypted = acceptsUnencrypted
    }
}

extension SessionDescription {
    /// The RTP profiles an answer accepts: SDES or plain, with or without feedback. DTLS
    /// profiles (`UDP/TLS/RTP/SAVPF`) are rejected: Parley keys SRTP itself.
    static let answerableProtocols: Set<String> = ["RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF"]

    /// The header extensions Parley understands, per kind.
    static func supportedExtensions(_ kind: SDPMediaKind) -> Set<String> {
        kind == .audio
            ? [SDPExtmap.audioLevelURI, SDPExtmap.absSendTimeURI, SDPExtmap.transportWideCCURI]
            : [SDPExtmap.absSendTimeURI, SDPExtmap.transportWideCCURI]
    }

    /// A minimal answer (RFC 3264) to `offer`.
    ///
    /// Per media section, in the offer's order: the first audio section offering Opus
    /// 48000/2 and the first video section offering an accepted VP8 or VP9 (profile-id 0)
    /// are accepted with the offer's payload type, rtcp-mux mirrored, the offer's
    /// extension ids for the extensions Parley knows and the offered feedback among nack,
    /// nack pli, ccm fir and transport-cc. A section with `a=crypto` lines is answered with
    /// the offer's first one whose suite is in `configuration.cryptoSuites`, same tag, and
    /// the key `key(suite)` returns (fresh, `suite.keyAndSaltLength` bytes), whatever the
    /// profile (ffmpeg writes its keys under `RTP/AVP`); a SAVP section without such a line
    /// is rejected, and so is a plain one unless `acceptsUnencrypted`. Rejected sections
    /// get port 0, the offered formats and no attributes.
    ///
    /// Throws `.malformed` when `key` returns a key of the wrong length.
    public static func answer(to offer: SessionDescription, configuration: SDPAnswerConfiguration,
                              key: (SDPCryptoSuite) -> [UInt8]) throws(RTPError) -> SessionDescription {
        let config = configuration
        var answer = SessionDescription(
            origin: SDPOrigin(username: "-", sessionId: config.sessionId, sessionVersion: config.sessionVersion,
                              addrType: config.address.contains(":") ? "IP6" : "IP4", address: config.address),
            sessionName: config.sessionName,
            connection: SDPConnection(address: config.address),
            timing: offer.timing)
        var audioTaken = false
        var videoTaken = false

        for offered in offer.media {
            var accepted: SDPMediaDescription?
            switch offered.kind {
            case .audio where !audioTaken:
                if let audio = config.audio {
                    accepted = try answerSection(offered, in: offer, config: config, port: audio.port, ssrc: audio.ssrc,
                                                 key: key) { pt, map, _ in
                        guard map.isEncoding("opus"), map.clockRate == 48000 else { return nil }
                        var fmtp = SDPFormatParameters()
                        fmtp.minPTime = 10
                        fmtp.useInbandFEC = true
                        if audio.stereo {
                            fmtp.stereo = true
                            fmtp.spropStereo = true
                        }
                        return fmtp
                    }
                    audioTaken = accepted != nil
                }
            case .video where !videoTaken:
                if let video = config.video {
                    accepted = try answerSection(offered, in: offer, config: config, port: video.port, ssrc: video.ssrc,
                                                 key: key) { pt, map, fmtp in
                        guard map.clockRate == 90000 else { return nil }
                        if map.isEncoding("VP8") && video.codecs.contains(.vp8) { return SDPFormatParameters() }
                        if map.isEncoding("VP9") && video.codecs.contains(.vp9) && (fmtp?.vp9ProfileID ?? 0) == 0 {
                            var parameters = SDPFormatParameters()
                            parameters.vp9ProfileID = 0
                            return parameters
                        }
                        return nil
                    }
                    videoTaken = accepted != nil
                }
            default:
                break
            }
            answer.media.append(accepted ?? rejected(offered))
        }
        return answer
    }

    /// The answer's rejection of `offered` (RFC 3264 §6): port 0 and the offered formats.
    static func rejected(_ offered: SDPMediaDescription) -> SDPMediaDescription {
        SDPMediaDescription(kind: offered.kind, port: 0, proto: offered.proto, formats: offered.formats,
                            nonRTPFormats: offered.nonRTPFormats, mid: offered.mid)
    }

    /// Accepts `offered` with the first format `codec` takes (returning the answer's fmtp), or nil.
    private static func answerSection(
        _ offered: SDPMediaDescription, in offer: SessionDescription, config: SDPAnswerConfiguration,
        port: UInt16, ssrc: UInt32, key: (SDPCryptoSuite) -> [UInt8],
        codec: (UInt8, SDPRTPMap, SDPFormatParameters?) -> SDPFormatParameters?
    ) throws(RTPError) -> SDPMediaDescription? {
        guard offered.port != 0, answerableProtocols.contains(offered.proto) else { return nil }

        var chosen: (UInt8, SDPRTPMap, SDPFormatParameters)?
        for pt in offered.formats {
            guard let map = offered.rtpmaps[pt], let fmtp = codec(pt, map, offered.fmtps[pt]) else { continue }
            chosen = (pt, map, fmtp)
            break
        }
        guard let (pt, map, fmtp) = chosen else { return nil }

        // ffmpeg writes a=crypto under RTP/AVP: keys are used whatever the profile says.
        var crypto: [SDPCryptoAttribute] = []
        if let pick = offered.crypto.first(where: { config.cryptoSuites.contains($0.suite) }) {
            crypto = [try SDPCryptoAttribute(tag: pick.tag, suite: pick.suite, keyAndSalt: key(pick.suite))]
        } else if offered.isSecure || !config.acceptsUnencrypted {
            return nil
        }

        let offeredDirection = offer.direction(for: offered)
        let direction: SDPDirection? = offered.direction == nil && offer.direction == nil ? nil : offeredDirection.reversed
        let supportedFeedback: [SDPRTCPFeedback] = [.nack(pt), .pli(pt), .fir(pt), .transportCC(pt)]
        var feedback: [SDPRTCPFeedback] = []
        for entry in offered.feedback(for: pt) {
            guard let match = supportedFeedback.first(where: { $0.isSameFeedback(as: entry) }),
                  !feedback.contains(match) else { continue }
            feedback.append(match)
        }
        let known = supportedExtensions(offered.kind)
        let extmaps = offered.extmaps
            .filter { known.contains($0.uri) && $0.direction != .inactive }
            .map { SDPExtmap(id: $0.id, uri: $0.uri) }
        let sends = (direction ?? .sendrecv).sends

        return SDPMediaDescription(
            kind: offered.kind, port: port, proto: offered.proto, formats: [pt],
            direction: direction, rtcpMux: offered.rtcpMux,
            rtpmaps: [pt: map], fmtps: fmtp.isEmpty ? [:] : [pt: fmtp],
            rtcpFeedback: feedback, extmaps: extmaps,
            ssrcs: sends ? [.cname(ssrc, config.cname)] : [],
            crypto: crypto, mid: offered.mid)
    }
}
