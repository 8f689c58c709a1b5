import Foundation
import ParleyEngine
import ParleyMetrics

/// A mesh (`parley loopback --participants N`) stats JSON-lines file read back: one
/// `MeshStatsSample` per line. As for `StatsLog`, a last line cut short (a killed run)
/// is left out and reported; a bad line anywhere else is an error naming the line.
struct MeshStatsLog {
    var samples: [MeshStatsSample]
    /// The 1-based number of the last line, when it was incomplete and left out.
    var truncatedLastLine: Int?

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Whether `data`'s first non-blank line is a JSON object with `timestamp` and `links`
    /// (a mesh stats sample rather than a 1:1 one).
    static func looksLikeMeshStats(_ data: Data) -> Bool {
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return false }
            return object["timestamp"] != nil && object["links"] != nil
        }
        return false
    }

    static func read(_ path: String) throws -> MeshStatsLog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError.failed("cannot read \(path): \((error as NSError).localizedDescription)")
        }
        return try parse(data, path: path)
    }

    static func parse(_ data: Data, path: String) throws -> MeshStatsLog {
        let decoder = decoder()
        let bytes = [UInt8](data)
        let endsWithNewline = bytes.last == 0x0A
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if endsWithNewline { lines.removeLast() }
        var samples: [MeshStatsSample] = []
        var truncated: Int?
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                samples.append(try decoder.decode(MeshStatsSample.self, from: Data(line)))
            } catch {
                if index == lines.count - 1, !endsWithNewline, !samples.isEmpty {
                    truncated = number
                    break
                }
                throw CLIError.failed("\(path) line \(number): not a group-call stats sample (\(ReportInput.describe(error)))")
            }
        }
        guard !samples.isEmpty else {
            throw CLIError.failed("\(path) holds no group-call stats sample")
        }
        return MeshStatsLog(samples: samples, truncatedLastLine: truncated)
    }
}

/// The HTML page of a group call: the mesh report.json (`MeshReport`) and/or its stats
/// JSON lines (`MeshStatsSample`): summary, one row per directed link, membership events,
/// the speaker changes each participant heard, and per-link plots over time.
enum MeshReportPage {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// One directed link's final figures, from the report or from the last sample.
    struct LinkFigures {
        var from: Int
        var to: Int
        var openedAt: Double?
        var closedAt: Double?
        var closeReason: String?
        var audio: InboundAudioStats?
        var video: InboundVideoStats?
        var roundTripTime: Double?
        var mos: Double?
    }

    /// `report`, `samples` or both. `truncatedLastLine` is the stats file's cut line.
    static func make(
        report: MeshReport?, samples: [MeshStatsSample], truncatedLastLine: Int?,
        source: String, statsSource: String?
    ) -> HTMLReportPage {
        let count = report?.participants ?? max(
            samples.map(\.activeSpeakers.count).max() ?? 0,
            (samples.flatMap(\.links).map { max($0.from, $0.to) }.max() ?? -1) + 1)
        var names = meshParticipantNames
        for member in report?.members ?? [] where member.index >= 0 {
            while names.count <= member.index { names.append("p\(names.count)") }
            names[member.index] = member.name
        }
        func name(_ i: Int) -> String { names.indices.contains(i) && i >= 0 ? names[i] : "p\(i)" }
        func linkName(_ from: Int, _ to: Int) -> String { "\(name(from))→\(name(to))" }

        var subtitle = source
        if let r = report {
            subtitle += " — parley \(r.parleyVersion), \(r.completed ? "completed" : "stopped early")"
        }
        if !samples.isEmpty { subtitle += " — \(samples.count) stats samples" }
        var page = HTMLReportPage(title: "Parley group call — \(count) participants", subtitle: subtitle)
        if let r = report, !r.completed {
            page.notices.append("The run stopped early\(r.error.map { ": \($0)" } ?? ""). What it measured up to then is shown.")
        }
        if let line = truncatedLastLine {
            page.notices.append("Line \(line) of \(statsSource ?? source) was cut short (the run was probably killed) and is left out.")
        }
        if report != nil, samples.isEmpty {
            page.notices.append(report?.stats == nil
                ? "The run wrote no stats file (--stats-json), so there are no plots over time."
                : "The stats file \(report?.stats ?? "") could not be read, so there are no plots over time.")
        }
        if report == nil {
            page.notices.append("Drawn from the stats samples alone: the run's report.json (membership events, close reasons, SRTP drops) was not found next to it.")
        }

        // Every link's final figures.
        var links: [LinkFigures] = []
        if let r = report {
            links = r.links.map {
                LinkFigures(from: $0.from, to: $0.to, openedAt: $0.openedAt, closedAt: $0.closedAt, closeReason: $0.closeReason,
                            audio: $0.audio, video: $0.video, roundTripTime: $0.roundTripTime, mos: $0.quality?.mos)
            }
        } else {
            var order: [String] = []
            var byKey: [String: LinkFigures] = [:]
            let last = samples.last
            for s in samples {
                for l in s.links {
                    let key = "\(l.from)-\(l.to)"
                    if byKey[key] == nil { order.append(key) }
                    var f = byKey[key] ?? LinkFigures(from: l.from, to: l.to, openedAt: s.timestamp)
                    f.audio = l.sample.audio
                    f.video = l.sample.video
                    f.roundTripTime = l.sample.roundTripTime ?? f.roundTripTime
                    f.mos = l.sample.quality?.mos
                    f.closedAt = s.timestamp
                    byKey[key] = f
                }
            }
            links = order.compactMap { key in
                guard var f = byKey[key] else { return nil }
                // Still in the last sample: open at the end.
                if let last, last.links.contains(where: { "\($0.from)-\($0.to)" == key }) { f.closedAt = nil }
                return f
            }
        }

        // Summary.
        var summary: [(label: String, value: String)] = []
        let mosValues = links.compactMap(\.mos)
        let received = links.compactMap(\.audio).reduce(0) { $0 + $1.packetsReceived }
        let lost = links.compactMap(\.audio).reduce(0) { $0 + max(0, $1.packetsLost) }
        let lossPercent = received + lost > 0 ? 100 * Double(lost) / Double(received + lost) : 0
        let framesDecoded = links.compactMap(\.video).reduce(0) { $0 + $1.framesDecoded }
        let freezes = links.compactMap(\.video).reduce(0) { $0 + $1.freezeCount }
        summary.append(("Participants", (0..<count).map(name).joined(separator: ", ")))
        if let r = report {
            summary.append(("Call", String(format: "%.2f s of call in %.2f s wall clock (%.1f× real time)", r.callSeconds, r.wallSeconds, r.realtimeFactor)))
            summary.append(("Network", r.network.map { n in "\(n)" + (r.networkSeed.map { ", seed \($0)" } ?? "") } ?? "none (perfect links)"))
            summary.append(("Security", "SRTP \(r.srtpSuite)" + (r.signalingAEAD.map { ", signaling \($0)" } ?? "") + ", call id \(r.callID.prefix(16))…"))
        } else if let last = samples.last {
            summary.append(("Call", String(format: "%.2f s (%d samples)", last.timestamp, samples.count)))
        }
        summary.append(("Links", "\(report?.summary.links ?? links.count) directed links"))
        if let r = report, let mean = r.summary.meanMOS, let min = r.summary.minimumMOS {
            summary.append(("MOS (E-model)", String(format: "mean %.2f, min %.2f over the links", mean, min)))
        } else if !mosValues.isEmpty {
            summary.append(("MOS (E-model)", String(format: "mean %.2f, min %.2f over the links", mosValues.reduce(0, +) / Double(mosValues.count), mosValues.min()!)))
        }
        let packetsReceived = report?.summary.audioPacketsReceived ?? received
        let packetsLost = report?.summary.audioPacketsLost ?? lost
        let totalLoss = packetsReceived + packetsLost > 0 ? 100 * Double(packetsLost) / Double(packetsReceived + packetsLost) : lossPercent
        summary.append(("Audio packets", String(format: "%d received, %d lost (%.2f%%)", packetsReceived, packetsLost, totalLoss)))
        summary.append(("Video", "\(report?.summary.videoFramesDecoded ?? framesDecoded) frames decoded, \(report?.summary.freezes ?? freezes) freezes"))
        if let r = report {
            summary.append(("SRTP drops", "\(r.summary.srtpDrops)"))
            summary.append(("Roster versions", "\(r.rosterVersions)"))
        }
        page.summary = summary

        // Per-link table.
        func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.1f", $0 * 1000) } ?? "-" }
        func time(_ t: Double?) -> String { t.map { String(format: "%.2f", $0) } ?? "-" }
        let rows: [[String]] = links.map { l in
            let a = l.audio
            let rcv = a?.packetsReceived ?? 0, lst = max(0, a?.packetsLost ?? 0)
            let loss = a == nil ? "-" : String(format: "%.2f", rcv + lst > 0 ? 100 * Double(lst) / Double(rcv + lst) : 0)
            let concealed = a.map { String(format: "%.2f", $0.totalSamplesReceived > 0 ? 100 * Double($0.concealedSamples) / Double($0.totalSamplesReceived) : 0) } ?? "-"
            let jb = a.flatMap { $0.jitterBufferEmittedCount > 0 ? $0.jitterBufferDelay / Double($0.jitterBufferEmittedCount) : nil }
            return [
                linkName(l.from, l.to), time(l.openedAt), time(l.closedAt), l.closeReason ?? (l.closedAt == nil ? "-" : ""),
                a.map { "\($0.packetsReceived)" } ?? "-", a.map { "\(max(0, $0.packetsLost))" } ?? "-", loss,
                ms(a?.jitter), concealed, ms(jb), ms(l.roundTripTime), l.mos.map { String(format: "%.2f", $0) } ?? "-",
                l.video.map { "\($0.framesDecoded)" } ?? "-", l.video.map { "\($0.freezeCount)" } ?? "-",
            ]
        }
        page.sections.append(HTMLReportPage.Section(
            id: "links", heading: "Links",
            note: "One row per direction: what the second participant received from the first" + (report == nil ? ", as of the last stats sample (opened and closed: the first and last sample that has the link)." : ", at the end of the call."),
            body: HTMLReportPage.table(header: ["link", "opened (s)", "closed (s)", "close reason", "packets received", "lost", "loss %",
                                                "jitter ms", "concealed %", "jitter buffer ms", "RTT ms", "MOS", "video frames", "freezes"],
                                       rows: rows)))

        // Membership events.
        if let r = report, !r.events.isEmpty {
            let eventRows: [[String]] = r.events.map { e in
                [String(format: "%.2f", e.time), e.kind.rawValue, e.participant.map(name) ?? "-",
                 e.observer.map { "seen by \(name($0))" } ?? "the call", e.rosterVersion.map { "v\($0)" } ?? "-"]
            }
            page.sections.append(HTMLReportPage.Section(
                id: "membership", heading: "Membership events",
                note: "Joins, goodbyes, silent-peer timeouts, removals from the roster and re-keyings, in order.",
                body: HTMLReportPage.table(header: ["time (s)", "event", "participant", "observer", "roster"], rows: eventRows)))
        }

        // Speaker changes heard by each participant.
        var heard: [(listener: Int, changes: [(time: Double, speaker: Int)])] = []
        if let r = report {
            heard = r.members.map { m in (m.index, m.speakerChanges.map { ($0.time, $0.participant) }) }
        } else {
            for p in 0..<count {
                var changes: [(time: Double, speaker: Int)] = []
                var current: Int?
                for s in samples {
                    let speaker = s.activeSpeakers.indices.contains(p) ? s.activeSpeakers[p] : nil
                    if let speaker, speaker != current { changes.append((s.timestamp, speaker)) }
                    current = speaker ?? current
                }
                heard.append((p, changes))
            }
        }
        if !heard.isEmpty {
            let speakerRows = heard.map { h in
                [name(h.listener), h.changes.isEmpty ? "none" : h.changes.map { String(format: "%.2f s ", $0.time) + name($0.speaker) }.joined(separator: ", ")]
            }
            page.sections.append(HTMLReportPage.Section(
                id: "speakers", heading: "Active speaker changes",
                note: report == nil ? "The active speaker each participant heard, as sampled by the stats lines." : "Each time the active speaker changed, as each participant heard it.",
                body: HTMLReportPage.table(header: ["listener", "speaker changes (time, new speaker)"], rows: speakerRows)))
        }

        if !samples.isEmpty { addPlots(samples, to: &page, linkName: linkName, name: name) }
        return page
    }

    static func addPlots(_ samples: [MeshStatsSample], to page: inout HTMLReportPage,
                         linkName: (Int, Int) -> String, name: (Int) -> String) {
        // The links in the order they first appear.
        var keys: [(from: Int, to: Int)] = []
        for s in samples {
            for l in s.links where !keys.contains(where: { $0.from == l.from && $0.to == l.to }) { keys.append((l.from, l.to)) }
        }
        let lastTime = samples.map(\.timestamp).filter(\.isFinite).max() ?? 1
        let domain = 0...(lastTime > 0 ? lastTime : 1)
        func perLink(_ value: (StatsSample) -> Double?) -> [SVGLinePlot.Series] {
            keys.enumerated().map { i, key in
                let points: [SVGLinePlot.Point] = samples.map { s in
                    let sample = s.links.first { $0.from == key.from && $0.to == key.to }?.sample
                    return .init(s.timestamp, sample.flatMap(value) ?? .nan)
                }
                return SVGLinePlot.Series(name: linkName(key.from, key.to), color: palette[i % palette.count], points: points,
                                          style: samples.count == 1 ? .markers : .line)
            }
        }
        func plot(_ title: String, _ yLabel: String, _ series: [SVGLinePlot.Series], includesZero: Bool = true) -> SVGLinePlot {
            var p = SVGLinePlot(title: title, xLabel: "time (s)", yLabel: yLabel, series: series)
            p.xDomain = domain
            p.yIncludesZero = includesZero
            return p
        }
        if !keys.isEmpty {
            page.add(plot("MOS per link", "MOS", perLink { $0.quality?.mos }, includesZero: false), id: "mos",
                     note: "E-model MOS of each link's received audio at each stats sample.")
            page.add(plot("Jitter per link", "ms", perLink { $0.audio.map { $0.jitter * 1000 } }), id: "jitter",
                     note: "RFC 3550 interarrival jitter of each link's received audio.")
            page.add(plot("Packets lost per link (cumulative)", "packets", perLink { $0.audio.map { Double(max(0, $0.packetsLost)) } }), id: "packets-lost",
                     note: "Audio packets lost on each link since it opened.")
        }
        // The active speaker as participant 0 heard it: a step line of participant index.
        var steps: [SVGLinePlot.Point] = []
        var previous: Double?
        for s in samples {
            let y = s.activeSpeakers.first.flatMap { $0 }.map(Double.init) ?? .nan
            if let previous, previous.isFinite, y.isFinite, previous != y { steps.append(.init(s.timestamp, previous)) }
            steps.append(.init(s.timestamp, y))
            previous = y
        }
        if steps.contains(where: { $0.y.isFinite }) {
            var p = plot("Active speaker heard by \(name(0))", "participant", [
                SVGLinePlot.Series(name: "active speaker (0 = \(name(0)), 1 = \(name(1)), …)", color: palette[0], points: steps,
                                   style: samples.count == 1 ? .markers : .line),
            ])
            let top = Double(max(1, samples.map(\.activeSpeakers.count).max() ?? 1) - 1)
            p.yDomain = -0.25...(top + 0.25)
            page.add(p, id: "active-speaker",
                     note: "The participant index \(name(0)) heard as the active speaker at each stats sample (gaps: nobody yet).")
        }
    }
}
