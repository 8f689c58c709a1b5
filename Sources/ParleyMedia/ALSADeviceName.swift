/// An ALSA PCM named by the user as `alsa:NAME`: `alsa:default`, `alsa:hw:1,0`,
/// `alsa:plughw:CARD=PCH,DEV=0`, `alsa:null`, or any name from `aplay -L`.
///
/// Parsing checks the form only; whether the device exists is known when it is opened.
public struct ALSADeviceName: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The name handed to `snd_pcm_open` (what follows `alsa:`).
    public let pcmName: String

    /// The prefix that marks a device string as ALSA.
    public static let scheme = "alsa:"

    /// Parses `alsa:NAME`.
    /// - Throws: `MediaError.invalidALSADeviceName` saying what is wrong.
    public init(parsing text: String) throws {
        guard text.hasPrefix(Self.scheme) else {
            throw MediaError.invalidALSADeviceName(name: text, reason: "it does not start with \"alsa:\"")
        }
        let name = String(text.dropFirst(Self.scheme.count))
        try self.init(pcmName: name, original: text)
    }

    /// A device from its bare ALSA name (`default`, `hw:1,0`), checked like `init(parsing:)`.
    public init(pcmName: String) throws {
        try self.init(pcmName: pcmName, original: Self.scheme + pcmName)
    }

    /// True when `text` is meant as an ALSA device (starts with `alsa:`), valid or not.
    public static func isALSA(_ text: String) -> Bool { text.hasPrefix(scheme) }

    public var description: String { Self.scheme + pcmName }

    private init(pcmName name: String, original: String) throws {
        guard !name.isEmpty else {
            throw MediaError.invalidALSADeviceName(name: original, reason: "the device name after \"alsa:\" is empty")
        }
        if let bad = name.unicodeScalars.first(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw MediaError.invalidALSADeviceName(name: original, reason: "the name contains a blank or control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
        if name.utf8.count > 255 {
            throw MediaError.invalidALSADeviceName(name: original, reason: "the name is longer than 255 bytes")
        }
        if name.hasPrefix(":") || name.hasPrefix(",") {
            throw MediaError.invalidALSADeviceName(name: original, reason: "the name starts with \"\(name.first!)\"")
        }
        // The card/device forms: hw:, plughw:. Check their arguments.
        for kind in ["hw", "plughw"] where name == kind || name.hasPrefix(kind + ":") {
            if name == kind { break } // bare "hw" / "plughw": ALSA's defaults
            try Self.checkCardArguments(String(name.dropFirst(kind.count + 1)), kind: kind, original: original)
        }
        self.pcmName = name
    }

    /// `1`, `1,0`, `1,0,0`, `PCH,0`, or `CARD=PCH,DEV=0[,SUBDEV=0]`.
    private static func checkCardArguments(_ args: String, kind: String, original: String) throws {
        let parts = args.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !args.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw MediaError.invalidALSADeviceName(name: original, reason: "\(kind): needs a card and device such as \(kind):1,0 or \(kind):CARD=PCH,DEV=0, got \"\(args)\"")
        }
        guard parts.count <= 3 else {
            throw MediaError.invalidALSADeviceName(name: original, reason: "\(kind): takes at most card, device and subdevice, got \(parts.count) values")
        }
        let keys = ["CARD", "DEV", "SUBDEV"]
        for (i, part) in parts.enumerated() {
            var value = part
            if let eq = part.firstIndex(of: "=") {
                let key = String(part[..<eq]).uppercased()
                guard keys.contains(key) else {
                    throw MediaError.invalidALSADeviceName(name: original, reason: "\(kind): unknown argument \"\(part[..<eq])\" (use CARD, DEV, SUBDEV)")
                }
                value = String(part[part.index(after: eq)...])
                guard !value.isEmpty else {
                    throw MediaError.invalidALSADeviceName(name: original, reason: "\(kind): \(key)= has no value")
                }
                if key == "CARD" { continue }
            } else if i == 0 {
                continue // a card is a number or a card id (PCH, Loopback)
            }
            guard Int(value).map({ $0 >= 0 && $0 < 1024 }) == true else {
                throw MediaError.invalidALSADeviceName(name: original, reason: "\(kind): device and subdevice must be numbers 0…1023, got \"\(value)\"")
            }
        }
    }
}
