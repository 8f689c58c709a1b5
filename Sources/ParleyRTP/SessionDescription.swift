/// A session description (SDP, RFC 8866): the offer/answer subset Parley uses, with every
/// line it does not interpret kept so that `serialized()` writes it back.
///
/// `parse` accepts CRLF or LF line endings, ignores empty lines and whitespace around
/// lines, and keeps unknown line types and unknown attributes (never an error). A known
/// line that cannot be read throws `RTPError.sdp(line:reason:)` with the 1-based line
/// number in the text. `serialized()` writes CRLF lines in the order v o s c b t a, then
/// each media section (see `SDPMediaDescription`).
public struct SessionDescription: Equatable, Sendable {
    /// `v=`: always 0.
    public var version: Int
    public var origin: SDPOrigin
    /// `s=`; "" is written `s= ` as RFC 8866 recommends for an empty name.
    public var sessionName: String
    /// Session-level `c=`: applies to media sections without their own.
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    /// The first `t=` line (further ones are kept in `otherLines`).
    public var timing: SDPTiming
    /// Session-level `a=` lines, in order (`a=group:BUNDLE 0 1`, `a=tool:…`, `a=sendonly`, …).
    public var attributes: [SDPAttribute]
    public var media: [SDPMediaDescription]
    /// Session-level lines kept as text (`i=`, `u=`, `e=`, `r=`, `z=`, `k=`, unknown types);
    /// see `SDPLine.position`.
    public var otherLines: [SDPLine]

    public init(version: Int = 0, origin: SDPOrigin = SDPOrigin(), sessionName: String = "-",
                connection: SDPConnection? = nil, bandwidths: [SDPBandwidth] = [], timing: SDPTiming = SDPTiming(),
                attributes: [SDPAttribute] = [], media: [SDPMediaDescription] = [], otherLines: [SDPLine] = []) {
        self.version = version
        self.origin = origin
        self.sessionName = sessionName
        self.connection = connection
        self.bandwidths = bandwidths
        self.timing = timing
        self.attributes = attributes
        self.media = media
        self.otherLines = otherLines
    }

    /// Reads a session description; see the type's documentation for what is accepted.
    public static func parse(_ text: String) throws(RTPError) -> SessionDescription {
        try SDPParser.parse(text)
    }

    /// The session-level direction attribute, if any.
    public var direction: SDPDirection? {
        attributes.lazy.compactMap { $0.value == nil ? SDPDirection(rawValue: $0.name) : nil }.first
    }

    /// The first session attribute named `name`.
    public func attribute(_ name: String) -> SDPAttribute? {
        attributes.first(where: { $0.name == name })
    }

    /// Where the media of `section` goes: its own `c=`, else the session's.
    public func connection(for section: SDPMediaDescription) -> SDPConnection? {
        section.connection ?? connection
    }

    /// The direction that applies to `section`: its own, else the session's, else sendrecv.
    public func direction(for section: SDPMediaDescription) -> SDPDirection {
        section.direction ?? direction ?? .sendrecv
    }

    /// The interpreted session-level lines after `v=`, in canonical order.
    var knownSessionLines: [String] {
        var lines = ["o=" + origin.lineValue, sessionName.isEmpty ? "s= " : "s=" + sessionName]
        if let connection { lines.append("c=" + connection.lineValue) }
        for bandwidth in bandwidths { lines.append("b=" + bandwidth.lineValue) }
        lines.append("t=" + timing.lineValue)
        for attribute in attributes { lines.append(attribute.line) }
        return lines
    }

    /// Every line, without line endings.
    public func lines() -> [String] {
        var lines = ["v=\(version)"] + SDPLine.merge(known: knownSessionLines, other: otherLines)
        for section in media { lines += section.lines() }
        return lines
    }

    /// The description as SDP text: every line ends in CRLF.
    public func serialized() -> String {
        lines().map { $0 + "\r\n" }.joined()
    }
}
