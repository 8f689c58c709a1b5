import ArgumentParser
import Foundation
import ParleyEngine
import ParleyMetrics

/// `parley report RUN --html OUT.html`: draws a run over time as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a call or loopback run over time as a self-contained HTML page.",
        discussion: """
            RUN is a stats JSON-lines file (written by --stats-json: one webrtc-stats sample per \
            line) or the report.json of `parley loopback`. The page has a summary table and SVG \
            plots: jitter-buffer delay against target, packet arrivals and loss, concealment, MOS, \
            bitrate, and per-frame PSNR/SSIM for a loopback. It needs no network and no scripts.

            Group-call runs (`parley loopback --participants N`) are drawn too: give their \
            report.json (its --stats-json file, if it names one, is read for the plots) or their \
            stats file. The page has the call summary, one row per directed link (loss, jitter, \
            concealment, RTT, MOS, video), the membership events, the speaker changes each \
            participant heard, and per-link plots of MOS, jitter and packets lost over time.

            A stats file whose last line was cut short (a run that was killed) is drawn without \
            that line, and the page says so.

            Examples:
              parley loopback --out /tmp/run && parley report /tmp/run/report.json --html /tmp/run/report.html
              parley report call-stats.jsonl --html call.html
              parley loopback --participants 3 --stats-json /tmp/group/stats.jsonl --out /tmp/group
              parley report /tmp/group/report.json --html /tmp/group/report.html
            """
    )

    @Argument(help: ArgumentHelp("A --stats-json file or a loopback report.json (1:1 or group call).", valueName: "RUN"))
    var input: String

    @Option(name: .long, help: ArgumentHelp("The HTML file to write (default: RUN with .html).", valueName: "OUT.html"))
    var html: String?

    func run() throws {
        let url = URL(fileURLWithPath: input)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLIError.failed("cannot read \(input): \(FileManager.default.fileExists(atPath: input) ? "it is not a readable file" : "no such file"); give a --stats-json file or a loopback report.json")
        }
        let parsed = try ReportInput.parse(data, path: input)
        let page: HTMLReportPage
        switch parsed {
        case .stats(let log):
            var p = HTMLReportPage(title: "Parley call report", subtitle: "\(input) — \(log.samples.count) stats samples")
            if let line = log.truncatedLastLine {
                p.notices.append("Line \(line) of \(input) was cut short (the run was probably killed) and is left out.")
            }
            p.summary = StatsReport.summary(log.samples)
            StatsReport.addPlots(log.samples, to: &p)
            page = p
        case .loopback(let report, let samples):
            page = LoopbackReportPage.make(report, samples: samples, source: input)
        case .mesh(let report, let samples, let truncated, let statsPath):
            page = MeshReportPage.make(report: report, samples: samples, truncatedLastLine: truncated,
                                       source: input, statsSource: statsPath)
        }
        let outPath = html ?? ((input as NSString).deletingPathExtension + ".html")
        do {
            try Data(page.render().utf8).write(to: URL(fileURLWithPath: outPath), options: .atomic)
        } catch {
            throw CLIError.failed("cannot write \(outPath): check that its folder exists and is writable")
        }
        for notice in page.notices {
            FileHandle.standardError.write(Data("parley: note: \(notice)\n".utf8))
        }
        print("wrote \(outPath) (\(page.sections.count) sections)")
    }
}

/// What `parley report` was given.
enum ReportInput {
    case stats(StatsLog)
    case loopback(LoopbackReport, samples: [StatsSample])
    /// A group call: its report.json and/or its stats samples (`statsPath`: the file they
    /// came from; `truncatedLastLine`: its cut last line).
    case mesh(MeshReport?, samples: [MeshStatsSample], truncatedLastLine: Int?, statsPath: String?)

    /// Tells a JSON document (report.json) from JSON lines, and decodes it. Errors name the
    /// file and, where there is one, the line.
    static func parse(_ data: Data, path: String) throws -> ReportInput {
        guard data.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else {
            throw CLIError.failed("\(path) is empty: give a --stats-json file or a loopback report.json")
        }
        // A whole-file JSON object: a report.json, or a stats file of a single line.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            // A group call's report.json (it has no "kind") or a one-line group stats file.
            if object["kind"] == nil, object["members"] != nil, object["links"] != nil {
                return try mesh(data, path: path)
            }
            if object["timestamp"] != nil, object["links"] != nil {
                let log = try MeshStatsLog.parse(data, path: path)
                return .mesh(sibling(of: path), samples: log.samples, truncatedLastLine: log.truncatedLastLine, statsPath: path)
            }
            if object["timestamp"] != nil {
                return .stats(try StatsLog.parse(data, path: path))
            }
            guard let kind = object["kind"] as? String else {
                throw CLIError.failed("\(path) is JSON but neither a stats sample nor a report (no \"kind\" or \"timestamp\"): give a --stats-json file or a loopback report.json")
            }
            guard kind == "loopback" else {
                throw CLIError.failed("\(path) is a \"\(kind)\" report; parley report draws loopback reports and --stats-json files")
            }
            do {
                let report = try JSONDecoder().decode(LoopbackReport.self, from: data)
                var samples = (try? JSONDecoder().decode(LoopbackReportPage.EmbeddedSamples.self, from: data))?.statsSamples ?? []
                // The run's --stats-json file, when it wrote one: drawn over time too.
                if samples.isEmpty, let stats = report.outputs.stats {
                    let resolved = stats.hasPrefix("/") ? stats
                        : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(stats)
                    for candidate in [stats, resolved] where FileManager.default.fileExists(atPath: candidate) {
                        if let log = try? StatsLog.read(URL(fileURLWithPath: candidate)) { samples = log.samples }
                        break
                    }
                }
                return .loopback(report, samples: samples)
            } catch {
                throw CLIError.failed("\(path) is a loopback report this parley cannot read (\(describe(error))): write it again with this version's parley loopback")
            }
        }
        // A document spread over lines (pretty-printed) that does not parse: say where.
        let firstLine = data.split(separator: 0x0A, omittingEmptySubsequences: true).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        if firstLine.trimmingCharacters(in: .whitespaces) == "{" {
            let lines = data.filter { $0 == 0x0A }.count + (data.last == 0x0A ? 0 : 1)
            throw CLIError.failed("\(path) line \(lines): the JSON document ends early or is damaged (not valid JSON); write the report again with parley loopback")
        }
        if MeshStatsLog.looksLikeMeshStats(data) {
            let log = try MeshStatsLog.parse(data, path: path)
            return .mesh(sibling(of: path), samples: log.samples, truncatedLastLine: log.truncatedLastLine, statsPath: path)
        }
        do {
            return .stats(try StatsLog.parse(data, path: path))
        } catch let error as MetricsError {
            throw CLIError.failed(error.description)
        }
    }

    /// A group call's report.json, with the samples of the stats file it names.
    private static func mesh(_ data: Data, path: String) throws -> ReportInput {
        let report: MeshReport
        do {
            report = try MeshStatsLog.decoder().decode(MeshReport.self, from: data)
        } catch {
            throw CLIError.failed("\(path) is a group-call report this parley cannot read (\(describe(error))): write it again with this version's parley loopback --participants")
        }
        guard let stats = report.stats else { return .mesh(report, samples: [], truncatedLastLine: nil, statsPath: nil) }
        let resolved = stats.hasPrefix("/") ? stats
            : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(stats)
        // Next to the report, when the run's folder was moved.
        let beside = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent((stats as NSString).lastPathComponent)
        for candidate in [resolved, beside] where FileManager.default.isReadableFile(atPath: candidate) {
            if let log = try? MeshStatsLog.read(candidate) {
                return .mesh(report, samples: log.samples, truncatedLastLine: log.truncatedLastLine, statsPath: candidate)
            }
        }
        return .mesh(report, samples: [], truncatedLastLine: nil, statsPath: nil)
    }

    /// The report.json beside a group stats file, when it is the report of that run
    /// (for the participants' names, events and close reasons).
    private static func sibling(of statsPath: String) -> MeshReport? {
        let dir = (statsPath as NSString).deletingLastPathComponent
        let candidate = (dir.isEmpty ? "." : dir as NSString).appendingPathComponent("report.json")
        guard let data = FileManager.default.contents(atPath: candidate),
              let report = try? MeshStatsLog.decoder().decode(MeshReport.self, from: data) else { return nil }
        let named = report.stats.map { ($0 as NSString).lastPathComponent == (statsPath as NSString).lastPathComponent } ?? false
        return named ? report : nil
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "bad value at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        default:
            return "\(error)"
        }
    }
}
