/// What happened between two consecutive `StatsSample`s, for the first audio and video
/// stream: the rates and means webrtc-internals derives from cumulative stats.
///
/// Counts (`packetsReceived`, `packetsLost`, …) are the totals at the end of the interval;
/// the `…InInterval` values and the rates cover only the interval. With no previous
/// sample the interval starts at time 0 with every counter at 0.
public struct StatsInterval: Sendable, Equatable {
    public var start: Double
    public var end: Double

    // Audio (nil when the sample has no received audio stream).
    public var audioPacketsReceived: Int?
    public var audioPacketsLost: Int?
    public var audioPacketsReceivedInInterval: Int?
    public var audioPacketsLostInInterval: Int?
    /// Lost ÷ (received + lost) over the whole stream so far, 0...1.
    public var audioLossRatio: Double?
    /// RFC 3550 jitter at the end of the interval, milliseconds.
    public var audioJitterMilliseconds: Double?
    /// Mean jitter-buffer delay and target delay of the samples emitted in the interval, ms.
    public var jitterBufferDelayMilliseconds: Double?
    public var jitterBufferTargetDelayMilliseconds: Double?
    /// Concealed ÷ total samples over the whole stream so far, and in the interval, 0...1.
    public var concealedRatio: Double?
    public var concealedRatioInInterval: Double?
    public var concealmentEvents: Int?
    public var audioBitrate: Double?

    // Video.
    public var framesPerSecond: Double?
    public var videoBitrate: Double?
    public var videoPacketsLostInInterval: Int?
    public var freezeCount: Int?
    public var totalFreezesDuration: Double?
    public var nackCount: Int?
    public var pliCount: Int?
    public var framesDropped: Int?

    /// Round-trip time, milliseconds.
    public var roundTripTimeMilliseconds: Double?
    public var mos: Double?
    public var r: Double?

    /// The interval from `previous` (or from the start) to `current`. Counters read from
    /// a file may be anything: integer differences wrap rather than trap.
    public init(from previous: StatsSample?, to current: StatsSample) {
        start = previous?.timestamp ?? 0
        end = current.timestamp
        let seconds = end - start
        func rate(_ delta: Double) -> Double? { seconds > 0 ? delta / seconds : nil }
        func ratio(_ a: Double, _ b: Double) -> Double? { b > 0 ? a / b : nil }

        if let a = current.audio {
            let p = previous?.inboundAudio.first { $0.ssrc == a.ssrc }
            let before = p ?? InboundAudioStats(ssrc: a.ssrc)
            audioPacketsReceived = a.packetsReceived
            audioPacketsLost = a.packetsLost
            audioPacketsReceivedInInterval = a.packetsReceived &- before.packetsReceived
            audioPacketsLostInInterval = a.packetsLost &- before.packetsLost
            audioLossRatio = ratio(Double(max(0, a.packetsLost)), Double(a.packetsReceived) + Double(max(0, a.packetsLost))) ?? 0
            audioJitterMilliseconds = a.jitter * 1000
            let emitted = Double(a.jitterBufferEmittedCount &- before.jitterBufferEmittedCount)
            jitterBufferDelayMilliseconds = ratio(a.jitterBufferDelay - before.jitterBufferDelay, emitted).map { $0 * 1000 }
            jitterBufferTargetDelayMilliseconds = ratio(a.jitterBufferTargetDelay - before.jitterBufferTargetDelay, emitted).map { $0 * 1000 }
            concealedRatio = ratio(Double(a.concealedSamples), Double(a.totalSamplesReceived)) ?? 0
            concealedRatioInInterval = ratio(Double(a.concealedSamples &- before.concealedSamples),
                                             Double(a.totalSamplesReceived &- before.totalSamplesReceived))
            concealmentEvents = a.concealmentEvents
            audioBitrate = rate(Double(a.bytesReceived &- before.bytesReceived) * 8)
        }
        if let v = current.video {
            let before = previous?.inboundVideo.first { $0.ssrc == v.ssrc } ?? InboundVideoStats(ssrc: v.ssrc)
            framesPerSecond = rate(Double(v.framesDecoded &- before.framesDecoded))
            videoBitrate = rate(Double(v.bytesReceived &- before.bytesReceived) * 8)
            videoPacketsLostInInterval = v.packetsLost &- before.packetsLost
            freezeCount = v.freezeCount
            totalFreezesDuration = v.totalFreezesDuration
            nackCount = v.nackCount
            pliCount = v.pliCount
            framesDropped = v.framesDropped
        }
        roundTripTimeMilliseconds = current.roundTripTime.map { $0 * 1000 }
        mos = current.quality?.mos
        r = current.quality?.r
    }

    /// The intervals between consecutive samples, the first one from time 0.
    public static func intervals(_ samples: [StatsSample]) -> [StatsInterval] {
        var previous: StatsSample?
        return samples.map { sample in
            defer { previous = sample }
            return StatsInterval(from: previous, to: sample)
        }
    }
}
