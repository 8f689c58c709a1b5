import Foundation
import ParleyEngine
import ParleyMetrics

/// The HTML page of a `parley loopback` report.json: summary, packet counts, per-frame
/// PSNR/SSIM and frame sizes over time, and the stats samples when the report embeds
/// them (a `statsSamples` array, as a later engine may write).
enum LoopbackReportPage {
    /// The part of a report.json that holds stats samples, decoded on its own so that
    /// today's reports (without it) read the same.
    struct EmbeddedSamples: Decodable {
        var statsSamples: [StatsSample]?
    }

    static func make(_ report: LoopbackReport, samples: [StatsSample], source: String) -> HTMLReportPage {
        var page = HTMLReportPage(
            title: "Parley loopback report",
            subtitle: "\(source) — parley \(report.parleyVersion), \(report.completed ? "completed" : "stopped early")")
        if !report.completed {
            page.notices.append("The run stopped early\(report.error.map { ": \($0)" } ?? ""). What it measured up to then is shown.")
        }

        var summary: [(label: String, value: String)] = []
        if let a = report.audio {
            summary.append(("Duration", String(format: "%.1f s of audio", a.durationSeconds)))
            let lost = max(0, a.packetsSent &- a.packetsReceived)
            let loss = a.packetsSent > 0 ? 100 * Double(lost) / Double(a.packetsSent) : 0
            summary.append(("Audio", String(format: "Opus %d Hz, %.1f kbit/s, %d packets sent, %d received (%.2f%% lost), %d frames concealed",
                                            a.sampleRate, a.bitrate / 1000, a.packetsSent, a.packetsReceived, loss, a.concealedFrames)))
            summary.append(("Audio delay", String(format: "%.1f ms by cross-correlation (correlation %.3f; codec delay %.1f ms)",
                                                  a.alignment.delayMilliseconds, a.alignment.correlation, a.codecDelayMilliseconds)))
            let quality = CallQuality(
                oneWayDelayMilliseconds: a.alignment.delayMilliseconds, lossRatio: a.packetsSent > 0 ? Double(lost) / Double(a.packetsSent) : 0,
                burstRatio: 1, codec: .opus(bitrate: a.bitrate))
            summary.append(("MOS (E-model)", String(format: "%.2f (R %.1f) from the delay, loss and Opus at %.0f kbit/s", quality.mos, quality.r, a.bitrate / 1000)))
        }
        if let v = report.video {
            if report.audio == nil {
                summary.append(("Duration", String(format: "%.1f s of video", v.frameRate > 0 ? Double(v.framesEncoded) / v.frameRate : 0)))
            }
            summary.append(("Video", v.codec.uppercased() + String(format: " %dx%d at %.0f fps, %.0f kbit/s, %d frames encoded, %d decoded, %d decode errors",
                                            v.width, v.height, v.frameRate, v.bitrateKbps, v.framesEncoded, v.framesDecoded, v.decodeErrors)))
            summary.append(("Video packets", "\(v.packetsSent) sent, \(v.packetsReceived) received, \(v.framesIncomplete) incomplete frames"))
            if v.freezeCount != nil || v.framesDropped != nil || v.nackCount != nil || v.pliCount != nil {
                summary.append(("Freezes", String(format: "%d, %.2f s in total; %d frames dropped", v.freezeCount ?? 0, v.totalFreezesDuration ?? 0, v.framesDropped ?? 0)))
                summary.append(("Video feedback", "\(v.nackCount ?? 0) NACK, \(v.pliCount ?? 0) PLI"))
            }
            summary.append(("PSNR", String(format: "mean %.2f dB, min %.2f dB (all planes); Y mean %.2f dB", v.psnr.mean, v.psnr.min, v.psnrY.mean)))
            summary.append(("SSIM", String(format: "mean %.4f, min %.4f", v.ssim.mean, v.ssim.min)))
        }
        if let t = report.transport {
            summary.append(("Transport", "\(t.kind), SRTP \(t.srtpSuite), " + String(format: "%.1f kbit/s on the wire", t.wireBitrate / 1000)))
        }
        summary.append(("Run", String(format: "%.2f s wall clock, %.1f× real time", report.wallSeconds, report.realtimeFactor)))
        if !samples.isEmpty {
            // The samples' rows, except those the report itself already gave (the report's
            // figures cover the whole run; the samples' add jitter, buffer and MOS over time).
            let given = Set(summary.map(\.label))
            summary += StatsReport.summary(samples).filter { $0.label != "Duration" && !given.contains($0.label) }
        }
        page.summary = summary

        // Packet counts.
        var rows: [[String]] = []
        if let a = report.audio {
            rows.append(["audio", "\(a.packetsSent)", "\(a.packetsReceived)", "\(max(0, a.packetsSent &- a.packetsReceived))", "\(a.bytesSent)", String(format: "%.1f", a.bitrate / 1000)])
        }
        if let v = report.video {
            rows.append(["video", "\(v.packetsSent)", "\(v.packetsReceived)", "\(max(0, v.packetsSent &- v.packetsReceived))", "\(v.bytesSent)", String(format: "%.1f", v.bitrateKbps)])
        }
        if !rows.isEmpty {
            page.sections.append(HTMLReportPage.Section(
                id: "packets", heading: "Packets",
                note: "RTP packets through the SRTP loopback, per stream.",
                body: HTMLReportPage.table(header: ["stream", "packets sent", "received", "lost", "bytes sent", "kbit/s"], rows: rows)))
        }

        if !samples.isEmpty {
            StatsReport.addPlots(samples, to: &page)
        }

        if let v = report.video, !v.frames.isEmpty {
            let rate = v.frameRate > 0 ? v.frameRate : 30
            func t(_ f: LoopbackReport.VideoFrameStats) -> Double { Double(f.index) / rate }
            let psnrCap = 60.0
            var psnr = SVGLinePlot(title: "Video PSNR per frame", xLabel: "time (s)", yLabel: "dB", series: [
                .init(name: "PSNR Y", color: "#1f77b4", points: v.frames.map { .init(t($0), min($0.psnrY, psnrCap)) }),
                .init(name: "PSNR (all planes)", color: "#ff7f0e", points: v.frames.map { .init(t($0), min($0.psnr, psnrCap)) }),
            ])
            psnr.yIncludesZero = false
            page.add(psnr, id: "psnr", note: "PSNR of each decoded frame against its source (identical frames, 100 dB, are drawn at 60 dB).")
            var ssim = SVGLinePlot(title: "Video SSIM per frame", xLabel: "time (s)", yLabel: "SSIM (Y)", series: [
                .init(name: "SSIM", color: "#2ca02c", points: v.frames.map { .init(t($0), $0.ssim) }),
            ])
            ssim.yIncludesZero = false
            page.add(ssim, id: "ssim", note: "SSIM of the luma of each decoded frame (1 means identical).")
            let keyframes = v.frames.filter(\.keyframe)
            page.add(SVGLinePlot(title: "Video bitrate per frame", xLabel: "time (s)", yLabel: "kbit/s", series: [
                .init(name: "frame size × frame rate", color: "#9467bd", points: v.frames.map { .init(t($0), Double($0.bytes) * 8 * rate / 1000) }),
                .init(name: "keyframe", color: "#d62728", points: keyframes.map { .init(t($0), Double($0.bytes) * 8 * rate / 1000) }, style: .markers),
            ]), id: "video-bitrate", note: "The encoded size of each frame as an instantaneous bitrate; keyframes marked.")
        }
        return page
    }
}
