/// What an `m=` line carries.
public enum SDPMediaKind: Equatable, Hashable, Sendable {
    case audio
    case video
    /// `application`, `text`, `message`, …
    case other(String)

    public init(name: String) {
        switch name {
        case "audio": self = .audio
        case "video": self = .video
        default: self = .other(name)
        }
    }

    public var name: String {
        switch self {
        case .audio: return "audio"
        case .video: return "video"
        case .other(let name): return name
        }
    }
}

/// One media section: an `m=` line and the lines after it up to the next `m=`.
///
/// The attributes Parley uses are typed; everything else is kept in `otherLines` and
/// written back by `serialized()`. The known lines are written in this order: `m=`, `c=`,
/// `b=`, `a=mid`, direction, `a=rtcp`, `a=rtcp-mux`, `a=extmap`, `a=rtpmap` then `a=fmtp`
/// (payload types in `formats` order, then others by number), `a=rtcp-fb`, `a=crypto`
/// (last of the codec lines, as ffmpeg writes it), `a=ptime`, `a=maxptime`, `a=ssrc`.
///
/// RTP attributes (rtpmap, fmtp, rtcp-fb, extmap, ssrc, crypto, rtcp, rtcp-mux, ptime,
/// maxptime) are read only when `proto` is an RTP profile; in other sections
/// (`m=application 9 UDP/DTLS/SCTP webrtc-datachannel`) they are kept as other lines.
public struct SDPMediaDescription: Equatable, Sendable {
    public var kind: SDPMediaKind
    /// 0 rejects or disables the section (RFC 3264).
    public var port: UInt16
    /// The `/n` after the port: consecutive ports used (nil when not written).
    public var portCount: UInt16?
    /// `RTP/AVP`, `RTP/AVPF`, `RTP/SAVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, …
    public var proto: String
    /// RTP payload types, in order of preference.
    public var formats: [UInt8]
    /// The formats of a section whose protocol is not RTP (`webrtc-datachannel`).
    public var nonRTPFormats: [String]
    /// Media-level `c=`; nil means the session-level one applies.
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    /// Nil when the section has no direction attribute (then the session's, or sendrecv, applies).
    public var direction: SDPDirection?
    /// `a=rtcp-mux` (RFC 5761): RTCP shares the RTP port.
    public var rtcpMux: Bool
    /// `a=rtcp:` (RFC 3605).
    public var rtcp: SDPRTCPAttribute?
    public var rtpmaps: [UInt8: SDPRTPMap]
    public var fmtps: [UInt8: SDPFormatParameters]
    public var rtcpFeedback: [SDPRTCPFeedback]
    public var extmaps: [SDPExtmap]
    public var ssrcs: [SDPSSRCAttribute]
    public var crypto: [SDPCryptoAttribute]
    /// `a=ptime` in milliseconds.
    public var ptime: Double?
    /// `a=maxptime` in milliseconds.
    public var maxptime: Double?
    /// `a=mid` (RFC 5888).
    public var mid: String?
    /// Lines and attributes kept as text; see `SDPLine.position`.
    public var otherLines: [SDPLine]

    public init(kind: SDPMediaKind, port: UInt16, portCount: UInt16? = nil, proto: String, formats: [UInt8],
                nonRTPFormats: [String] = [], connection: SDPConnection? = nil, bandwidths: [SDPBandwidth] = [],
                direction: SDPDirection? = nil, rtcpMux: Bool = false, rtcp: SDPRTCPAttribute? = nil,
                rtpmaps: [UInt8: SDPRTPMap] = [:], fmtps: [UInt8: SDPFormatParameters] = [:],
                rtcpFeedback: [SDPRTCPFeedback] = [], extmaps: [SDPExtmap] = [], ssrcs: [SDPSSRCAttribute] = [],
                crypto: [SDPCryptoAttribute] = [], ptime: Double? = nil, maxptime: Double? = nil, mid: String? = nil,
                otherLines: [SDPLine] = []) {
        self.kind = kind
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.nonRTPFormats = nonRTPFormats
        self.connection = connection
        self.bandwidths = bandwidths
        self.direction = direction
        self.rtcpMux = rtcpMux
        self.rtcp = rtcp
        self.rtpmaps = rtpmaps
        self.fmtps = fmtps
        self.rtcpFeedback = rtcpFeedback
        self.extmaps = extmaps
        self.ssrcs = ssrcs
        self.crypto = crypto
        self.ptime = ptime
        self.maxptime = maxptime
        self.mid = mid
        self.otherLines = otherLines
    }

    // MARK: Reading

    /// Whether `proto` is an RTP profile (`RTP/AVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVPF`, …).
    public var isRTP: Bool { SDPMediaDescription.isRTP(proto) }

    /// Whether `proto` is a secure RTP profile (SAVP or SAVPF).
    public var isSecure: Bool { proto.contains("SAVP") }

    /// Whether `proto` is a feedback profile (AVPF or SAVPF, RFC 4585).
    public var hasFeedbackProfile: Bool { proto.hasSuffix("AVPF") }

    static func isRTP(_ proto: String) -> Bool { proto.hasPrefix("RTP/") || proto.contains("/RTP/") }

    /// The attributes in `otherLines`, such as `ice-ufrag` or `msid`.
    public var otherAttributes: [SDPAttribute] { otherLines.compactMap(\.attribute) }

    /// The first kept attribute named `name`.
    public func otherAttribute(_ name: String) -> SDPAttribute? {
        otherAttributes.first(where: { $0.name == name })
    }

    /// The payload types in `formats` order, then those only named by attributes, by number.
    var payloadTypesInOrder: [UInt8] {
        var seen = Set<UInt8>()
        var order: [UInt8] = []
        for pt in formats where seen.insert(pt).inserted { order.append(pt) }
        let extra = Set(rtpmaps.keys).union(fmtps.keys).subtracting(seen)
        return order + extra.sorted()
    }

    /// The first payload type in `formats` whose rtpmap names `encoding` at `clockRate`.
    public func payloadType(encoding: String, clockRate: UInt32? = nil) -> UInt8? {
        formats.first { pt in
            guard let map = rtpmaps[pt], map.isEncoding(encoding) else { return false }
            return clockRate == nil || map.clockRate == clockRate
        }
    }

    /// The feedback that applies to `pt`: its own entries and the `*` ones.
    public func feedback(for pt: UInt8) -> [SDPRTCPFeedback] {
        rtcpFeedback.filter { $0.applies(to: pt) }
    }

    /// The CNAME of the first `a=ssrc:… cname:` line.
    public var cname: String? {
        ssrcs.first(where: { $0.attribute.lowercased() == "cname" })?.value
    }

    /// The extension id mapped to `uri`, if any.
    public func extensionID(for uri: String) -> UInt16? {
        extmaps.first(where: { $0.uri == uri })?.id
    }

    // MARK: Writing

    /// The `m=` line without its line ending.
    public var mediaLine: String {
        var text = "m=\(kind.name) \(port)"
        if let portCount { text += "/\(portCount)" }
        text += " \(proto)"
        for pt in formats { text += " \(pt)" }
        for format in nonRTPFormats { text += " \(format)" }
        return text
    }

    /// The interpreted lines after `m=`, in canonical order.
    var knownLines: [String] {
        var lines: [String] = []
        if let connection { lines.append("c=" + connection.lineValue) }
        for bandwidth in bandwidths { lines.append("b=" + bandwidth.lineValue) }
        if let mid { lines.append("a=mid:" + mid) }
        if let direction { lines.append("a=" + direction.rawValue) }
        if let rtcp { lines.append("a=rtcp:" + rtcp.attributeValue) }
        if rtcpMux { lines.append("a=rtcp-mux") }
        for extmap in extmaps { lines.append("a=extmap:" + extmap.attributeValue) }
        let order = payloadTypesInOrder
        for pt in order {
            if let map = rtpmaps[pt] { lines.append("a=rtpmap:\(pt) " + map.attributeValue) }
        }
        for pt in order {
            guard let parameters = fmtps[pt] else { continue }
            lines.append(parameters.isEmpty ? "a=fmtp:\(pt)" : "a=fmtp:\(pt) " + parameters.attributeValue)
        }
        for feedback in rtcpFeedback { lines.append("a=rtcp-fb:" + feedback.attributeValue) }
        for attribute in crypto { lines.append("a=crypto:" + attribute.attributeValue) }
        if let ptime { lines.append("a=ptime:" + SDPText.number(ptime)) }
        if let maxptime { lines.append("a=maxptime:" + SDPText.number(maxptime)) }
        for ssrc in ssrcs { lines.append("a=ssrc:" + ssrc.attributeValue) }
        return lines
    }

    /// This section's lines, each without a line ending.
    public func lines() -> [String] {
        [mediaLine] + SDPLine.merge(known: knownLines, other: otherLines)
    }

    /// This section as SDP text, each line ending in CRLF.
    public func serialized() -> String {
        lines().map { $0 + "\r\n" }.joined()
    }
}

extension SDPLine {
    /// Interleaves kept lines with interpreted ones by their positions.
    static func merge(known: [String], other: [SDPLine]) -> [String] {
        guard !other.isEmpty else { return known }
        // A stable sort keeps the written order of lines at the same position.
        let placed = other.enumerated()
            .map { (index: $0.offset, position: min(max($0.element.position, 0), known.count), text: $0.element.text) }
            .sorted { ($0.position, $0.index) < ($1.position, $1.index) }
        var result: [String] = []
        result.reserveCapacity(known.count + other.count)
        var next = 0
        for (index, line) in known.enumerated() {
            while next < placed.count && placed[next].position == index {
                result.append(placed[next].text)
                next += 1
            }
            result.append(line)
        }
        while next < placed.count {
            result.append(placed[next].text)
            next += 1
        }
        return result
    }
}
