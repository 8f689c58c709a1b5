/// The text syntax of network profiles (`--network PROFILE`):
///
/// - a preset name: `clean`, `wifi`, `4g`, `congested`, `lossy-burst` (see `NetworkPresets`);
/// - `key=value` pairs separated by commas, optionally starting from a preset
///   (`4g,loss=3%` is 4g with 3 % loss);
/// - segments separated by `;`, every one after the first starting with `at=TIME`:
///   `clean;at=10s,congested;at=20s,delay=80ms,loss=2%`. Each segment starts from a perfect
///   link (or its preset); it does not inherit the previous segment's values;
/// - `trace:FILE`: replay a trace file (see `NetworkTrace`).
///
/// | key | value | meaning |
/// |---|---|---|
/// | `delay` | `40ms` (0 to 60 s) | base one-way delay |
/// | `jitter` | `10ms[:uniform\|normal\|pareto[:SHAPE]]` (0 to 10 s) | delay variation, see `JitterDistribution` |
/// | `loss` | `2%` | independent random loss |
/// | `burst` | `RATE%:LENGTH` | Gilbert burst loss: long-run RATE, mean burst LENGTH packets |
/// | `gilbert` | `P%:R%[:LOSSGOOD%:LOSSBAD%]` | full Gilbert–Elliott model (defaults 0 % and 100 %) |
/// | `reorder` | `P%[:DELAY]` | hold a packet back DELAY (default 30 ms) so later ones overtake it |
/// | `dup` | `P%` | deliver a packet twice |
/// | `rate` | `1mbit`, `500kbit`, `64000` (bit/s) | bandwidth cap |
/// | `queue` | `50ms` or `64KB` | drop-tail queue in front of the cap (default 100 ms) |
/// | `fifo` | `on`/`off` | off: jitter alone may reorder packets (default on) |
/// | `blackout` | `START+DURATION`, e.g. `5s+2s` (repeatable) | every packet sent in the window is lost |
/// | `at` | `10s` | start time of the segment |
///
/// Durations take `us`, `ms`, `s` or `m`; sizes `B`, `KB` (1024) or `MB`; `0` needs no unit.
public enum NetworkProfileParser {
    public static let keys = ["delay", "jitter", "loss", "burst", "gilbert", "reorder", "dup", "rate", "queue", "fifo", "blackout", "at"]

    public static func parse(_ text: String, readTrace: (String) throws -> String) throws -> NetworkProfile {
        let trimmed = trim(Substring(text))
        if trimmed.lowercased().hasPrefix("trace:") {
            let path = String(trimmed.dropFirst("trace:".count))
            guard !path.isEmpty else {
                throw ConferenceError.invalidParameter(field: "trace", value: "", expected: "give trace:FILE, a file of lines `time_s delay_ms lost`")
            }
            let contents: String
            do {
                contents = try readTrace(path)
            } catch let error as ConferenceError {
                throw error
            } catch {
                throw ConferenceError.unreadableTrace(path: path, reason: "\(error)")
            }
            return NetworkProfile(trace: try NetworkTrace(parsing: contents, source: path), name: String(trimmed))
        }
        guard !trimmed.isEmpty else {
            throw ConferenceError.unknownProfile(name: "", presets: NetworkPresets.names)
        }
        var segments: [NetworkProfile.Segment] = []
        var blackouts: [NetworkProfile.Blackout] = []
        for (index, part) in trimmed.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
            let parsed = try parseSegment(part)
            if index == 0 {
                if let start = parsed.start, start != 0 {
                    throw ConferenceError.segmentOrder(reason: "the first segment starts at 0 (it was at=\(EmulatorFormat.duration(start)))")
                }
            } else if parsed.start == nil {
                throw ConferenceError.segmentOrder(reason: "segment \(index + 1) ('\(trim(part))') needs at=TIME, e.g. ;at=10s,loss=5%")
            }
            segments.append(NetworkProfile.Segment(start: parsed.start ?? 0, parameters: parsed.parameters))
            blackouts += parsed.blackouts
        }
        return try NetworkProfile(segments: segments, blackouts: blackouts, name: String(trimmed))
    }

    /// One segment: parameters, its `at=` start and its blackouts.
    static func parseSegment(_ text: Substring) throws -> (parameters: NetworkParameters, start: Double?, blackouts: [NetworkProfile.Blackout]) {
        var preset: String?
        var pairs: [(key: String, value: Substring)] = []
        for token in text.split(separator: ",", omittingEmptySubsequences: true) {
            let item = trim(token)
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: "=") else {
                let name = item.lowercased()
                guard NetworkPresets.all.contains(where: { $0.name == name }) else {
                    throw ConferenceError.unknownProfile(name: String(item), presets: NetworkPresets.names)
                }
                if let preset {
                    throw ConferenceError.invalidParameter(field: "preset", value: "\(preset) and \(name)", expected: "give one preset per segment")
                }
                preset = name
                continue
            }
            let key = trim(item[..<equals]).lowercased()
            guard keys.contains(key) || key == "duplicate" else {
                throw ConferenceError.unknownField(field: key, known: keys)
            }
            let normalized = key == "duplicate" ? "dup" : key
            if normalized != "blackout", pairs.contains(where: { $0.key == normalized }) {
                throw ConferenceError.duplicateField(field: normalized)
            }
            if (normalized == "burst" && pairs.contains { $0.key == "gilbert" }) || (normalized == "gilbert" && pairs.contains { $0.key == "burst" }) {
                throw ConferenceError.invalidParameter(field: normalized, value: String(trim(item[item.index(after: equals)...])),
                                                       expected: "give burst or gilbert, not both")
            }
            pairs.append((normalized, trim(item[item.index(after: equals)...])))
        }
        var parameters = NetworkParameters()
        if let preset, let base = NetworkPresets.parameters(named: preset) { parameters = base }
        var start: Double?
        var blackouts: [NetworkProfile.Blackout] = []
        for (key, value) in pairs {
            try apply(key: key, value: value, to: &parameters, start: &start, blackouts: &blackouts)
        }
        try parameters.validate()
        return (parameters, start, blackouts)
    }

    private static func apply(key: String, value: Substring, to p: inout NetworkParameters, start: inout Double?,
                              blackouts: inout [NetworkProfile.Blackout]) throws {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map { trim($0) }
        func bad(_ expected: String) -> ConferenceError {
            .invalidParameter(field: key, value: String(value), expected: expected)
        }
        switch key {
        case "delay":
            p.delay = try duration(value, field: key, example: "delay=40ms")
        case "jitter":
            guard (1...3).contains(parts.count) else { throw bad("give SIZE[:uniform|normal|pareto[:SHAPE]], e.g. jitter=10ms:normal") }
            p.jitter = try duration(parts[0], field: key, example: "jitter=10ms:normal")
            if parts.count >= 2 {
                switch parts[1].lowercased() {
                case "uniform": p.jitterDistribution = .uniform
                case "normal", "gaussian": p.jitterDistribution = .normal
                case "pareto": p.jitterDistribution = .pareto(shape: JitterDistribution.defaultParetoShape)
                default: throw bad("the distribution is uniform, normal or pareto, e.g. jitter=10ms:normal")
                }
                if parts.count == 3 {
                    guard case .pareto = p.jitterDistribution, let shape = Double(parts[2]) else {
                        throw bad("only pareto takes a shape, a number more than 1, e.g. jitter=10ms:pareto:2.5")
                    }
                    p.jitterDistribution = .pareto(shape: shape)
                }
            }
        case "loss":
            p.loss = try percent(value, field: key, example: "loss=2%")
        case "burst":
            guard parts.count == 2 else { throw bad("give RATE%:LENGTH, the long-run loss and the mean burst length in packets, e.g. burst=5%:3") }
            let rate = try percent(parts[0], field: key, example: "burst=5%:3")
            guard rate > 0, rate < 1 else { throw bad("the loss rate must be more than 0% and less than 100%, e.g. burst=5%:3") }
            guard let length = Double(parts[1]), length.isFinite, length >= 1, length <= 10_000 else {
                throw bad("the mean burst length is a number of packets from 1 to 10000, e.g. burst=5%:3")
            }
            p.burst = GilbertElliott(lossRate: rate, meanBurstLength: length)
        case "gilbert":
            guard parts.count == 2 || parts.count == 4 else {
                throw bad("give P%:R% or P%:R%:LOSSGOOD%:LOSSBAD% (transition and loss probabilities), e.g. gilbert=1%:30%")
            }
            let values = try parts.map { try percent($0, field: key, example: "gilbert=1%:30%:0%:100%") }
            p.burst = GilbertElliott(p: values[0], r: values[1], lossInGood: values.count == 4 ? values[2] : 0,
                                     lossInBad: values.count == 4 ? values[3] : 1)
        case "reorder":
            guard (1...2).contains(parts.count) else { throw bad("give P%[:DELAY], e.g. reorder=1%:30ms") }
            p.reorder = try percent(parts[0], field: key, example: "reorder=1%:30ms")
            if parts.count == 2 { p.reorderDelay = try duration(parts[1], field: key, example: "reorder=1%:30ms") }
        case "dup":
            p.duplicate = try percent(value, field: key, example: "dup=0.5%")
        case "rate":
            p.rate = try rate(value)
        case "queue":
            p.queue = try queue(value)
        case "fifo":
            switch value.lowercased() {
            case "on", "yes", "true", "1": p.fifo = true
            case "off", "no", "false", "0": p.fifo = false
            default: throw bad("give on or off")
            }
        case "blackout":
            let window = value.split(separator: "+", omittingEmptySubsequences: false)
            guard window.count == 2 else { throw bad("give START+DURATION, e.g. blackout=5s+2s") }
            let begin = try duration(window[0], field: key, example: "blackout=5s+2s")
            let length = try duration(window[1], field: key, example: "blackout=5s+2s")
            guard begin >= 0, length > 0, begin + length <= 1e9 else {
                throw bad("START must be 0 or more and DURATION more than 0, e.g. blackout=5s+2s")
            }
            blackouts.append(NetworkProfile.Blackout(start: begin, duration: length))
        case "at":
            let time = try duration(value, field: key, example: "at=10s")
            guard time >= 0, time <= 1e9 else { throw bad("give a time from the start, 0 or more, e.g. at=10s") }
            start = time
        default:
            throw ConferenceError.unknownField(field: key, known: keys)
        }
    }

    /// `40ms`, `1.5s`, `250us`, `2m`, or `0`; seconds.
    static func duration(_ text: Substring, field: String, example: String) throws -> Double {
        let lower = trim(text).lowercased()
        // Sub-second units divide (40 / 1000 is exactly the double 0.04; 40 × 0.001 is not).
        let units: [(String, Double, Bool)] = [("us", 1e6, true), ("µs", 1e6, true), ("ms", 1000, true), ("min", 60, false),
                                               ("s", 1, false), ("m", 60, false)]
        var scale: (Double, Bool)?
        var digits = Substring(lower)
        for (suffix, factor, divides) in units where lower.hasSuffix(suffix) {
            scale = (factor, divides)
            digits = digits.dropLast(suffix.count)
            break
        }
        guard let number = Double(digits), number.isFinite else {
            throw ConferenceError.invalidParameter(field: field, value: String(text), expected: "give a duration such as \(example) (units us, ms, s, m)")
        }
        guard let scale else {
            if number == 0 { return 0 }
            throw ConferenceError.invalidParameter(field: field, value: String(text), expected: "give a unit, e.g. \(example) (units us, ms, s, m)")
        }
        return scale.1 ? number / scale.0 : number * scale.0
    }

    /// `2%` or `0`; a probability 0…1, checked to be 0 % to 100 %.
    static func percent(_ text: Substring, field: String, example: String) throws -> Double {
        let item = trim(text)
        if let number = Double(item), number == 0 { return 0 }
        guard item.hasSuffix("%"), let number = Double(item.dropLast()), number.isFinite else {
            throw ConferenceError.invalidParameter(field: field, value: String(text), expected: "give a percentage such as \(example) (0% to 100%)")
        }
        guard number >= 0, number <= 100 else {
            throw ConferenceError.invalidParameter(field: field, value: String(text), expected: "give 0% to 100%, e.g. \(example)")
        }
        return number / 100
    }

    /// `1mbit`, `500kbit`, `2gbit`, `64000` (bits per second), `1m`, `500k`.
    static func rate(_ text: Substring) throws -> Double {
        let lower = trim(text).lowercased()
        if lower.hasSuffix("bps") || lower.hasSuffix("bit/s") || lower.hasSuffix("b/s") {
            throw ConferenceError.invalidParameter(field: "rate", value: String(text),
                                                   expected: "write bits per second as bit, kbit, mbit or gbit (e.g. rate=1mbit); 'bps' is ambiguous")
        }
        let units: [(String, Double)] = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1), ("g", 1e9), ("m", 1e6), ("k", 1e3)]
        var scale = 1.0
        var digits = Substring(lower)
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            scale = factor
            digits = digits.dropLast(suffix.count)
            break
        }
        guard let number = Double(digits), number.isFinite else {
            throw ConferenceError.invalidParameter(field: "rate", value: String(text), expected: "give bits per second such as rate=1mbit, 500kbit or 64000 (1kbit to 100gbit)")
        }
        return number * scale
    }

    /// `50ms` (a time to drain at the cap) or `64KB`, `32000B`, `1MB` (bytes).
    static func queue(_ text: Substring) throws -> NetworkParameters.QueueLimit {
        let lower = trim(text).lowercased()
        let invalid = ConferenceError.invalidParameter(field: "queue", value: String(text),
                                                       expected: "give a time such as queue=50ms or a size such as queue=64KB (1KB = 1024B)")
        for (suffix, factor) in [("mb", Double(1 << 20)), ("kb", Double(1 << 10)), ("b", 1.0)] where lower.hasSuffix(suffix) {
            guard let number = Double(lower.dropLast(suffix.count)), number.isFinite, abs(number * factor) < 1e15 else { throw invalid }
            return .bytes(Int((number * factor).rounded()))
        }
        guard lower.hasSuffix("s") else { throw invalid }
        return .time(try duration(text, field: "queue", example: "queue=50ms"))
    }

    static func trim(_ text: Substring) -> Substring {
        var text = text
        while let first = text.first, first == " " || first == "\t" || first == "\n" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\n" || last == "\r" { text = text.dropLast() }
        return text
    }
}
