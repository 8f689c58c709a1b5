import Foundation
import Logging
import ParleyCodecs
import ParleyConference
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleySecurity

/// What to run through an N-party file-to-file mesh loopback.
public struct MeshLoopbackOptions: Sendable {
    public var participants: Int
    /// One WAV for everyone, or one per participant.
    public var audioPaths: [String]
    /// None, one Y4M/IVF for everyone, or one per participant.
    public var videoPaths: [String] = []
    public var outputDirectory: String
    public var configuration: MeshConfiguration
    /// Stop after this many seconds of call (nil: when the longest input ends).
    public var maximumSeconds: Double? = nil
    /// Participant → media time it joins (others are there from the start).
    public var joins: [Int: Double] = [:]
    /// Participant → media time it leaves with a goodbye (RTCP BYE).
    public var leaves: [Int: Double] = [:]
    /// Participant → media time it vanishes without a goodbye (the others time it out).
    public var vanishes: [Int: Double] = [:]
    public var acceptTruncatedAudio = false
    /// Media seconds between two stats lines (nil: none, unless `statsJSONPath` is set,
    /// which samples every second).
    public var statsInterval: Double? = nil
    /// Every stats sample of every link, as JSON lines.
    public var statsJSONPath: String? = nil

    public init(participants: Int, audioPaths: [String], outputDirectory: String, configuration: MeshConfiguration) {
        self.participants = participants
        self.audioPaths = audioPaths
        self.outputDirectory = outputDirectory
        self.configuration = configuration
    }
}

/// The people of a loopback, in order.
public let meshParticipantNames = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi"]

/// An N-party mesh call in one process, file to file, faster than real time: each
/// participant's WAV (and Y4M/IVF) goes in, and `DIR/p<i>/mix.wav` (everyone but
/// themself, as they heard it) and `DIR/p<i>/grid.y4m` (the others' video) come out, with
/// one report of every link's stats.
///
/// Every input is opened and checked before any output is created. The outputs all start
/// at the call's time 0: a participant who joins later has silence (and no grid frames)
/// until it joins; one who leaves stops there.
public final class MeshLoopback {
    static let logger = Logger(label: "parley.mesh")
    public let options: MeshLoopbackOptions
    private let audioSources: [AudioFileSource]
    private let videoSources: [VideoFileSource?]
    private let session: MeshSession
    private let callSeconds: Double
    private var writeFailure: Error?

    public init(options: MeshLoopbackOptions) throws {
        let n = options.participants
        guard n >= 2, n <= MeshConfiguration.maximumParticipants else {
            throw EngineError.invalidOption(
                "--participants \(n): a mesh call has 2 to \(MeshConfiguration.maximumParticipants) people (each one uploads a copy to every other; more would need an SFU)")
        }
        guard !options.audioPaths.isEmpty else {
            throw EngineError.invalidOption("a group loopback needs --audio: one WAV for everyone or one per participant")
        }
        guard options.audioPaths.count == 1 || options.audioPaths.count == n else {
            throw EngineError.invalidOption(
                "--audio lists \(options.audioPaths.count) files for \(n) participants: give one file for everyone or exactly one per participant")
        }
        guard options.videoPaths.count <= 1 || options.videoPaths.count == n else {
            throw EngineError.invalidOption(
                "--video lists \(options.videoPaths.count) files for \(n) participants: give one file for everyone or exactly one per participant")
        }
        let opus = options.configuration.opus
        guard [10, 20].contains(opus.frameDurationMilliseconds) else {
            throw EngineError.invalidOption("a group call mixes 20 ms frames: use --frame-duration 10 or 20 (got \(opus.frameDurationMilliseconds))")
        }
        try Self.checkSchedule(options)
        self.options = options
        // Every input opened (and checked) before anything is written.
        let format = AudioFormat(sampleRate: opus.sampleRate, channels: opus.channels)
        audioSources = try (0..<n).map { i in
            try AudioFileSource(path: options.audioPaths.count == 1 ? options.audioPaths[0] : options.audioPaths[i],
                                format: format, frameSize: opus.frameSize, acceptTruncated: options.acceptTruncatedAudio)
        }
        videoSources = try (0..<n).map { i in
            guard !options.videoPaths.isEmpty else { return nil }
            return try VideoFileSource(path: options.videoPaths.count == 1 ? options.videoPaths[0] : options.videoPaths[i])
        }
        for (i, source) in audioSources.enumerated() where source.info.format.sampleRate != opus.sampleRate || source.info.format.channels != opus.channels {
            Self.logger.notice("audio input converted", metadata: [
                "participant": "\(i)", "path": "\(source.path)",
                "from": "\(source.info.format.sampleRate) Hz \(source.info.format.channels) ch", "to": "\(opus.sampleRate) Hz \(opus.channels) ch",
            ])
        }
        var configuration = options.configuration
        configuration.participants = n
        if let first = videoSources.compactMap({ $0 }).first {
            if configuration.videoCodec == nil { configuration.videoCodec = .vp8 }
            for (i, source) in videoSources.enumerated() {
                guard let source, source.width != first.width || source.height != first.height else { continue }
                Self.logger.notice("video inputs differ in size; each is sent as it is and scaled into its tile", metadata: [
                    "participant": "\(i)", "size": "\(source.width)x\(source.height)", "first": "\(first.width)x\(first.height)",
                ])
            }
        } else {
            configuration.videoCodec = nil
        }
        let audios = audioSources
        let videos = videoSources
        let ends = (0..<n).map { i -> Double in
            let start = options.joins[i] ?? 0
            let end = options.leaves[i] ?? options.vanishes[i] ?? .infinity
            return min(end, start + max(audios[i].expectedSeconds, videos[i].map { s in
                s.expectedFrameCount.map { Double($0) / s.frameRate } ?? 0 } ?? 0))
        }
        callSeconds = min(options.maximumSeconds ?? .infinity, ends.max() ?? 0)
        let gridRate = videoSources.compactMap { $0 }.first?.frameRate ?? 30
        var ios: [MeshMemberIO] = []
        // The writers are opened in run(); the closures find them there.
        let box = WriterBox()
        // One file for everyone: each participant starts at a different point of it
        // (participant i at i/N of its length, wrapping), so no two say the same thing at
        // once and each mix can be told apart from its listener's own voice.
        let shared: [Float]? = options.audioPaths.count == 1 && audioSources[0].expectedSeconds <= Self.maximumRotatedSeconds
            ? try Self.readAll(audioSources[0]) : nil
        for i in 0..<n {
            let source = audioSources[i]
            let read: (inout [Float]) throws -> Int
            if let shared {
                let rotation = RotatedAudio(samples: shared, channels: opus.channels, start: shared.count / opus.channels * i / n)
                read = { frame in rotation.readFrame(into: &frame) }
            } else {
                read = { frame in try source.readFrame(into: &frame) }
            }
            var io = MeshMemberIO(
                name: meshParticipantNames[i],
                readAudio: read,
                writeMix: { samples in try box.mix[i]?.write(samples) })
            if let video = videoSources[i] {
                io.readVideo = { picture in try video.read(into: &picture) }
                io.videoWidth = video.width
                io.videoHeight = video.height
                io.videoFrameRate = video.frameRate
                io.writeGrid = { grid in try box.grid[i]?.write(grid) }
            }
            ios.append(io)
        }
        writers = box
        box.mix = Array(repeating: nil, count: n)
        box.grid = Array(repeating: nil, count: n)
        session = try MeshSession(configuration: configuration, members: ios, gridFrameRate: gridRate)
    }

    private let writers: WriterBox
    /// A shared input longer than this is not rotated (it would be held in memory).
    static let maximumRotatedSeconds = 600.0

    static func readAll(_ source: AudioFileSource) throws -> [Float] {
        var all: [Float] = []
        var frame = [Float](repeating: 0, count: source.frameSize * source.format.channels)
        while true {
            let n = try source.readFrame(into: &frame)
            if n == 0 { break }
            all.append(contentsOf: frame[0..<(n * source.format.channels)])
        }
        return all
    }

    /// A participant's view of a shared input: from `start` (samples per channel) to the
    /// end, then from the beginning up to `start` — the whole input once.
    final class RotatedAudio {
        let samples: [Float]
        let channels: Int
        let start: Int
        private var played = 0
        init(samples: [Float], channels: Int, start: Int) {
            self.samples = samples
            self.channels = max(1, channels)
            self.start = start
        }
        func readFrame(into frame: inout [Float]) -> Int {
            let total = samples.count / channels
            let size = frame.count / channels
            var filled = 0
            while filled < size, played < total {
                let position = (start + played) % total
                var c = 0
                while c < channels { frame[filled * channels + c] = samples[position * channels + c]; c += 1 }
                filled += 1
                played += 1
            }
            var k = filled * channels
            while k < frame.count { frame[k] = 0; k += 1 }
            return filled
        }
    }
    private final class WriterBox {
        var mix: [WAVWriter?] = []
        var grid: [Y4MWriter?] = []
    }

    static func checkSchedule(_ options: MeshLoopbackOptions) throws {
        let n = options.participants
        for (flag, schedule) in [("--join-at", options.joins), ("--leave-at", options.leaves), ("--vanish-at", options.vanishes)] {
            for (p, t) in schedule {
                guard p >= 1, p < n else {
                    throw EngineError.invalidOption(
                        "\(flag) \(p):\(t): participant \(p) \(p == 0 ? "hosts the call and is in it from start to end" : "does not exist (participants are 0 to \(n - 1))")")
                }
                guard t.isFinite, t >= 0 else { throw EngineError.invalidOption("\(flag) \(p):\(t): the time must be 0 seconds or more") }
            }
        }
        for (p, t) in options.leaves.merging(options.vanishes, uniquingKeysWith: { a, _ in a }) {
            if options.leaves[p] != nil, options.vanishes[p] != nil {
                throw EngineError.invalidOption("participant \(p) has both --leave-at and --vanish-at: give one")
            }
            if let join = options.joins[p], join >= t {
                throw EngineError.invalidOption("participant \(p) leaves at \(t) s, not after it joins at \(join) s")
            }
        }
    }

    /// Runs the call; `progress` gets (seconds done, seconds in all) now and then, `stats`
    /// each stats line.
    public func run(progress: (Double, Double) -> Void = { _, _ in }, stats: (String) -> Void = { _ in }) throws -> MeshReport {
        let n = options.participants
        let directory = options.outputDirectory
        try FileLoopback.createDirectory(directory)
        let reportPath = (directory as NSString).appendingPathComponent("report.json")
        try? FileManager.default.removeItem(atPath: reportPath)
        let opus = options.configuration.opus
        var outputs: [MeshReport.Outputs] = []
        for i in 0..<n {
            let sub = (directory as NSString).appendingPathComponent("p\(i)")
            try FileLoopback.createDirectory(sub)
            let mix = (sub as NSString).appendingPathComponent("mix.wav")
            writers.mix[i] = try WAVWriter(path: mix, format: AudioFormat(sampleRate: opus.sampleRate, channels: opus.channels))
            var grid: String?
            if videoSources[i] != nil || videoSources.contains(where: { $0 != nil }) {
                let path = (sub as NSString).appendingPathComponent("grid.y4m")
                let rate = videoSources.compactMap { $0 }.first!
                writers.grid[i] = try Y4MWriter(path: path, width: session.configuration.gridWidth, height: session.configuration.gridHeight,
                                                frameRateNumerator: rate.frameRateNumerator, frameRateDenominator: rate.frameRateDenominator)
                grid = path
            }
            outputs.append(.init(mix: mix, grid: grid))
        }
        let statsEvery = options.statsInterval ?? (options.statsJSONPath != nil ? 1.0 : nil)
        var statsFile: FileHandle?
        if let path = options.statsJSONPath {
            FileManager.default.createFile(atPath: path, contents: nil)
            statsFile = FileHandle(forWritingAtPath: path)
            if statsFile == nil { throw EngineError.cannotCreateOutput(path: path, reason: "cannot write the stats file") }
        }
        var nextStats = statsEvery ?? .infinity
        var schedule: [(time: Double, action: Action)] = []
        for (p, t) in options.joins where t > 0 { schedule.append((t, .join(p))) }
        for (p, t) in options.leaves { schedule.append((t, .leave(p, goodbye: true))) }
        for (p, t) in options.vanishes { schedule.append((t, .leave(p, goodbye: false))) }
        schedule.sort { $0.time < $1.time }
        let wallStart = BenchmarkClock.monotonicSeconds()
        var failure: Error?
        var samples: [MeshStatsSample] = []
        do {
            try session.join((0..<n).filter { (options.joins[$0] ?? 0) <= 0 })
            var t = 0.0
            var index = 0
            while t < callSeconds {
                let next = min(callSeconds, t + 0.1, index < schedule.count ? schedule[index].time : .infinity, nextStats)
                try session.run(until: next)
                t = next
                while index < schedule.count, schedule[index].time <= t {
                    switch schedule[index].action {
                    case .join(let p):
                        try writeSilence(for: p, until: t)
                        try session.join([p])
                    case .leave(let p, let goodbye):
                        try session.leave(p, goodbye: goodbye)
                    }
                    index += 1
                }
                if t >= nextStats {
                    let sample = session.statsSample(at: t)
                    samples.append(sample)
                    // The throwing write: a full disk is an error, not a crash.
                    if let statsFile { try statsFile.write(contentsOf: Data((try sample.jsonLine() + "\n").utf8)) }
                    if options.statsInterval != nil { stats(sample.summaryLine(names: meshParticipantNames)) }
                    nextStats += statsEvery ?? .infinity
                }
                progress(t, callSeconds)
            }
            // What is still in flight and in the jitter buffers plays out (at most 2 s), one
            // 20 ms pull at a time, so that nothing is played (and counted as concealed)
            // after the last packet.
            var drain = callSeconds
            while session.isDraining && drain < callSeconds + 2 {
                drain += 0.020
                try session.run(until: drain, sending: false)
            }
        } catch {
            failure = error
        }
        session.hangUp()
        let final = session.statsSample(at: session.now)
        if let statsFile {
            if samples.last.map({ session.now - $0.timestamp >= 0.25 }) ?? true {
                if let line = try? final.jsonLine() { try? statsFile.write(contentsOf: Data((line + "\n").utf8)) }
            }
            try? statsFile.close()
        }
        var closeFailure: Error?
        for i in 0..<n {
            do { try writers.mix[i]?.close() } catch { closeFailure = closeFailure ?? error }
            do { try writers.grid[i]?.close() } catch { closeFailure = closeFailure ?? error }
        }
        failure = failure ?? writeFailure ?? closeFailure
        let wall = BenchmarkClock.monotonicSeconds() - wallStart
        let report = session.report(
            completed: failure == nil, error: failure.map { "\($0)" }, callSeconds: callSeconds, wallSeconds: wall,
            inputs: (0..<n).map { i in
                MeshReport.Inputs(audio: audioSources[i].path, video: videoSources[i]?.path,
                                  audioSampleRate: audioSources[i].info.format.sampleRate,
                                  videoSize: videoSources[i].map { "\($0.width)x\($0.height)" })
            },
            outputs: outputs, reportPath: reportPath, statsPath: options.statsJSONPath, final: final)
        try FileLoopback.write(report, to: reportPath)
        progress(callSeconds, callSeconds)
        if let failure {
            Self.logger.error("mesh loopback stopped", metadata: ["error": "\(failure)"])
            throw MeshLoopbackFailure(underlying: failure, report: report)
        }
        return report
    }

    private enum Action {
        case join(Int)
        case leave(Int, goodbye: Bool)
    }

    /// A late joiner's mix starts at the call's time 0: silence until it joins.
    private func writeSilence(for p: Int, until t: Double) throws {
        let opus = options.configuration.opus
        let frames = Int((t / 0.020).rounded())
        let zeros = [Float](repeating: 0, count: opus.sampleRate / 50 * opus.channels)
        for _ in 0..<frames { try writers.mix[p]?.write(zeros) }
    }
}

/// A mesh loopback that stopped: the error and the report written so far.
public struct MeshLoopbackFailure: Error, CustomStringConvertible {
    public let underlying: Error
    public let report: MeshReport
    public var description: String { "\(underlying)" }
}
