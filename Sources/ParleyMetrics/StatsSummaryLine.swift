import Foundation

/// The one-line human summary `--stats-interval` prints on stderr for each sample:
///
///     t=3.0s audio: recv 150 lost 2 (1.3%) jitter 4.1ms jb 62/60ms conceal 1.2% MOS 4.21 | video: 30 fps 780 kbit/s frozen 0 nack 1 pli 0
///
/// recv, lost, the loss percentage, conceal (concealed ÷ played samples), frozen (freeze
/// count), nack and pli are totals since the start; jitter is the current RFC 3550 value;
/// jb (mean jitter-buffer delay / target delay), fps and kbit/s cover the last interval.
/// A part whose stream is absent is left out; a value not yet measurable prints "-".
public enum StatsSummaryLine {
    /// The summary of `current`, with rates since `previous` (nil for the first sample).
    public static func format(_ current: StatsSample, previous: StatsSample?) -> String {
        format(StatsInterval(from: previous, to: current))
    }

    /// The summary of one interval.
    public static func format(_ i: StatsInterval) -> String {
        var parts = ["t=\(fixed(i.end, 1))s"]
        if let received = i.audioPacketsReceived, let lost = i.audioPacketsLost {
            var audio = "audio: recv \(received) lost \(lost) (\(percent(i.audioLossRatio)))"
            audio += " jitter \(fixed(i.audioJitterMilliseconds, 1))ms"
            audio += " jb \(fixed(i.jitterBufferDelayMilliseconds, 0))/\(fixed(i.jitterBufferTargetDelayMilliseconds, 0))ms"
            audio += " conceal \(percent(i.concealedRatio))"
            if let mos = i.mos { audio += " MOS \(fixed(mos, 2))" }
            parts.append(audio)
        }
        if i.framesPerSecond != nil || i.freezeCount != nil {
            var video = "video: \(fixed(i.framesPerSecond, 0)) fps \(fixed(i.videoBitrate.map { $0 / 1000 }, 0)) kbit/s"
            video += " frozen \(i.freezeCount ?? 0) nack \(i.nackCount ?? 0) pli \(i.pliCount ?? 0)"
            parts.append(video)
        }
        if parts.count == 1 { return parts[0] + " (no received streams)" }
        return parts[0] + " " + parts.dropFirst().joined(separator: " | ")
    }

    /// `value` with `digits` decimals, "-" for nil or non-finite.
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    /// A 0...1 ratio as a percentage with one decimal.
    static func percent(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "-" }
        return String(format: "%.1f%%", ratio * 100)
    }
}
