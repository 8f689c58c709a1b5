import Foundation
import ParleyConference
import Logging
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyRTP
import ParleySecurity

/// What to run through a file-to-file codec loopback.
public struct LoopbackOptions: Sendable {
    public var audioPath: String?
    public var videoPath: String?
    public var outputDirectory: String
    public var opus: OpusConfiguration
    public var videoCodec: VideoCodecKind
    public var videoBitrateKbps: Int
    /// nil: the codec's realtime default.
    public var cpuUsed: Int?
    public var videoThreads: Int
    public var keyframeInterval: Int
    public var errorResilient: Bool
    /// Stop after this many seconds of media (nil: the whole input).
    public var maximumSeconds: Double?
    /// Use a WAV whose header declares more audio than the file holds, instead of refusing it.
    public var acceptTruncatedAudio: Bool
    /// The SRTP protection profile of the in-process call.
    public var srtpSuite: SRTPSuite
    /// Write every packet to this pcap file.
    public var pcapPath: String?
    /// Capture the RTP/RTCP before protection instead of the SRTP on the wire.
    public var pcapPlaintext: Bool
    /// The emulated network between the two sides (nil: a perfect link).
    public var network: NetworkProfile? = nil
    /// The seed of the emulator's random streams.
    public var networkSeed: UInt64 = 1
    /// Media seconds between two stats samples (nil: none, unless `statsJSONPath` is set,
    /// which samples every second).
    public var statsInterval: Double? = nil
    /// Write every stats sample to this file as JSON lines.
    public var statsJSONPath: String? = nil

    public init(
        audioPath: String? = nil, videoPath: String? = nil, outputDirectory: String,
        opus: OpusConfiguration = OpusConfiguration(), videoCodec: VideoCodecKind = .vp8,
        videoBitrateKbps: Int = 800, cpuUsed: Int? = nil, videoThreads: Int = 1,
        keyframeInterval: Int = 300, errorResilient: Bool = false, maximumSeconds: Double? = nil,
        acceptTruncatedAudio: Bool = false, srtpSuite: SRTPSuite = .default, pcapPath: String? = nil,
        pcapPlaintext: Bool = false
    ) {
        self.audioPath = audioPath
        self.videoPath = videoPath
        self.outputDirectory = outputDirectory
        self.opus = opus
        self.videoCodec = videoCodec
        self.videoBitrateKbps = videoBitrateKbps
        self.cpuUsed = cpuUsed
        self.videoThreads = videoThreads
        self.keyframeInterval = keyframeInterval
        self.errorResilient = errorResilient
        self.maximumSeconds = maximumSeconds
        self.acceptTruncatedAudio = acceptTruncatedAudio
        self.srtpSuite = srtpSuite
        self.pcapPath = pcapPath
        self.pcapPlaintext = pcapPlaintext
    }
}

/// How far a loopback has got, for a progress display.
public struct LoopbackProgress: Sendable {
    /// Media seconds done and expected (nil when the length is unknown).
    public var seconds: Double
    public var totalSeconds: Double?
    public var audioFrames: Int
    public var videoFrames: Int
    public var fraction: Double? { totalSeconds.map { $0 > 0 ? min(1, seconds / $0) : 1 } }

    public init(seconds: Double, totalSeconds: Double?, audioFrames: Int, videoFrames: Int) {
        self.seconds = seconds
        self.totalSeconds = totalSeconds
        self.audioFrames = audioFrames
        self.videoFrames = videoFrames
    }
}

/// A call in one process, file to file: encode → RTP → SRTP → link → SRTP → RTP → decode,
/// measured. The link is perfect for now; later stages (the network emulator, the
/// conference) go between the two halves.
///
/// Every input is opened and validated before any output is created, so a bad input
/// leaves nothing behind; an error part-way keeps the outputs written so far valid and
/// writes a report with `completed: false`.
public final class FileLoopback {
    public static let parleyVersion = "0.1.0"
    static let logger = Logger(label: "parley.engine")

    public let options: LoopbackOptions
    private var audio: AudioLane?
    private var video: VideoLane?
    private let call: LoopbackCall

    public init(options: LoopbackOptions) throws {
        guard options.audioPath != nil || options.videoPath != nil else { throw EngineError.noInput }
        self.options = options
        // The two simulated people become contacts and set the call up; its keys key SRTP.
        let participants = try LoopbackParticipants(suite: options.srtpSuite)
        call = try LoopbackCall(suite: options.srtpSuite, participants: participants)
        if let network = options.network {
            call.link.model = EmulatedLinkModel(profile: network, seed: options.networkSeed)
            // RTCP's randomized intervals from the same seed: the run repeats exactly.
            var generator = EmulatorRandom(seed: options.networkSeed, stream: 99)
            call.rtcp.randomFactor = { 0.5 + generator.unit() }
        }
        Self.logger.info("call keyed from the contact session", metadata: [
            "caller": "\(participants.caller.displayName)", "callee": "\(participants.callee.displayName)",
            "callID": "\(participants.callID)", "sas": "\(participants.shortAuthenticationString)",
        ])
        if let path = options.audioPath {
            audio = try AudioLane(path: path, configuration: options.opus, acceptTruncated: options.acceptTruncatedAudio, call: call,
                                  adaptivePlayout: options.network != nil)
        }
        if let path = options.videoPath {
            video = try VideoLane(path: path, options: options, call: call)
        }
        if let audio {
            let info = audio.sourceInfo
            Self.logger.info("audio input opened", metadata: [
                "path": "\(audio.path)", "source": "\(info.format), \(info.sampleFormat.rawValue), \(info.frameCount) frames",
                "opus": "\(options.opus.sampleRate) Hz, \(options.opus.channels) ch, \(options.opus.frameDurationMilliseconds) ms, \(options.opus.bitrate) bit/s, complexity \(options.opus.complexity), fec \(options.opus.inbandFEC), dtx \(options.opus.dtx)",
            ])
        }
        if let video {
            let source = video.source
            Self.logger.info("video input opened", metadata: [
                "path": "\(source.path)", "source": "\(source.kind.rawValue) \(source.width)x\(source.height) \(source.frameRateNumerator)/\(source.frameRateDenominator) fps, \(source.expectedFrameCount.map(String.init) ?? "unknown") frames",
                "encoder": "\(options.videoCodec.rawValue) \(options.videoBitrateKbps) kbit/s, cpu-used \(video.cpuUsed), \(options.videoThreads) threads, keyframe interval \(options.keyframeInterval)",
            ])
        }
    }

    /// Runs the loopback; `progress` is called every few frames, `stats` with the one-line
    /// summary of each stats interval (`statsInterval`).
    public func run(progress: (LoopbackProgress) -> Void = { _ in }, stats: (String) -> Void = { _ in }) throws -> LoopbackReport {
        let directory = options.outputDirectory
        try Self.createDirectory(directory)
        let reportPath = (directory as NSString).appendingPathComponent("report.json")
        // A stale report from an earlier run must not pass for this one's.
        try? FileManager.default.removeItem(atPath: reportPath)
        try audio?.openOutput(directory: directory)
        try video?.openOutput(directory: directory)
        if let pcap = options.pcapPath {
            try call.capture(to: pcap, plaintext: options.pcapPlaintext)
        }

        let limit = options.maximumSeconds ?? .infinity
        let total: Double? = {
            let a = audio.flatMap { $0.expectedSeconds }
            let v = video.flatMap { $0.expectedSeconds }
            if audio != nil, a == nil { return nil }
            if video != nil, v == nil { return nil }
            return min(limit, max(a ?? 0, v ?? 0))
        }()
        let statsEvery = options.statsInterval ?? (options.statsJSONPath != nil ? 1.0 : nil)
        let recorder = try statsEvery.map { _ in
            try StatsRecorder(url: options.statsJSONPath.map { URL(fileURLWithPath: $0) })
        }
        var nextStats = statsEvery ?? .infinity
        let wallStart = BenchmarkClock.monotonicSeconds()
        var failure: Error?
        var lastReport = -1.0
        do {
            // Events in media time, earliest first, as a call would see them: the next
            // audio or video frame to send, the next packet to arrive over the link (with a
            // link model), and the receiver's 10 ms tick (NACK retries, waiting frames).
            var nextTick = 0.0
            var lastSend = 0.0
            while true {
                let audioTime = audio.flatMap { $0.finished ? nil : $0.seconds }.flatMap { $0 < limit ? $0 : nil }
                let videoTime = video.flatMap { $0.finished ? nil : $0.seconds }.flatMap { $0 < limit ? $0 : nil }
                let sendTime = [audioTime, videoTime].compactMap { $0 }.min()
                if let sendTime { lastSend = sendTime }
                // After the last frame is sent, packets still in flight get up to 5 s to arrive.
                let arrival = call.link.nextArrival.flatMap { sendTime != nil || $0 <= lastSend + 5 ? $0 : nil }
                // The audio playout clock runs while there is something left to play.
                let playing = sendTime != nil || arrival != nil || (audio?.hasBufferedAudio ?? false)
                let playout = playing ? audio?.nextPlayout.flatMap { sendTime != nil || $0 <= lastSend + 5 ? $0 : nil } : nil
                let candidates = [sendTime, arrival, playout, (sendTime != nil || arrival != nil) ? nextTick : nil].compactMap { $0 }
                guard let now = candidates.min() else { break }
                call.now = max(call.now, now)
                call.rtcp.tick(now: call.now)
                if let sendTime, sendTime == now {
                    if let a = audioTime, a == now { try audio?.step() } else { try video?.step() }
                }
                call.link.pump()
                if let playout, playout <= now { audio?.pull(now: now) }
                if now >= nextTick {
                    video?.tick(now: call.now)
                    call.link.pump()
                    nextTick = now + 0.010
                }
                if let recorder, now >= nextStats {
                    let line = try recorder.record(sample(at: nextStats))
                    if options.statsInterval != nil { stats(line) }
                    nextStats += statsEvery ?? .infinity
                }
                if now - lastReport >= 0.2 {
                    lastReport = now
                    progress(LoopbackProgress(seconds: now, totalSeconds: total,
                                              audioFrames: audio?.framesEncoded ?? 0, videoFrames: video?.framesEncoded ?? 0))
                }
            }
        } catch {
            failure = error
        }
        call.rtcp.sendReport(now: call.now, bye: "loopback finished")
        call.link.pump()
        var closeFailure: Error?
        if let recorder {
            do {
                // The last, partial interval, unless it is too short to say anything.
                let last = recorder.samples.last?.timestamp ?? 0
                if call.now - last >= 0.25 * (statsEvery ?? 1) || recorder.samples.isEmpty {
                    let line = try recorder.record(sample(at: call.now))
                    if options.statsInterval != nil { stats(line) }
                }
                try recorder.close()
            } catch { closeFailure = closeFailure ?? error }
        }
        do { try audio?.close() } catch { closeFailure = closeFailure ?? error }
        do { try video?.close() } catch { closeFailure = closeFailure ?? error }
        do { try call.close() } catch { closeFailure = closeFailure ?? error }
        defer { call.participants.close() }  // hangup: ephemeral and call secrets wiped
        failure = failure ?? closeFailure
        let seconds = max(audio?.seconds ?? 0, video?.seconds ?? 0)
        progress(LoopbackProgress(seconds: seconds, totalSeconds: total ?? seconds,
                                  audioFrames: audio?.framesEncoded ?? 0, videoFrames: video?.framesEncoded ?? 0))
        let wall = BenchmarkClock.monotonicSeconds() - wallStart
        let report = LoopbackReport(
            parleyVersion: Self.parleyVersion,
            completed: failure == nil,
            error: failure.map { "\($0)" },
            inputs: .init(audio: options.audioPath, video: options.videoPath),
            outputs: .init(directory: directory, audio: audio?.outputPath, video: video?.outputPath,
                           encodedVideo: video?.encodedPath, capture: options.pcapPath, report: reportPath,
                           stats: options.statsJSONPath),
            audio: audio?.report(),
            video: video?.report(),
            transport: call.report(),
            wallSeconds: wall,
            realtimeFactor: wall > 0 ? seconds / wall : 0
        )
        try Self.write(report, to: reportPath)
        if let failure {
            Self.logger.error("loopback stopped", metadata: ["error": "\(failure)", "mediaSeconds": "\(seconds)"])
            throw LoopbackFailure(underlying: failure, report: report)
        }
        Self.logger.notice("loopback completed", metadata: [
            "mediaSeconds": "\(seconds)", "wallSeconds": "\(wall)", "report": "\(reportPath)",
        ])
        return report
    }

    /// One stats sample at media time `time`: each receiving stream's cumulative
    /// webrtc-stats, the round trip, and the E-model's R and MOS for the audio. The
    /// mouth-to-ear delay the E-model uses is packetization (one frame) + Opus's lookahead
    /// (6.5 ms) + the emulated network's mean one-way delay + the jitter buffer's mean delay.
    func sample(at time: Double) -> StatsSample {
        let network = (call.link.model as? EmulatedLinkModel)?.meanDelay ?? 0
        let quality = audio.flatMap { $0.callQuality(networkDelay: network, bitrate: Double(options.opus.bitrate)) }
        return .receiving(at: time, audio: audio?.inboundStats(), video: video?.inboundStats(),
                          roundTripTime: call.rtcp.statistics.roundTripTime, quality: quality)
    }

    /// Creates `path` and its parents, with an error that says which part is in the way.
    static func createDirectory(_ path: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        var ancestor = URL(fileURLWithPath: path).standardizedFileURL
        while ancestor.path != "/" {
            if manager.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw EngineError.cannotCreateOutput(path: path, reason: "\(ancestor.path) is a file, not a directory; choose another --out")
                }
                break
            }
            ancestor.deleteLastPathComponent()
        }
        do {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? (error as NSError).localizedDescription
            throw EngineError.cannotCreateOutput(path: path, reason: reason)
        }
    }

    static func write<Report: Encodable>(_ report: Report, to path: String) throws {
        let data = try ReportJSON.encode(report)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw EngineError.cannotCreateOutput(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// A loopback that stopped on an error after writing part of its output.
public struct LoopbackFailure: Error, CustomStringConvertible {
    public var underlying: Error
    public var report: LoopbackReport
    public var description: String { "\(underlying)" }
}

