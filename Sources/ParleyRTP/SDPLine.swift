/// A line Parley does not interpret, kept so that serialization writes it back.
///
/// `position` says where it goes: the number of interpreted lines of the same section
/// (the session part, or one media section) that come before it, not counting the
/// section's first line (`v=` or `m=`). Parsing records it; `serialized()` puts the line
/// back after that many interpreted lines (at the section's end if there are fewer).
/// Keep `otherLines` in document order, positions not decreasing.
public struct SDPLine: Equatable, Sendable {
    /// The whole line without its line ending, e.g. `a=ice-ufrag:F7gI`.
    public var text: String
    public var position: Int

    public init(_ text: String, position: Int) {
        self.text = text
        self.position = position
    }

    /// The type letter before `=`, or nil when the line is not of the form `x=…`.
    public var type: Character? {
        let chars = text.prefix(2)
        guard chars.count == 2, chars.last == "=" else { return nil }
        return chars.first
    }

    /// The text after `x=`, or nil when the line is not of the form `x=…`.
    public var value: Substring? {
        type == nil ? nil : text.dropFirst(2)
    }

    /// The attribute, when this is an `a=` line.
    public var attribute: SDPAttribute? {
        guard type == "a", let value else { return nil }
        return SDPAttribute(parsing: value)
    }

    /// Moves the kept lines that repeat an interpreted line (those `repeats` picks) after
    /// it, `index` being its place among the section's interpreted lines, and the kept
    /// lines after them with them (positions stay non-decreasing).
    ///
    /// The parser interprets the first such line and keeps the others, while
    /// `serialized()` writes the interpreted lines in canonical order: a kept repeat whose
    /// position falls before the interpreted line would be read back as the interpreted
    /// one. That happens when the text lacks a line that serialization always writes
    /// (`s=` before `t=`) or has its lines in another order (`a=rtcp-mux` before
    /// `a=mid`); see SDPRoundTripTests.
    static func place(_ lines: inout [SDPLine], after index: Int, where repeats: (SDPLine) -> Bool) {
        var floor = 0
        for i in lines.indices {
            if repeats(lines[i]) { floor = index + 1 }
            lines[i].position = max(lines[i].position, floor)
        }
    }
}

/// An `a=name[:value]` attribute kept as text.
public struct SDPAttribute: Equatable, Sendable {
    public var name: String
    /// Nil for a property attribute such as `a=rtcp-mux`; "" for `a=name:`.
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    init(parsing text: Substring) {
        if let colon = text.firstIndex(of: ":") {
            name = String(text[..<colon])
            value = String(text[text.index(after: colon)...])
        } else {
            name = String(text)
            value = nil
        }
    }

    /// The line without its line ending, e.g. `a=group:BUNDLE 0 1`.
    public var line: String {
        if let value { return "a=\(name):\(value)" }
        return "a=\(name)"
    }

    /// Whether the name is a usable attribute name: not empty, no whitespace.
    var hasValidName: Bool {
        !name.isEmpty && !name.contains(where: { $0.isWhitespace })
    }
}

/// Small text helpers shared by the SDP parsers.
enum SDPText {
    /// Space- or tab-separated words, empty ones dropped (see `spaced`).
    static func words(_ text: Substring) -> [Substring] {
        spaced(text).split(whereSeparator: { $0 == " " })
    }

    /// Splits `text` at its first space or tab: the first word and the rest (trimmed at
    /// its start). See `spaced`.
    static func firstWord(_ text: Substring) -> (Substring, Substring) {
        let text = spaced(text)
        guard let space = text.firstIndex(of: " ") else { return (text, "") }
        let rest = text[space...].drop(while: { $0 == " " })
        return (text[..<space], rest)
    }

    /// `text` with tabs and the other whitespace control characters (VT, FF, NEL, U+2028,
    /// U+2029) turned into spaces, before it is cut into words and trimmed.
    ///
    /// The serializer separates words with one space. A control always stands alone as a
    /// Character, but a space joins a following combining mark (and a preceding prepended
    /// mark) into one Character, which is then no separator: split as written, `a\t\u{301}b`
    /// would be two words and come back as one. Read with spaces, it is what it will be
    /// when written again.
    static func spaced(_ text: Substring) -> Substring {
        func isControlSpace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x0B, 0x0C, 0x85, 0x2028, 0x2029: return true
            default: return false
            }
        }
        guard text.unicodeScalars.contains(where: isControlSpace) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(isControlSpace(scalar) ? " " : scalar) }
        return Substring(String(scalars))
    }

    static func trimmed(_ text: Substring) -> Substring {
        var result = text.drop(while: { $0.isWhitespace })
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }

    /// A payload type 0…127.
    static func payloadType(_ text: Substring) -> UInt8? {
        guard let value = number(text, as: UInt8.self), value <= 127 else { return nil }
        return value
    }

    /// A decimal number made of ASCII digits only (no sign), that fits in `T`.
    static func number<T: FixedWidthInteger & UnsignedInteger>(_ text: Substring, as type: T.Type) -> T? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return T(text)
    }

    /// `20`, `2.5`: integral values without a decimal point, and never an exponent
    /// (`1e+16`, `1e-05` would not read back as numbers of milliseconds).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let text = String(value)  // the shortest text that reads back as `value`
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }),
              let exponent = Int(text[text.index(after: e)...]) else { return text }
        var mantissa = text[..<e]
        let sign = mantissa.first == "-" ? "-" : ""
        if !sign.isEmpty { mantissa = mantissa.dropFirst() }
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        let point = parts[0].count + exponent  // digits before the decimal point
        var plain: String
        if point <= 0 {
            plain = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            plain = digits + String(repeating: "0", count: point - digits.count)
        } else {
            plain = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        if plain.contains(".") {
            while plain.last == "0" { plain.removeLast() }
            if plain.last == "." { plain.removeLast() }
        }
        return sign + plain
    }
}
