import Foundation

/// A stats JSON-lines file read back: the samples of every complete line.
///
/// A last line cut short (a run killed mid-write) is left out and reported in
/// `truncatedLastLine`; a bad line anywhere else is an error naming the file and line.
/// Blank lines are skipped.
public struct StatsLog: Sendable, Equatable {
    public var samples: [StatsSample]
    /// The 1-based number of the last line, when it was incomplete and left out.
    public var truncatedLastLine: Int?

    public init(samples: [StatsSample], truncatedLastLine: Int? = nil) {
        self.samples = samples
        self.truncatedLastLine = truncatedLastLine
    }

    /// Reads `url`. Throws `MetricsError.statsFileUnreadable` when it cannot be read,
    /// `.statsLineInvalid` (with the line number) for a line that is not a stats sample,
    /// and `.statsFileEmpty` when it holds no sample at all.
    public static func read(_ url: URL) throws -> StatsLog {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw MetricsError.statsFileUnreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses JSON-lines `data`; `path` names the source in errors.
    public static func parse(_ data: Data, path: String) throws -> StatsLog {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let bytes = [UInt8](data)
        let endsWithNewline = bytes.last == 0x0A
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if endsWithNewline { lines.removeLast() }
        var samples: [StatsSample] = []
        var truncated: Int?
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                samples.append(try decoder.decode(StatsSample.self, from: Data(line)))
            } catch {
                let isLast = index == lines.count - 1
                if isLast, !endsWithNewline, !samples.isEmpty {
                    truncated = number
                    break
                }
                throw MetricsError.statsLineInvalid(path: path, line: number, reason: describe(error))
            }
        }
        guard !samples.isEmpty else { throw MetricsError.statsFileEmpty(path: path) }
        return StatsLog(samples: samples, truncatedLastLine: truncated)
    }

    /// A short reason for a decoding failure.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(path(context.codingPath + [key]))\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \"\(path(context.codingPath))\""
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not a JSON object" : "bad value at \"\(path(context.codingPath))\""
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
