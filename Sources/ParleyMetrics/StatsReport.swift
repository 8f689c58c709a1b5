import Foundation

/// The plots and summary of a call's stats samples (from `--stats-json`, or embedded in
/// a loopback report), added to an `HTMLReportPage`.
public enum StatsReport {
    static let blue = "#1f77b4", orange = "#ff7f0e", green = "#2ca02c", red = "#d62728", purple = "#9467bd", gray = "#7f7f7f"

    /// The summary rows: duration, packets, loss, jitter (mean and 95th percentile), jitter
    /// buffer, concealment, MOS, round-trip time, video frames and freezes.
    public static func summary(_ samples: [StatsSample]) -> [(label: String, value: String)] {
        guard let last = samples.last else { return [] }
        let intervals = StatsInterval.intervals(samples)
        var rows: [(label: String, value: String)] = [("Duration", String(format: "%.1f s (%d samples)", last.timestamp, samples.count))]
        if let audio = last.audio {
            let expected = Double(audio.packetsReceived) + Double(max(0, audio.packetsLost))
            let loss = expected > 0 ? 100 * Double(max(0, audio.packetsLost)) / expected : 0
            rows.append(("Audio packets", "\(audio.packetsReceived) received, \(audio.packetsLost) lost (\(String(format: "%.2f", loss))%), \(audio.packetsDiscarded) discarded"))
            let jitters = samples.compactMap { $0.audio.map { $0.jitter * 1000 } }
            let meanJitter = jitters.isEmpty ? 0 : jitters.reduce(0, +) / Double(jitters.count)
            let p95 = RunningSummary.percentile(jitters, 95) ?? 0
            rows.append(("Jitter", String(format: "mean %.1f ms, 95th percentile %.1f ms", meanJitter, p95)))
            if audio.jitterBufferEmittedCount > 0 {
                rows.append(("Jitter buffer", String(format: "mean delay %.0f ms, mean target %.0f ms",
                    1000 * audio.jitterBufferDelay / Double(audio.jitterBufferEmittedCount),
                    1000 * audio.jitterBufferTargetDelay / Double(audio.jitterBufferEmittedCount))))
            }
            let concealed = audio.totalSamplesReceived > 0 ? 100 * Double(audio.concealedSamples) / Double(audio.totalSamplesReceived) : 0
            rows.append(("Concealment", String(format: "%.2f%% of samples, %d events", concealed, audio.concealmentEvents)))
        }
        let moses = samples.compactMap { $0.quality?.mos }.filter(\.isFinite)
        if !moses.isEmpty {
            let mean = moses.reduce(0, +) / Double(moses.count)
            rows.append(("MOS (E-model)", String(format: "mean %.2f, min %.2f", mean, moses.min() ?? 0)))
        }
        let rtts = samples.compactMap { $0.roundTripTime.map { $0 * 1000 } }
        if !rtts.isEmpty {
            rows.append(("Round-trip time", String(format: "mean %.0f ms, max %.0f ms", rtts.reduce(0, +) / Double(rtts.count), rtts.max() ?? 0)))
        }
        if let video = last.video {
            let fps = intervals.compactMap(\.framesPerSecond)
            let meanFPS = fps.isEmpty ? 0 : fps.reduce(0, +) / Double(fps.count)
            rows.append(("Video frames", String(format: "%d decoded, %d dropped, mean %.1f fps", video.framesDecoded, video.framesDropped, meanFPS)))
            rows.append(("Freezes", String(format: "%d, %.2f s in total", video.freezeCount, video.totalFreezesDuration)))
            rows.append(("Video feedback", "\(video.nackCount) NACK, \(video.pliCount) PLI, \(video.packetsLost) packets lost"))
        }
        return rows
    }

    /// Adds the plots over time to `page`: jitter-buffer delay against target (and jitter),
    /// packet arrivals and loss, concealment, MOS, bitrate; video frame rate and freezes
    /// when there is video.
    public static func addPlots(_ samples: [StatsSample], to page: inout HTMLReportPage) {
        let intervals = StatsInterval.intervals(samples)
        func series(_ name: String, _ color: String, _ style: SVGLinePlot.Style = .line, _ value: (StatsInterval) -> Double?) -> SVGLinePlot.Series {
            SVGLinePlot.Series(name: name, color: color, points: intervals.map { .init($0.end, value($0) ?? .nan) }, style: style)
        }
        let time = "time (s)"
        // Time axes start at the call's start, not at the end of the first interval.
        let lastTime = samples.map(\.timestamp).filter(\.isFinite).max() ?? 1
        let timeDomain = 0...(lastTime > 0 ? lastTime : 1)
        func plot(_ title: String, _ yLabel: String, _ series: [SVGLinePlot.Series]) -> SVGLinePlot {
            var p = SVGLinePlot(title: title, xLabel: time, yLabel: yLabel, series: series)
            p.xDomain = timeDomain
            return p
        }
        /// Counts drawn as markers only where they are not 0 (no dots for "nothing lost").
        func nonZero(_ value: Int?) -> Double? { value.flatMap { $0 != 0 ? Double($0) : nil } }
        let hasAudio = samples.contains { $0.audio != nil }
        let hasVideo = samples.contains { $0.video != nil }

        if hasAudio {
            page.add(plot("Jitter buffer: delay against target", "ms", [
                series("delay", blue) { $0.jitterBufferDelayMilliseconds },
                series("target", orange, .dashed) { $0.jitterBufferTargetDelayMilliseconds },
                series("jitter (RFC 3550)", green) { $0.audioJitterMilliseconds },
            ]), id: "jitter-buffer", note: "Mean jitter-buffer delay and target delay of the samples played in each interval (ΔjitterBufferDelay / ΔjitterBufferEmittedCount), and the interarrival jitter.")

            var arrivals = [
                series("audio received", blue) { $0.audioPacketsReceivedInInterval.map(Double.init) },
                series("audio lost", red, .markers) { nonZero($0.audioPacketsLostInInterval) },
            ]
            if hasVideo { arrivals.append(series("video lost", purple, .markers) { nonZero($0.videoPacketsLostInInterval) }) }
            page.add(plot("Packet arrivals and loss", "packets per interval", arrivals),
                     id: "packets", note: "Packets received and lost in each interval.")

            page.add(plot("Concealment", "% of samples", [
                series("concealed in interval", red) { $0.concealedRatioInInterval.map { $0 * 100 } },
                series("concealed since start", gray, .dashed) { $0.concealedRatio.map { $0 * 100 } },
            ]), id: "concealment", note: "Share of the played samples that packet loss concealment produced.")
        }
        let hasDelay = samples.contains { $0.roundTripTime != nil || $0.mouthToEarDelayMilliseconds != nil || $0.quality != nil }
        if hasDelay {
            var delays: [SVGLinePlot.Series] = []
            if samples.contains(where: { $0.quality != nil }) {
                delays.append(SVGLinePlot.Series(name: "one-way (E-model input)", color: blue,
                    points: samples.map { .init($0.timestamp, $0.quality?.oneWayDelayMilliseconds ?? .nan) }))
            }
            if samples.contains(where: { $0.mouthToEarDelayMilliseconds != nil }) {
                delays.append(SVGLinePlot.Series(name: "mouth to ear (cross-correlation)", color: green,
                    points: samples.map { .init($0.timestamp, $0.mouthToEarDelayMilliseconds ?? .nan) }))
            }
            if samples.contains(where: { $0.roundTripTime != nil }) {
                delays.append(series("round trip (RTCP)", gray, .dashed) { $0.roundTripTimeMilliseconds })
            }
            page.add(plot("Delay", "ms", delays), id: "delay",
                     note: "The one-way delay the E-model was given, the measured mouth-to-ear delay (loopback), and the RTCP round-trip time.")
        }
        if samples.contains(where: { $0.quality != nil }) {
            var mos = plot("MOS (ITU-T G.107 E-model)", "MOS", [
                series("MOS", green) { $0.mos },
            ])
            mos.yDomain = 1...4.5
            page.add(mos, id: "mos", note: "Conversational quality estimated from delay, loss and burstiness: 4.4 is the best narrowband telephony reaches, below 3.6 many users are dissatisfied.")
        }
        var rates: [SVGLinePlot.Series] = []
        if hasAudio { rates.append(series("audio", blue) { $0.audioBitrate.map { $0 / 1000 } }) }
        if hasVideo { rates.append(series("video", orange) { $0.videoBitrate.map { $0 / 1000 } }) }
        if !rates.isEmpty {
            page.add(plot("Received bitrate", "kbit/s", rates),
                     id: "bitrate", note: "Bytes received in each interval (ΔbytesReceived × 8 / Δt).")
        }
        if hasVideo {
            page.add(plot("Video frame rate and freezes", "fps / count", [
                series("frames per second", blue) { $0.framesPerSecond },
                series("freezes (total)", red, .dashed) { $0.freezeCount.map(Double.init) },
                series("PLI (total)", purple, .dashed) { $0.pliCount.map(Double.init) },
            ]), id: "video", note: "Frames decoded per second, and the running totals of freezes and picture loss indications.")
        }
    }
}
