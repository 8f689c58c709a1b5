import Foundation

/// Accumulates a call's `StatsSample`s and writes each one, as it arrives, as one JSON
/// object on its own line (JSON lines) to the `--stats-json` file.
///
/// Crash safety: every sample is encoded first, then written with a single unbuffered
/// `write` of the whole line including its newline, so a killed process leaves every
/// earlier line complete and at most the last one cut short (which `StatsLog.read`
/// tolerates). `durableWrites` also asks the kernel to put each line on disk (fsync).
///
/// Wiring (the engine, not the media thread — it encodes JSON and allocates): once per
/// `--stats-interval`, build a `StatsSample` from the streams' cumulative webrtc-stats
/// counters and the `CallQuality` of the first received audio stream, then
///
///     let line = try recorder.record(sample)   // appends to the file, returns the summary
///     if printSummary { FileHandle.standardError.write(Data((line + "\n").utf8)) }
///
/// and `try recorder.close()` when the call ends. A recorder belongs to one thread (it is
/// not `Sendable`); `samples` keeps everything recorded, for an end-of-call report.
public final class StatsRecorder {
    /// Every sample recorded, in order.
    public private(set) var samples: [StatsSample] = []
    /// The file written, if any.
    public let url: URL?
    /// Whether each line is also fsynced.
    public let durableWrites: Bool
    private var handle: FileHandle?
    private let encoder: JSONEncoder

    /// A recorder that writes to `url` (created, or truncated when it exists), or only
    /// keeps the samples in memory when `url` is nil. Throws
    /// `MetricsError.statsFileUnwritable` when the file cannot be created.
    public init(url: URL?, durableWrites: Bool = false) throws {
        self.url = url
        self.durableWrites = durableWrites
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        if let url {
            guard FileManager.default.createFile(atPath: url.path, contents: nil),
                  let handle = try? FileHandle(forWritingTo: url)
            else {
                throw MetricsError.statsFileUnwritable(path: url.path)
            }
            self.handle = handle
        }
    }

    deinit { try? handle?.close() }

    /// Appends `sample` (to memory and, with a file, as one line) and returns its
    /// `StatsSummaryLine` against the previous sample. Throws
    /// `MetricsError.statsWriteFailed` when the file cannot be written (disk full, closed);
    /// the sample is still kept in `samples`.
    @discardableResult
    public func record(_ sample: StatsSample) throws -> String {
        let previous = samples.last
        samples.append(sample)
        let summary = StatsSummaryLine.format(sample, previous: previous)
        if let handle {
            var line = try encoder.encode(sample)
            line.append(0x0A)
            do {
                try handle.write(contentsOf: line)
                if durableWrites { try handle.synchronize() }
            } catch {
                throw MetricsError.statsWriteFailed(path: url?.path ?? "", reason: "\(error)")
            }
        }
        return summary
    }

    /// Closes the file; later `record` calls keep samples in memory only.
    public func close() throws {
        guard let handle else { return }
        self.handle = nil
        try handle.close()
    }

    /// One sample as its JSON line (without the newline), as `record` writes it.
    public func jsonLine(_ sample: StatsSample) throws -> String {
        String(decoding: try encoder.encode(sample), as: UTF8.self)
    }
}
