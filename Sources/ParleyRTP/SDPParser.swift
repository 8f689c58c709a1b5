/// Reads SDP text into a `SessionDescription`, line by line.
struct SDPParser {
    private var description = SessionDescription()
    private var seenOrigin = false
    private var seenName = false
    private var seenSessionConnection = false
    private var seenTiming = false
    private var sessionKnownCount = 0

    /// The media section being read.
    private var section: SDPMediaDescription?
    private var sectionLine = 0
    private var sectionKnownCount = 0
    private var rtpmapLines: [UInt8: Int] = [:]
    private var fmtpLines: [UInt8: Int] = [:]
    private var seenMediaAttribute: [String: Int] = [:]

    static func parse(_ text: String) throws(RTPError) -> SessionDescription {
        var parser = SDPParser()
        var seenVersion = false
        var lineNumber = 0
        // Lines end in CRLF, LF or CR (Swift sees CRLF as one Character); whitespace at
        // either end of a line is dropped.
        let lines = text.split(omittingEmptySubsequences: false,
                               whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
        for raw in lines {
            lineNumber += 1
            var line = SDPText.trimmed(raw)
            if lineNumber == 1, line.first == "\u{FEFF}" { line = SDPText.trimmed(line.dropFirst()) }
            if line.isEmpty { continue }
            if !seenVersion {
                guard line.hasPrefix("v=") else {
                    throw .sdp(line: lineNumber, reason: "a session description starts with v=0; "
                        + "this text starts with something else, so it is probably not an SDP file")
                }
                guard line == "v=0" else {
                    throw .sdp(line: lineNumber, reason: "\(line) is not a known SDP version; only v=0 exists (RFC 8866)")
                }
                seenVersion = true
                continue
            }
            try parser.read(line, lineNumber)
        }
        guard seenVersion else {
            throw .sdp(line: max(lineNumber, 1), reason: "the text is empty; a session description starts with v=0")
        }
        try parser.finishSection()
        parser.placeRepeatedTimingLines()
        return parser.description
    }

    private mutating func read(_ line: Substring, _ n: Int) throws(RTPError) {
        let chars = line.prefix(2)
        guard chars.count == 2, chars.last == "=", let type = chars.first else {
            keep(line)
            return
        }
        let value = line.dropFirst(2)
        if type == "m" {
            try finishSection()
            try startSection(value, n)
            return
        }
        if section != nil {
            try readMediaLine(type, value, line, n)
        } else {
            try readSessionLine(type, value, line, n)
        }
    }

    // MARK: Session part

    private mutating func readSessionLine(_ type: Character, _ value: Substring, _ line: Substring, _ n: Int) throws(RTPError) {
        switch type {
        case "v":
            throw .sdp(line: n, reason: "a second v= line; one file holds one session description")
        case "o":
            guard !seenOrigin else { throw .sdp(line: n, reason: "a second o= line; a session has one origin") }
            description.origin = try SDPOrigin.parse(value, line: n)
            seenOrigin = true
        case "s":
            guard !seenName else { throw .sdp(line: n, reason: "a second s= line; a session has one name") }
            description.sessionName = String(value)
            seenName = true
        case "c":
            guard !seenSessionConnection else {
                throw .sdp(line: n, reason: "a second session-level c= line; put per-stream addresses after their m= line")
            }
            description.connection = try SDPConnection.parse(value, line: n)
            seenSessionConnection = true
        case "b":
            description.bandwidths.append(try SDPBandwidth.parse(value, line: n))
        case "t" where !seenTiming:
            description.timing = try SDPTiming.parse(value, line: n)
            seenTiming = true
        case "a":
            let attribute = SDPAttribute(parsing: value)
            guard attribute.hasValidName else {
                keep(line)
                return
            }
            description.attributes.append(attribute)
        default:
            keep(line)
            return
        }
        sessionKnownCount += 1
    }

    // MARK: Media sections

    private mutating func startSection(_ value: Substring, _ n: Int) throws(RTPError) {
        let fields = SDPText.words(value)
        guard fields.count >= 4 else {
            throw .sdp(line: n, reason: "m= needs the media, a port, a protocol and at least one format, "
                + "e.g. m=audio 5004 RTP/AVP 111")
        }
        let portParts = fields[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portParts.count <= 2, let port = SDPText.number(portParts[0], as: UInt16.self) else {
            throw .sdp(line: n, reason: "m=\(fields[0]): the port \"\(fields[1])\" is not a number from 0 to 65535")
        }
        let proto = String(fields[2])
        var media = SDPMediaDescription(kind: SDPMediaKind(name: String(fields[0])), port: port, proto: proto, formats: [])
        if portParts.count == 2 {
            guard let count = SDPText.number(portParts[1], as: UInt16.self), count > 0 else {
                throw .sdp(line: n, reason: "m=\(fields[0]): the port count in \"\(fields[1])\" is not a positive number")
            }
            media.portCount = count
        }
        if media.isRTP {
            for format in fields.dropFirst(3) {
                guard let pt = SDPText.payloadType(format) else {
                    throw .sdp(line: n, reason: "m=\(fields[0]): the format \"\(format)\" is not an RTP payload type "
                        + "(a number from 0 to 127) as \(proto) needs")
                }
                media.formats.append(pt)
            }
        } else {
            media.nonRTPFormats = fields.dropFirst(3).map(String.init)
        }
        section = media
        sectionLine = n
        sectionKnownCount = 0
        rtpmapLines = [:]
        fmtpLines = [:]
        seenMediaAttribute = [:]
    }

    private mutating func finishSection() throws(RTPError) {
        guard var media = section else { return }
        if media.isRTP && media.rtcpMux {
            // A repeated a=rtcp-mux is kept; it must be written after the interpreted one.
            let index = (media.connection == nil ? 0 : 1) + media.bandwidths.count + (media.mid == nil ? 0 : 1)
                + (media.direction == nil ? 0 : 1) + (media.rtcp == nil ? 0 : 1)
            SDPLine.place(&media.otherLines, after: index) { $0.text == "a=rtcp-mux" }
        }
        for (pt, line) in fmtpLines.sorted(by: { $0.value < $1.value }) {
            if let problem = media.fmtps[pt]?.problem(for: media.rtpmaps[pt]) {
                throw .sdp(line: line, reason: "a=fmtp:\(pt): \(problem)")
            }
        }
        description.media.append(media)
        section = nil
    }

    private mutating func readMediaLine(_ type: Character, _ value: Substring, _ line: Substring, _ n: Int) throws(RTPError) {
        switch type {
        case "v":
            throw .sdp(line: n, reason: "a second v= line; one file holds one session description")
        case "o", "s", "t":
            throw .sdp(line: n, reason: "\(type)= belongs in the session part, before the first m= line (m= on line \(sectionLine))")
        case "c":
            guard section!.connection == nil else {
                throw .sdp(line: n, reason: "a second c= line in the media section of line \(sectionLine)")
            }
            section!.connection = try SDPConnection.parse(value, line: n)
        case "b":
            section!.bandwidths.append(try SDPBandwidth.parse(value, line: n))
        case "a":
            guard try readMediaAttribute(SDPAttribute(parsing: value), n) else {
                keep(line)
                return
            }
        default:
            keep(line)
            return
        }
        sectionKnownCount += 1
    }

    /// Reads a known media attribute into the section; false when it is kept as text.
    private mutating func readMediaAttribute(_ attribute: SDPAttribute, _ n: Int) throws(RTPError) -> Bool {
        let name = attribute.name
        let value = Substring(attribute.value ?? "")
        let rtpOnly: Set<String> = ["rtpmap", "fmtp", "rtcp-fb", "extmap", "ssrc", "crypto", "rtcp", "rtcp-mux", "ptime", "maxptime"]
        if rtpOnly.contains(name) && !section!.isRTP { return false }

        func needsValue() throws(RTPError) {
            if attribute.value == nil || value.isEmpty {
                throw .sdp(line: n, reason: "a=\(name) needs a value after \"a=\(name):\"")
            }
        }
        func once() throws(RTPError) {
            if let first = seenMediaAttribute[name] {
                throw .sdp(line: n, reason: "a second a=\(name) in one media section (the first is on line \(first))")
            }
            seenMediaAttribute[name] = n
        }

        switch name {
        case "rtpmap":
            try needsValue()
            let (pt, map) = try SDPRTPMap.parse(value, line: n)
            if let first = rtpmapLines[pt] {
                throw .sdp(line: n, reason: "a second a=rtpmap for payload type \(pt) (the first is on line \(first))")
            }
            rtpmapLines[pt] = n
            section!.rtpmaps[pt] = map
        case "fmtp":
            try needsValue()
            let (pt, parameters) = try SDPFormatParameters.parse(value, line: n)
            if let first = fmtpLines[pt] {
                throw .sdp(line: n, reason: "a second a=fmtp for payload type \(pt) (the first is on line \(first)); "
                    + "put all parameters on one line separated by ;")
            }
            fmtpLines[pt] = n
            section!.fmtps[pt] = parameters
        case "rtcp-fb":
            try needsValue()
            section!.rtcpFeedback.append(try SDPRTCPFeedback.parse(value, line: n))
        case "extmap":
            try needsValue()
            let extmap = try SDPExtmap.parse(value, line: n)
            if section!.extmaps.contains(where: { $0.id == extmap.id }) {
                throw .sdp(line: n, reason: "a=extmap id \(extmap.id) is mapped twice in one media section")
            }
            section!.extmaps.append(extmap)
        case "ssrc":
            try needsValue()
            section!.ssrcs.append(try SDPSSRCAttribute.parse(value, line: n))
        case "crypto":
            try needsValue()
            guard let crypto = try SDPCryptoAttribute.parse(value, line: n) else { return false }
            section!.crypto.append(crypto)
        case "rtcp-mux":
            guard attribute.value == nil else {
                throw .sdp(line: n, reason: "a=rtcp-mux takes no value; write just a=rtcp-mux")
            }
            if section!.rtcpMux { return false }
            section!.rtcpMux = true
        case "rtcp":
            try needsValue()
            try once()
            section!.rtcp = try SDPRTCPAttribute.parse(value, line: n)
        case "ptime", "maxptime":
            try needsValue()
            try once()
            guard let number = Double(String(value)), number.isFinite, number > 0,
                  value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) else {
                throw .sdp(line: n, reason: "a=\(name) \"\(value)\" is not a positive number of milliseconds")
            }
            if name == "ptime" { section!.ptime = number } else { section!.maxptime = number }
        case "mid":
            try needsValue()
            try once()
            section!.mid = String(value)
        case "sendrecv", "sendonly", "recvonly", "inactive":
            guard attribute.value == nil else { return false }
            if let first = seenMediaAttribute["direction"] {
                throw .sdp(line: n, reason: "a second direction attribute (a=\(name)) in one media section "
                    + "(the first is on line \(first)); keep one of sendrecv, sendonly, recvonly, inactive")
            }
            seenMediaAttribute["direction"] = n
            section!.direction = SDPDirection(rawValue: name)
        default:
            return false
        }
        return true
    }

    /// Kept `t=` lines (further time periods) must be written after the interpreted one.
    private mutating func placeRepeatedTimingLines() {
        let index = 2 + (description.connection == nil ? 0 : 1) + description.bandwidths.count
        SDPLine.place(&description.otherLines, after: index) { $0.type == "t" }
    }

    // MARK: Kept lines

    private mutating func keep(_ line: Substring) {
        if section != nil {
            section!.otherLines.append(SDPLine(String(line), position: sectionKnownCount))
        } else {
            description.otherLines.append(SDPLine(String(line), position: sessionKnownCount))
        }
    }
}
