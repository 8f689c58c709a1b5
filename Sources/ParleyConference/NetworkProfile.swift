/// What the emulated network does over time: parameter segments (each from its start time
/// until the next), blackout windows, or the replay of a recorded trace. Times are seconds
/// on the emulator's clock (0 = when the emulator starts).
///
/// Build one from text with `NetworkProfile(parsing:readTrace:)` (the syntax is described on
/// `NetworkProfileParser`) or from values.
public struct NetworkProfile: Equatable, Sendable {
    /// Parameters that apply from `start` until the next segment's start.
    public struct Segment: Equatable, Sendable {
        public var start: Double
        public var parameters: NetworkParameters

        public init(start: Double, parameters: NetworkParameters) {
            self.start = start
            self.parameters = parameters
        }
    }

    /// A window in which every packet sent is lost: [start, start + duration).
    public struct Blackout: Equatable, Sendable {
        public var start: Double
        public var duration: Double

        public init(start: Double, duration: Double) {
            self.start = start
            self.duration = duration
        }

        public func contains(_ time: Double) -> Bool { time >= start && time < start + duration }
    }

    /// Sorted by start; the first starts at 0.
    public private(set) var segments: [Segment]
    /// Blackouts apply whichever segment is active.
    public private(set) var blackouts: [Blackout]
    /// When set, the trace decides every packet's delay and loss; segments and blackouts are unused.
    public private(set) var trace: NetworkTrace?
    /// The text the profile was parsed from, or its canonical form.
    public var name: String

    /// A profile with one set of parameters throughout.
    public init(_ parameters: NetworkParameters = NetworkParameters(), blackouts: [Blackout] = [], name: String? = nil) throws {
        try self.init(segments: [Segment(start: 0, parameters: parameters)], blackouts: blackouts, name: name)
    }

    /// A time-varying profile. Throws if a segment is invalid or the starts are not 0, then increasing.
    public init(segments: [Segment], blackouts: [Blackout] = [], name: String? = nil) throws {
        guard let first = segments.first else {
            throw ConferenceError.segmentOrder(reason: "a profile needs at least one segment")
        }
        guard first.start == 0 else {
            throw ConferenceError.segmentOrder(reason: "the first segment starts at 0 (it was at=\(EmulatorFormat.duration(first.start)))")
        }
        for (previous, next) in zip(segments, segments.dropFirst()) where !(next.start > previous.start && next.start.isFinite) {
            throw ConferenceError.segmentOrder(reason: "at=\(EmulatorFormat.duration(next.start)) does not come after at=\(EmulatorFormat.duration(previous.start)); give increasing times")
        }
        for segment in segments { try segment.parameters.validate() }
        for blackout in blackouts {
            guard blackout.start.isFinite, blackout.start >= 0, blackout.duration.isFinite, blackout.duration > 0,
                  blackout.start + blackout.duration <= 1e9 else {
                throw ConferenceError.invalidParameter(field: "blackout",
                                                       value: "\(EmulatorFormat.duration(blackout.start))+\(EmulatorFormat.duration(blackout.duration))",
                                                       expected: "give START+DURATION with START 0 or more and DURATION more than 0, e.g. blackout=5s+2s")
            }
        }
        self.segments = segments
        self.blackouts = blackouts.sorted { $0.start < $1.start }
        trace = nil
        self.name = name ?? ""
        if self.name.isEmpty { self.name = canonicalText }
    }

    /// A profile that replays `trace`.
    public init(trace: NetworkTrace, name: String? = nil) {
        segments = [Segment(start: 0, parameters: NetworkParameters())]
        blackouts = []
        self.trace = trace
        self.name = name ?? "trace:\(trace.source)"
    }

    /// Parses profile text (see `NetworkProfileParser`); `readTrace` reads the file of a
    /// `trace:FILE` profile (the module does no file I/O itself).
    public init(parsing text: String, readTrace: (String) throws -> String = { path in
        throw ConferenceError.unreadableTrace(path: path, reason: "no file reader was given")
    }) throws {
        self = try NetworkProfileParser.parse(text, readTrace: readTrace)
    }

    /// The parameters in force at `time`.
    public func parameters(at time: Double) -> NetworkParameters {
        var index = 0
        while index + 1 < segments.count, segments[index + 1].start <= time { index += 1 }
        return segments[index].parameters
    }

    /// The index of the segment in force at `time`.
    public func segmentIndex(at time: Double) -> Int {
        var index = 0
        while index + 1 < segments.count, segments[index + 1].start <= time { index += 1 }
        return index
    }

    public func inBlackout(_ time: Double) -> Bool {
        // An index loop, not contains(where:): no closure on the per-packet path.
        var index = 0
        while index < blackouts.count {
            if blackouts[index].contains(time) { return true }
            index += 1
        }
        return false
    }

    /// The profile in its text syntax (parsing it gives this profile back).
    public var canonicalText: String {
        if let trace { return "trace:\(trace.source)" }
        var texts: [String] = []
        for (index, segment) in segments.enumerated() {
            var text = segment.parameters.profileText
            if index > 0 { text = "at=\(EmulatorFormat.duration(segment.start)),\(text)" }
            if index == 0, !blackouts.isEmpty {
                let windows = blackouts.map { "blackout=\(EmulatorFormat.duration($0.start))+\(EmulatorFormat.duration($0.duration))" }
                text = (text == "clean" ? "" : text + ",") + windows.joined(separator: ",")
            }
            texts.append(text)
        }
        return texts.joined(separator: ";")
    }

    /// The effective parameters as JSON, for reports.
    public var json: String {
        var fields = ["\"profile\":\(EmulatorFormat.jsonString(name))"]
        if let trace {
            fields.append("\"trace\":{\"source\":\(EmulatorFormat.jsonString(trace.source)),\"points\":\(trace.points.count),"
                + "\"durationS\":\(EmulatorFormat.json((trace.points.last?.time ?? 0) - (trace.points.first?.time ?? 0)))}")
        } else {
            let list = segments.map { "{\"startS\":\(EmulatorFormat.json($0.start)),\"parameters\":\($0.parameters.json)}" }
            fields.append("\"segments\":[" + list.joined(separator: ",") + "]")
            let windows = blackouts.map { "{\"startS\":\(EmulatorFormat.json($0.start)),\"durationS\":\(EmulatorFormat.json($0.duration))}" }
            fields.append("\"blackouts\":[" + windows.joined(separator: ",") + "]")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
