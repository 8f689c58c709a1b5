/// An `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` attribute (RFC 8866 §6.6).
public struct SDPRTPMap: Equatable, Sendable {
    /// As written, e.g. `opus`, `VP8`; compare with `isEncoding(_:)`, which ignores case.
    public var encodingName: String
    public var clockRate: UInt32
    /// The encoding parameters: the channel count for audio (`opus/48000/2`).
    public var channels: UInt8?

    public init(encodingName: String, clockRate: UInt32, channels: UInt8? = nil) {
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    /// Opus as RFC 7587 §7 requires it in SDP: `opus/48000/2`, whatever the stream's channels.
    public static let opus = SDPRTPMap(encodingName: "opus", clockRate: 48000, channels: 2)
    /// VP8 (RFC 7741 §6): `VP8/90000`.
    public static let vp8 = SDPRTPMap(encodingName: "VP8", clockRate: 90000)
    /// VP9 (RFC 9628 §6): `VP9/90000`.
    public static let vp9 = SDPRTPMap(encodingName: "VP9", clockRate: 90000)

    /// Whether the encoding name is `name`, ignoring case (`OPUS` and `opus` are the same).
    public func isEncoding(_ name: String) -> Bool {
        encodingName.lowercased() == name.lowercased()
    }

    /// The text after `a=rtpmap:<pt> `.
    public var attributeValue: String {
        if let channels { return "\(encodingName)/\(clockRate)/\(channels)" }
        return "\(encodingName)/\(clockRate)"
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> (UInt8, SDPRTPMap) {
        let (ptText, rest) = SDPText.firstWord(value)
        guard let pt = SDPText.payloadType(ptText) else {
            throw .sdp(line: line, reason: "a=rtpmap: payload type \"\(ptText)\" is not a number from 0 to 127")
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty,
              !parts[0].contains(where: { $0.isWhitespace }) else {
            throw .sdp(line: line, reason: "a=rtpmap:\(pt) should be encoding/clockrate[/channels], e.g. a=rtpmap:111 opus/48000/2")
        }
        guard let clockRate = SDPText.number(parts[1], as: UInt32.self), clockRate > 0 else {
            throw .sdp(line: line, reason: "a=rtpmap:\(pt) clock rate \"\(parts[1])\" is not a positive number")
        }
        var map = SDPRTPMap(encodingName: String(parts[0]), clockRate: clockRate)
        if parts.count == 3 {
            guard let channels = SDPText.number(parts[2], as: UInt8.self), channels > 0 else {
                throw .sdp(line: line, reason: "a=rtpmap:\(pt) channel count \"\(parts[2])\" is not a number from 1 to 255")
            }
            map.channels = channels
        }
        return (pt, map)
    }
}

/// An `a=rtcp:<port> [nettype addrtype address]` attribute (RFC 3605): where RTCP goes
/// when it is not on RTP port + 1.
public struct SDPRTCPAttribute: Equatable, Sendable {
    public var port: UInt16
    public var connection: SDPConnection?

    public init(port: UInt16, connection: SDPConnection? = nil) {
        self.port = port
        self.connection = connection
    }

    /// The text after `a=rtcp:`.
    public var attributeValue: String {
        if let connection { return "\(port) \(connection.lineValue)" }
        return "\(port)"
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPRTCPAttribute {
        let (portText, rest) = SDPText.firstWord(value)
        guard let port = SDPText.number(portText, as: UInt16.self) else {
            throw .sdp(line: line, reason: "a=rtcp: port \"\(portText)\" is not a number from 0 to 65535")
        }
        if rest.isEmpty { return SDPRTCPAttribute(port: port) }
        return SDPRTCPAttribute(port: port, connection: try SDPConnection.parse(rest, line: line, what: "a=rtcp:"))
    }
}

/// An `a=rtcp-fb:<pt|*> <type> [<parameter>]` attribute (RFC 4585 §4.2; RFC 5104 for
/// `ccm fir`; transport-cc and goog-remb from WebRTC).
public struct SDPRTCPFeedback: Equatable, Sendable {
    /// The payload type it applies to; nil for `*`, every payload type of the section.
    public var payloadType: UInt8?
    /// `nack`, `ccm`, `transport-cc`, `goog-remb`, `ack`, `trr-int`, …
    public var type: String
    /// What follows the type: `pli` in `nack pli`, `fir` in `ccm fir`, nil for plain `nack`.
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    /// Generic NACK (RFC 4585): retransmission requests.
    public static func nack(_ pt: UInt8?) -> SDPRTCPFeedback { .init(payloadType: pt, type: "nack") }
    /// Picture loss indication (RFC 4585).
    public static func pli(_ pt: UInt8?) -> SDPRTCPFeedback { .init(payloadType: pt, type: "nack", parameter: "pli") }
    /// Full intra request (RFC 5104).
    public static func fir(_ pt: UInt8?) -> SDPRTCPFeedback { .init(payloadType: pt, type: "ccm", parameter: "fir") }
    /// Transport-wide congestion control feedback.
    public static func transportCC(_ pt: UInt8?) -> SDPRTCPFeedback { .init(payloadType: pt, type: "transport-cc") }
    /// Receiver estimated maximum bitrate.
    public static func googREMB(_ pt: UInt8?) -> SDPRTCPFeedback { .init(payloadType: pt, type: "goog-remb") }

    /// Whether this entry applies to payload type `pt` (its own, or `*`).
    public func applies(to pt: UInt8) -> Bool { payloadType == nil || payloadType == pt }

    /// Whether type and parameter are the same as `other`'s, whatever the payload type.
    public func isSameFeedback(as other: SDPRTCPFeedback) -> Bool {
        type.lowercased() == other.type.lowercased() && parameter?.lowercased() == other.parameter?.lowercased()
    }

    /// The text after `a=rtcp-fb:`.
    public var attributeValue: String {
        let target = payloadType.map(String.init) ?? "*"
        if let parameter { return "\(target) \(type) \(parameter)" }
        return "\(target) \(type)"
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPRTCPFeedback {
        let (target, rest) = SDPText.firstWord(value)
        let pt: UInt8?
        if target == "*" {
            pt = nil
        } else if let number = SDPText.payloadType(target) {
            pt = number
        } else {
            throw .sdp(line: line, reason: "a=rtcp-fb: \"\(target)\" is neither a payload type from 0 to 127 nor *")
        }
        let (type, parameter) = SDPText.firstWord(rest)
        guard !type.isEmpty else {
            throw .sdp(line: line, reason: "a=rtcp-fb:\(target) names no feedback type; write e.g. a=rtcp-fb:\(target) nack pli")
        }
        let trimmed = SDPText.trimmed(parameter)
        return SDPRTCPFeedback(payloadType: pt, type: String(type), parameter: trimmed.isEmpty ? nil : String(trimmed))
    }
}

/// An `a=extmap:<id>[/<direction>] <uri> [<attributes>]` attribute (RFC 8285 §8).
public struct SDPExtmap: Equatable, Sendable {
    /// 1…14 for one-byte headers, 1…255 with two-byte headers, 4096…4351 in offers.
    public var id: UInt16
    public var direction: SDPDirection?
    public var uri: String
    /// Extension attributes after the URI, as written.
    public var attributes: String?

    public init(id: UInt16, direction: SDPDirection? = nil, uri: String, attributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.attributes = attributes
    }

    /// RFC 6464 client-to-mixer audio level.
    public static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
    /// WebRTC absolute send time (24-bit 6.18 fixed point seconds).
    public static let absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// Transport-wide sequence number for transport-cc feedback.
    public static let transportWideCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    /// The text after `a=extmap:`.
    public var attributeValue: String {
        var text = "\(id)"
        if let direction { text += "/\(direction.rawValue)" }
        text += " \(uri)"
        if let attributes { text += " \(attributes)" }
        return text
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPExtmap {
        let (idText, rest) = SDPText.firstWord(value)
        let idParts = idText.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let id = SDPText.number(idParts[0], as: UInt16.self), (1...255).contains(id) || (4096...4351).contains(id) else {
            throw .sdp(line: line, reason: "a=extmap: id \"\(idParts[0])\" must be a number from 1 to 255 (RFC 8285)")
        }
        var extmap = SDPExtmap(id: id, uri: "")
        if idParts.count == 2 {
            guard let direction = SDPDirection(rawValue: String(idParts[1])) else {
                throw .sdp(line: line, reason: "a=extmap:\(id) direction \"\(idParts[1])\" should be sendrecv, sendonly, recvonly or inactive")
            }
            extmap.direction = direction
        }
        let (uri, attributes) = SDPText.firstWord(rest)
        guard !uri.isEmpty else {
            throw .sdp(line: line, reason: "a=extmap:\(id) has no extension URI; write e.g. a=extmap:\(id) \(SDPExtmap.absSendTimeURI)")
        }
        extmap.uri = String(uri)
        let trimmed = SDPText.trimmed(attributes)
        if !trimmed.isEmpty { extmap.attributes = String(trimmed) }
        return extmap
    }
}

/// An `a=ssrc:<ssrc> <attribute>[:<value>]` attribute (RFC 5576 §4.1), e.g. `cname:…`.
public struct SDPSSRCAttribute: Equatable, Sendable {
    public var ssrc: UInt32
    /// `cname`, `msid`, `label`, …
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    /// `a=ssrc:<ssrc> cname:<cname>`.
    public static func cname(_ ssrc: UInt32, _ cname: String) -> SDPSSRCAttribute {
        SDPSSRCAttribute(ssrc: ssrc, attribute: "cname", value: cname)
    }

    /// The text after `a=ssrc:`.
    public var attributeValue: String {
        if let value { return "\(ssrc) \(attribute):\(value)" }
        return "\(ssrc) \(attribute)"
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> SDPSSRCAttribute {
        let (ssrcText, rest) = SDPText.firstWord(value)
        guard let ssrc = SDPText.number(ssrcText, as: UInt32.self) else {
            throw .sdp(line: line, reason: "a=ssrc: \"\(ssrcText)\" is not an SSRC, a number from 0 to \(UInt32.max)")
        }
        let attribute = SDPAttribute(parsing: rest)
        guard attribute.hasValidName else {
            throw .sdp(line: line, reason: "a=ssrc:\(ssrc) names no source attribute; write e.g. a=ssrc:\(ssrc) cname:parley")
        }
        return SDPSSRCAttribute(ssrc: ssrc, attribute: attribute.name, value: attribute.value)
    }
}
