import ParleyCore

/// The header extension ids Parley maps (RFC 8285), the same in every media section.
public struct SDPExtensionIDs: Equatable, Sendable {
    public var audioLevel: UInt16
    public var absSendTime: UInt16
    public var transportWideCC: UInt16

    public init(audioLevel: UInt16 = 1, absSendTime: UInt16 = 2, transportWideCC: UInt16 = 3) {
        self.audioLevel = audioLevel
        self.absSendTime = absSendTime
        self.transportWideCC = transportWideCC
    }
}

/// What `SessionDescription.offer(_:)` describes: the streams `parley send` sends, and
/// the address and ports a receiver (ffmpeg, GStreamer, another Parley) listens on.
public struct SDPOfferConfiguration: Equatable, Sendable {
    public struct Audio: Equatable, Sendable {
        public var port: UInt16
        public var ssrc: UInt32
        /// Dynamic payload type (96…127); WebRTC uses 111.
        public var payloadType: UInt8
        /// Adds `stereo=1;sprop-stereo=1` to the fmtp.
        public var stereo: Bool
        public var useInbandFEC: Bool
        public var useDTX: Bool
        public var maxAverageBitrate: Int?
        /// `a=ptime`, the packet duration in milliseconds.
        public var ptime: Int?
        /// SDES key; the section is `RTP/SAVP` when set, `RTP/AVP` otherwise.
        public var crypto: SDPCryptoAttribute?

        public init(port: UInt16, ssrc: UInt32, payloadType: UInt8 = 111, stereo: Bool = false,
                    useInbandFEC: Bool = true, useDTX: Bool = false, maxAverageBitrate: Int? = nil,
                    ptime: Int? = 20, crypto: SDPCryptoAttribute? = nil) {
            self.port = port
            self.ssrc = ssrc
            self.payloadType = payloadType
            self.stereo = stereo
            self.useInbandFEC = useInbandFEC
            self.useDTX = useDTX
            self.maxAverageBitrate = maxAverageBitrate
            self.ptime = ptime
            self.crypto = crypto
        }
    }

    public struct Video: Equatable, Sendable {
        public var port: UInt16
        public var ssrc: UInt32
        public var codec: VideoCodecKind
        /// Nil: 96 for VP8, 98 for VP9.
        public var payloadType: UInt8?
        /// SDES key; the section is `RTP/SAVPF` when set, `RTP/AVPF` otherwise.
        public var crypto: SDPCryptoAttribute?

        public init(port: UInt16, ssrc: UInt32, codec: VideoCodecKind = .vp8, payloadType: UInt8? = nil,
                    crypto: SDPCryptoAttribute? = nil) {
            self.port = port
            self.ssrc = ssrc
            self.codec = codec
            self.payloadType = payloadType
            self.crypto = crypto
        }

        /// The payload type written: `payloadType`, or 96 for VP8 and 98 for VP9.
        public var effectivePayloadType: UInt8 {
            payloadType ?? (codec == .vp8 ? 96 : 98)
        }
    }

    /// The receiver's address: the session `c=` line. IP6 when it contains a colon.
    public var address: String
    /// The `o=` address; nil uses `address`.
    public var originAddress: String?
    public var sessionId: UInt64
    public var sessionVersion: UInt64
    public var sessionName: String
    /// The RTCP CNAME written in `a=ssrc:<ssrc> cname:<cname>`.
    public var cname: String
    /// A direction attribute for every section; nil writes none (sendrecv), like ffmpeg.
    public var direction: SDPDirection?
    /// `a=rtcp-mux` in every section (RFC 5761).
    public var rtcpMux: Bool
    public var extensionIDs: SDPExtensionIDs
    public var audio: Audio?
    public var video: Video?

    public init(address: String, originAddress: String? = nil, sessionId: UInt64 = 0, sessionVersion: UInt64 = 0,
                sessionName: String = "Parley", cname: String, direction: SDPDirection? = nil, rtcpMux: Bool = true,
                extensionIDs: SDPExtensionIDs = SDPExtensionIDs(), audio: Audio? = nil, video: Video? = nil) {
        self.address = address
        self.originAddress = originAddress
        self.sessionId = sessionId
        self.sessionVersion = sessionVersion
        self.sessionName = sessionName
        self.cname = cname
        self.direction = direction
        self.rtcpMux = rtcpMux
        self.extensionIDs = extensionIDs
        self.audio = audio
        self.video = video
    }
}

extension SessionDescription {
    /// The feedback Parley's video asks for: nack, nack pli, ccm fir, transport-cc.
    public static func parleyVideoFeedback(_ pt: UInt8) -> [SDPRTCPFeedback] {
        [.nack(pt), .pli(pt), .fir(pt), .transportCC(pt)]
    }

    /// Parley's own description for `parley send`: Opus 48000/2 and VP8 or VP9, SDES keys,
    /// rtcp-mux, CNAME and header extensions. ffmpeg reads it with
    /// `ffmpeg -protocol_whitelist file,udp,rtp,srtp -i out.sdp` when the suite is
    /// AES_CM_128_HMAC_SHA1_80 or _32 (ffmpeg has no GCM); the keys are written without
    /// lifetime or MKI because ffmpeg reads everything after `inline:` as the key.
    ///
    /// Throws `.malformed` for a configuration that would not make a valid description:
    /// no media, a payload type outside 96…127 or shared by audio and video, a text field
    /// with spaces, an extension id outside 1…14, or audio and video ports less than 2 apart.
    public static func offer(_ configuration: SDPOfferConfiguration) throws(RTPError) -> SessionDescription {
        func invalid(_ reason: String) -> RTPError { .malformed(what: "SDP offer", reason: reason) }
        let config = configuration
        guard config.audio != nil || config.video != nil else {
            throw invalid("it has neither audio nor video; configure at least one stream")
        }
        for (name, text) in [("address", config.address), ("cname", config.cname), ("origin address", config.originAddress ?? "x")]
        where text.isEmpty || text.contains(where: { $0.isWhitespace }) {
            throw invalid("the \(name) \"\(text)\" must be one word without spaces")
        }
        if config.sessionName.contains(where: { $0.isNewline }) {
            throw invalid("the session name must be one line")
        }
        let ids = config.extensionIDs
        for id in [ids.audioLevel, ids.absSendTime, ids.transportWideCC] where !(1...14).contains(id) {
            throw invalid("header extension id \(id) must be from 1 to 14 (one-byte headers, RFC 8285)")
        }
        if Set([ids.audioLevel, ids.absSendTime, ids.transportWideCC]).count != 3 {
            throw invalid("the three header extensions need three different ids")
        }
        if let audio = config.audio, !(96...127).contains(audio.payloadType) {
            throw invalid("the audio payload type \(audio.payloadType) must be a dynamic one, from 96 to 127")
        }
        if let video = config.video, !(96...127).contains(video.effectivePayloadType) {
            throw invalid("the video payload type \(video.effectivePayloadType) must be a dynamic one, from 96 to 127")
        }
        if let audio = config.audio, let video = config.video, audio.payloadType == video.effectivePayloadType {
            throw invalid("audio and video both use payload type \(audio.payloadType); give them different ones")
        }

        if let audio = config.audio, let video = config.video, audio.port != 0, video.port != 0,
           abs(Int(audio.port) - Int(video.port)) < 2 {
            throw invalid("audio port \(audio.port) and video port \(video.port) are too close: receivers such as ffmpeg "
                + "take port + 1 for RTCP, so keep the ports at least 2 apart (e.g. 5004 and 5006)")
        }

        let connection = SDPConnection(address: config.address)
        let originAddress = config.originAddress ?? config.address
        var description = SessionDescription(
            origin: SDPOrigin(username: "-", sessionId: config.sessionId, sessionVersion: config.sessionVersion,
                              addrType: originAddress.contains(":") ? "IP6" : "IP4", address: originAddress),
            sessionName: config.sessionName,
            connection: connection)

        if let audio = config.audio {
            let pt = audio.payloadType
            var fmtp = SDPFormatParameters()
            fmtp.minPTime = 10
            fmtp.useInbandFEC = audio.useInbandFEC
            if audio.stereo {
                fmtp.stereo = true
                fmtp.spropStereo = true
            }
            if audio.useDTX { fmtp.useDTX = true }
            if let rate = audio.maxAverageBitrate { fmtp.maxAverageBitrate = rate }
            description.media.append(SDPMediaDescription(
                kind: .audio, port: audio.port, proto: audio.crypto == nil ? "RTP/AVP" : "RTP/SAVP", formats: [pt],
                direction: config.direction, rtcpMux: config.rtcpMux,
                rtpmaps: [pt: .opus], fmtps: [pt: fmtp],
                extmaps: [SDPExtmap(id: ids.audioLevel, uri: SDPExtmap.audioLevelURI),
                          SDPExtmap(id: ids.absSendTime, uri: SDPExtmap.absSendTimeURI),
                          SDPExtmap(id: ids.transportWideCC, uri: SDPExtmap.transportWideCCURI)],
                ssrcs: [.cname(audio.ssrc, config.cname)],
                crypto: audio.crypto.map { [$0] } ?? [],
                ptime: audio.ptime.map(Double.init)))
        }
        if let video = config.video {
            let pt = video.effectivePayloadType
            var fmtps: [UInt8: SDPFormatParameters] = [:]
            if video.codec == .vp9 {
                var fmtp = SDPFormatParameters()
                fmtp.vp9ProfileID = 0
                fmtps[pt] = fmtp
            }
            description.media.append(SDPMediaDescription(
                kind: .video, port: video.port, proto: video.crypto == nil ? "RTP/AVPF" : "RTP/SAVPF", formats: [pt],
                direction: config.direction, rtcpMux: config.rtcpMux,
                rtpmaps: [pt: video.codec == .vp8 ? .vp8 : .vp9], fmtps: fmtps,
                rtcpFeedback: parleyVideoFeedback(pt),
                extmaps: [SDPExtmap(id: ids.absSendTime, uri: SDPExtmap.absSendTimeURI),
                          SDPExtmap(id: ids.transportWideCC, uri: SDPExtmap.transportWideCCURI)],
                ssrcs: [.cname(video.ssrc, config.cname)],
                crypto: video.crypto.map { [$0] } ?? []))
        }
        return description
    }
}
