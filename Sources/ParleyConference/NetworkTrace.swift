/// A recorded network path replayed packet by packet: a text file of lines
///
///     # time_s  delay_ms  lost
///     0.000     42.5      0
///     0.020     44.0      0
///     0.040     0         1
///
/// `time_s` is the send time in seconds from the start (non-decreasing), `delay_ms` the
/// one-way delay in milliseconds (0 to 60000), `lost` 1 if the packet was lost and 0 if not.
/// Fields are separated by spaces or tabs; `#` starts a comment; blank lines are skipped.
///
/// Each line is a time point that holds until the next one: a packet sent at time t gets
/// the delay and fate of the last line with `time_s` ≤ t (the first line before it, the last
/// line after the end). A trace recorded one line per packet therefore replays exactly when
/// packets are sent at the recorded times. Trace delays are applied as they are (no FIFO
/// correction), so a trace that reordered packets reorders them again.
public struct NetworkTrace: Equatable, Sendable {
    public struct Point: Equatable, Sendable {
        public var time: Double
        /// Seconds.
        public var delay: Double
        public var lost: Bool

        public init(time: Double, delay: Double, lost: Bool) {
            self.time = time
            self.delay = delay
            self.lost = lost
        }
    }

    public var points: [Point]
    /// Where the trace came from (a file path), for messages.
    public var source: String

    /// Parses trace text; a bad line throws `ConferenceError.malformedTrace` with its number and field.
    public init(parsing text: String, source: String = "trace") throws {
        self.source = source
        points = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            func bad(_ field: String, _ reason: String) -> ConferenceError {
                .malformedTrace(source: source, line: lineNumber, field: field, reason: reason)
            }
            guard fields.count == 3 else {
                throw bad("line", "\(fields.count) field\(fields.count == 1 ? "" : "s") where 3 are needed")
            }
            guard let time = Double(fields[0]), time.isFinite, time >= 0, time <= 1e9 else {
                throw bad("time_s", "'\(fields[0])' is not a time in seconds (0 or more)")
            }
            if let previous = points.last, time < previous.time {
                throw bad("time_s", "\(fields[0]) is before the previous line's \(EmulatorFormat.number(previous.time)); times must not decrease")
            }
            guard let delay = Double(fields[1]), delay.isFinite, delay >= 0, delay <= 60_000 else {
                throw bad("delay_ms", "'\(fields[1])' is not a delay in milliseconds from 0 to 60000")
            }
            guard fields[2] == "0" || fields[2] == "1" else {
                throw bad("lost", "'\(fields[2])' is neither 0 nor 1")
            }
            points.append(Point(time: time, delay: delay / 1000, lost: fields[2] == "1"))
        }
        if points.isEmpty { throw ConferenceError.emptyTrace(source: source) }
    }

    public init(points: [Point], source: String = "trace") {
        self.points = points
        self.source = source
    }

    /// The point that governs a packet sent at `time`.
    public func point(at time: Double) -> Point {
        // The last point with point.time <= time (binary search).
        var low = 0
        var high = points.count
        while low < high {
            let mid = (low + high) / 2
            if points[mid].time <= time { low = mid + 1 } else { high = mid }
        }
        return points[max(0, low - 1)]
    }

    /// The trace back in its text format (one line per point).
    public var text: String {
        var out = "# time_s delay_ms lost\n"
        for point in points {
            out += "\(EmulatorFormat.number(point.time)) \(EmulatorFormat.number(point.delay * 1000)) \(point.lost ? 1 : 0)\n"
        }
        return out
    }
}
