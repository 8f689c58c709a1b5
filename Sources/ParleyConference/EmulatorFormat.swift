/// Number and unit formatting for profile descriptions and JSON, without Foundation.
enum EmulatorFormat {
    /// `value` with at most `decimals` decimals and no trailing zeros: 0.5, 40, 0.0175.
    static func number(_ value: Double, decimals: Int = 6) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let negative = value < 0
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let whole = UInt64(scaled / scale)
        var fraction = UInt64(scaled - Double(whole) * scale)
        var text = "\(whole)"
        if fraction > 0 {
            var digits = String(fraction)
            while digits.count < decimals { digits = "0" + digits }
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
            fraction = 0
        }
        return negative && scaled > 0 ? "-" + text : text
    }

    /// A JSON number, or `null` when not finite (a Pareto jitter's infinite deviation).
    static func json(_ value: Double, decimals: Int = 6) -> String {
        value.isFinite ? number(value, decimals: decimals) : "null"
    }

    /// Seconds as `40ms`, `1.5s`.
    static func duration(_ seconds: Double) -> String {
        if seconds != 0, abs(seconds) < 1 { return number(seconds * 1000, decimals: 3) + "ms" }
        return number(seconds, decimals: 6) + "s"
    }

    /// A probability as `2.5%`.
    static func percent(_ p: Double) -> String { number(p * 100, decimals: 4) + "%" }

    /// Bits per second as `1mbit`, `512kbit`.
    static func rate(_ bits: Double) -> String {
        if bits >= 1e9, (bits / 1e9).rounded() == bits / 1e9 { return number(bits / 1e9) + "gbit" }
        if bits >= 1e6 { return number(bits / 1e6) + "mbit" }
        if bits >= 1e3 { return number(bits / 1e3) + "kbit" }
        return number(bits) + "bit"
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
