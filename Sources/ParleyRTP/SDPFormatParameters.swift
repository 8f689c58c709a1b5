/// The parameters of an `a=fmtp:<pt> …` attribute, in their written order.
///
/// Most codecs write `name=value` pairs separated by `;` (RFC 7587 §7 for Opus,
/// RFC 7741 §6 for VP8, RFC 9628 §6 for VP9); a parameter without `=` (such as
/// telephone-event's `0-15`) is kept with a nil value. Typed accessors read the
/// parameters Parley uses and return nil when absent or not understood.
public struct SDPFormatParameters: Equatable, Sendable {
    public struct Parameter: Equatable, Sendable {
        public var name: String
        public var value: String?

        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    public var parameters: [Parameter]

    public init(_ parameters: [Parameter] = []) {
        self.parameters = parameters
    }

    /// Parameters from `(name, value)` pairs, in order.
    public init(_ pairs: KeyValuePairs<String, String>) {
        parameters = pairs.map { Parameter($0.key, $0.value) }
    }

    public var isEmpty: Bool { parameters.isEmpty }

    /// The value of the first parameter named `name` (ignoring case); setting nil removes
    /// every parameter of that name, setting a value replaces the first or appends.
    public subscript(name: String) -> String? {
        get {
            let key = name.lowercased()
            return parameters.first(where: { $0.name.lowercased() == key })?.value
        }
        set {
            let key = name.lowercased()
            guard let newValue else {
                parameters.removeAll(where: { $0.name.lowercased() == key })
                return
            }
            if let index = parameters.firstIndex(where: { $0.name.lowercased() == key }) {
                parameters[index].value = newValue
            } else {
                parameters.append(Parameter(name, newValue))
            }
        }
    }

    /// Whether a parameter named `name` is present (with or without a value).
    public func contains(_ name: String) -> Bool {
        let key = name.lowercased()
        return parameters.contains(where: { $0.name.lowercased() == key })
    }

    // MARK: Typed accessors

    func flag(_ name: String) -> Bool? {
        switch self[name] {
        case "1": return true
        case "0": return false
        default: return nil
        }
    }

    mutating func setFlag(_ name: String, _ value: Bool?) {
        self[name] = value.map { $0 ? "1" : "0" }
    }

    func integer(_ name: String) -> Int? {
        guard let text = self[name], let value = SDPText.number(Substring(text), as: UInt32.self) else { return nil }
        return Int(value)
    }

    mutating func setInteger(_ name: String, _ value: Int?) {
        self[name] = value.map(String.init)
    }

    /// Opus `useinbandfec`: the receiver can use in-band FEC (RFC 7587 §7).
    public var useInbandFEC: Bool? {
        get { flag("useinbandfec") }
        set { setFlag("useinbandfec", newValue) }
    }

    /// Opus `stereo`: the receiver prefers stereo.
    public var stereo: Bool? {
        get { flag("stereo") }
        set { setFlag("stereo", newValue) }
    }

    /// Opus `sprop-stereo`: the sender is likely to send stereo.
    public var spropStereo: Bool? {
        get { flag("sprop-stereo") }
        set { setFlag("sprop-stereo", newValue) }
    }

    /// Opus `usedtx`: the receiver prefers discontinuous transmission.
    public var useDTX: Bool? {
        get { flag("usedtx") }
        set { setFlag("usedtx", newValue) }
    }

    /// Opus `cbr`: the receiver prefers constant bitrate.
    public var constantBitrate: Bool? {
        get { flag("cbr") }
        set { setFlag("cbr", newValue) }
    }

    /// Opus `maxaveragebitrate` in bits per second (6000…510000 are meaningful).
    public var maxAverageBitrate: Int? {
        get { integer("maxaveragebitrate") }
        set { setInteger("maxaveragebitrate", newValue) }
    }

    /// Opus `maxplaybackrate` in Hz (8000…48000).
    public var maxPlaybackRate: Int? {
        get { integer("maxplaybackrate") }
        set { setInteger("maxplaybackrate", newValue) }
    }

    /// Opus `sprop-maxcapturerate` in Hz.
    public var spropMaxCaptureRate: Int? {
        get { integer("sprop-maxcapturerate") }
        set { setInteger("sprop-maxcapturerate", newValue) }
    }

    /// `minptime` in milliseconds (Opus; WebRTC writes `minptime=10`).
    public var minPTime: Int? {
        get { integer("minptime") }
        set { setInteger("minptime", newValue) }
    }

    /// VP9 `profile-id` (RFC 9628 §6): 0 is 8-bit 4:2:0, the profile Parley encodes.
    public var vp9ProfileID: Int? {
        get { integer("profile-id") }
        set { setInteger("profile-id", newValue) }
    }

    /// VP8/VP9 `max-fr`: the highest frame rate the receiver decodes.
    public var maxFrameRate: Int? {
        get { integer("max-fr") }
        set { setInteger("max-fr", newValue) }
    }

    /// VP8/VP9 `max-fs`: the largest frame the receiver decodes, in 16×16 macroblocks.
    public var maxFrameSize: Int? {
        get { integer("max-fs") }
        set { setInteger("max-fs", newValue) }
    }

    // MARK: Text

    /// The text after `a=fmtp:<pt> `, parameters joined with `;`.
    public var attributeValue: String {
        parameters.map { parameter in
            if let value = parameter.value { return "\(parameter.name)=\(value)" }
            return parameter.name
        }.joined(separator: ";")
    }

    static func parse(_ value: Substring, line: Int) throws(RTPError) -> (UInt8, SDPFormatParameters) {
        let (ptText, rest) = SDPText.firstWord(value)
        guard let pt = SDPText.payloadType(ptText) else {
            throw .sdp(line: line, reason: "a=fmtp: payload type \"\(ptText)\" is not a number from 0 to 127")
        }
        var parameters: [Parameter] = []
        for item in rest.split(separator: ";") {
            let text = SDPText.trimmed(item)
            if text.isEmpty { continue }
            if let equals = text.firstIndex(of: "=") {
                let name = SDPText.trimmed(text[..<equals])
                guard !name.isEmpty else {
                    throw .sdp(line: line, reason: "a=fmtp:\(pt) has a parameter with no name before \"=\"")
                }
                parameters.append(Parameter(String(name), String(SDPText.trimmed(text[text.index(after: equals)...]))))
            } else {
                parameters.append(Parameter(String(text), nil))
            }
        }
        return (pt, SDPFormatParameters(parameters))
    }

    /// Checks the values of the parameters Parley reads, for the codec named by `rtpmap`:
    /// returns what is wrong, or nil.
    func problem(for rtpmap: SDPRTPMap?) -> String? {
        guard let rtpmap else { return nil }
        if rtpmap.isEncoding("opus") {
            for name in ["useinbandfec", "stereo", "sprop-stereo", "usedtx", "cbr"] where contains(name) {
                if flag(name) == nil { return "Opus \(name) must be 0 or 1 (RFC 7587), not \"\(self[name] ?? "")\"" }
            }
            for name in ["maxaveragebitrate", "maxplaybackrate", "sprop-maxcapturerate", "minptime", "ptime", "maxptime"]
            where contains(name) {
                if integer(name) == nil { return "Opus \(name) must be a whole number, not \"\(self[name] ?? "")\"" }
            }
        } else if rtpmap.isEncoding("VP9") {
            if contains("profile-id") {
                guard let profile = vp9ProfileID, profile <= 3 else {
                    return "VP9 profile-id must be 0, 1, 2 or 3 (RFC 9628), not \"\(self["profile-id"] ?? "")\""
                }
            }
        }
        if rtpmap.isEncoding("VP8") || rtpmap.isEncoding("VP9") {
            for name in ["max-fr", "max-fs"] where contains(name) {
                if integer(name) == nil { return "\(rtpmap.encodingName) \(name) must be a whole number, not \"\(self[name] ?? "")\"" }
            }
        }
        return nil
    }
}
