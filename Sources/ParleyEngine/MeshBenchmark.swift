import Foundation
import ParleyCodecs
import ParleyCore
import ParleySecurity

/// `parley bench --mesh`: a mesh call in one process, measured against the bare library
/// calls for the same work (`MeshBareCalls`) in the same run.
public struct MeshBenchmarkReport: Codable, Sendable {
    /// The whole engine's side of one case.
    public struct Measurement: Codable, Sendable {
        public var mediaSeconds: Double
        /// CPU time of the thread running the call (audio) — the mesh runs on one thread.
        public var cpuSeconds: Double
        public var wallSeconds: Double
        /// media / CPU (audio), media / wall (video: libvpx worker threads).
        public var realtimeFactor: Double
    }

    public struct AudioCase: Codable, Sendable {
        public var parties: Int
        public var complexity: Int
        /// Ticks per round; each side's figure is its fastest of `rounds` alternating rounds.
        public var ticks: Int
        public var rounds: Int
        public var srtpSuite: String
        /// The bare libopus + libsrtp2 calls: N encodes, N(N−1) protects, unprotects and
        /// decodes per 20 ms tick.
        public var bare: MeshBareMeasurement
        /// The mesh engine doing the same plus RTP, jitter buffers, mixing, active speaker,
        /// RTCP and the event loop.
        public var mesh: Measurement
        /// mesh CPU / bare CPU: the median over the rounds of each round's mesh over the
        /// bare run just before it (paired, so the machine's drift cancels) (goal ≤ 1.10).
        public var ratio: Double
        /// The fastest mesh round over the fastest bare round.
        public var ratioOfMinima: Double
        /// CPU per 20 ms tick, microseconds.
        public var meshMicrosecondsPerTick: Double
        public var bareMicrosecondsPerTick: Double
        /// The process's resident memory while the call ran (VmRSS), and how much of it
        /// the call added (after − before the session was made), MB.
        public var residentMegabytes: Double?
        public var sessionMegabytes: Double?
    }

    public struct VideoCase: Codable, Sendable {
        public var parties: Int
        public var width: Int
        public var height: Int
        public var frameRate: Double
        public var frames: Int
        public var threads: Int
        public var bare: MeshBareMeasurement
        /// The mesh with audio too, RTP/SRTP per link, frame buffers and one grid
        /// composed per participant per frame (goal: real-time factor ≥ 1.5).
        public var mesh: Measurement
        /// mesh wall time / bare wall time.
        public var ratio: Double
    }

    public var buildConfiguration: String
    public var machine: BenchmarkReport.Machine
    public var audio: [AudioCase]
    public var video: VideoCase?
    /// Resident memory after the 6-party audio mesh ran (VmRSS), and the process's peak
    /// (VmHWM, which includes the video case when it ran), MB.
    public var residentMegabytesAfterAudioMesh: Double?
    public var peakResidentMegabytes: Double?
}

public enum MeshBenchmark {
    /// Runs the audio cases (6 parties, complexity 10 and 5) and, unless `audioOnly`, the
    /// 4-party VP8 640x360 video case. `quick`: fewer ticks (a smoke run).
    public static func run(quick: Bool, audioOnly: Bool = false, progress: (String) -> Void = { _ in }) throws -> MeshBenchmarkReport {
        var audio: [MeshBenchmarkReport.AudioCase] = []
        let ticks = quick ? 150 : 1500
        for complexity in [10, 5] {
            progress("6-party audio mesh, complexity \(complexity), \(ticks) ticks")
            audio.append(try audioCase(parties: 6, complexity: complexity, ticks: ticks, rounds: quick ? 15 : 150))
        }
        let afterAudio = audio.first?.residentMegabytes
        var video: MeshBenchmarkReport.VideoCase?
        if !audioOnly {
            progress("4-party VP8 640x360 video mesh")
            video = try videoCase(parties: 4, frames: quick ? 20 : 150, threads: 2)
        }
        return MeshBenchmarkReport(
            buildConfiguration: BenchmarkReport.currentBuildConfiguration, machine: BenchmarkReport.Machine.current(),
            audio: audio, video: video, residentMegabytesAfterAudioMesh: afterAudio,
            peakResidentMegabytes: residentMegabytes(field: "VmHWM"))
    }

    /// Each party's frames: the benchmark speech, each party starting elsewhere in it.
    /// The frames share one 10 s signal (each `[Float]` is shared, not copied), so the
    /// inputs add little to the process's memory.
    static func partyFrames(parties: Int, frames: Int, opus: OpusConfiguration) -> [[[Float]]] {
        let all = BenchmarkSignals.speechFrames(sampleRate: opus.sampleRate, frameSize: opus.frameSize, frames: 500)
        return (0..<parties).map { p in
            (0..<frames).map { all[(p * 500 / parties + $0) % all.count] }
        }
    }

    /// A session of `parties` fed from memory, its mixes thrown away.
    static func session(parties: Int, opus: OpusConfiguration, frames: [[[Float]]], video: [[VideoFrame]]? = nil,
                        threads: Int = 1) throws -> MeshSession {
        var configuration = MeshConfiguration(participants: parties, opus: opus)
        var ios: [MeshMemberIO] = []
        for p in 0..<parties {
            var index = 0
            let mine = frames[p]
            var io = MeshMemberIO(
                name: "p\(p)",
                readAudio: { frame in
                    guard index < mine.count else { return 0 }
                    let n = min(frame.count, mine[index].count)
                    mine[index].withUnsafeBufferPointer { source in
                        frame.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source.baseAddress!, count: n) }
                    }
                    index += 1
                    return n / opus.channels
                },
                writeMix: { _ in })
            if let video {
                var shown = 0
                let pictures = video[p]
                io.readVideo = { picture in
                    guard shown < pictures.count else { return false }
                    picture = pictures[shown]
                    shown += 1
                    return true
                }
                io.videoWidth = pictures[0].width
                io.videoHeight = pictures[0].height
                io.videoFrameRate = 30
                io.writeGrid = { _ in }
            }
            ios.append(io)
        }
        if video != nil {
            configuration.videoCodec = .vp8
            configuration.videoBitrateKbps = 800
            configuration.videoThreads = threads
        }
        let session = try MeshSession(configuration: configuration, members: ios)
        try session.join(Array(0..<parties))
        return session
    }

    /// Bare and mesh alternate in `rounds` rounds of `ticks / rounds` ticks each, in the same
    /// run (this VM's speed drifts over seconds and other guests' load comes and goes: short
    /// rounds pair each mesh round with a bare round under nearly the same conditions).
    /// Both keep their state across rounds (the bare encoders, decoders and sessions as
    /// the mesh's own), and both warm up for the same ticks first. Each side's figure is
    /// its fastest round; the ratio is the median of the paired rounds' ratios.
    public static func audioCase(parties: Int, complexity: Int, ticks: Int, rounds: Int = 150) throws -> MeshBenchmarkReport.AudioCase {
        var opus = OpusConfiguration()
        opus.complexity = complexity
        let warmup = 50
        let perRound = max(1, ticks / rounds)
        let frames = partyFrames(parties: parties, frames: warmup + perRound * rounds, opus: opus)
        let before = residentMegabytes(field: "VmRSS")
        let session = try session(parties: parties, opus: opus, frames: frames)
        try session.run(until: Double(warmup) * 0.020 - 0.001)
        // The call's memory once it runs, before the bare calls make their own encoders,
        // decoders and sessions in the same process.
        let after = residentMegabytes(field: "VmRSS")
        let bareAudio = try MeshBareAudio(configuration: opus, suite: .default, parties: parties)
        _ = try bareAudio.run(frames: frames.map { Array($0[0..<warmup]) })
        var bare: MeshBareMeasurement?
        var bestMesh = (cpu: Double.infinity, wall: Double.infinity)
        var bestBare = Double.infinity
        var at = warmup
        var pairedRatios: [Double] = []
        for _ in 0..<rounds {
            let slice = frames.map { Array($0[at..<(at + perRound)]) }
            let b = try bareAudio.run(frames: slice)
            if b.cpuSeconds < bestBare { bestBare = b.cpuSeconds; bare = b }
            let cpu0 = BenchmarkClock.threadCPUSeconds()
            let wall0 = BenchmarkClock.monotonicSeconds()
            try session.run(until: Double(at + perRound) * 0.020 - 0.001)
            let cpu = BenchmarkClock.threadCPUSeconds() - cpu0
            let wall = BenchmarkClock.monotonicSeconds() - wall0
            if cpu < bestMesh.cpu { bestMesh = (cpu, wall) }
            if b.cpuSeconds > 0 { pairedRatios.append(cpu / b.cpuSeconds) }
            at += perRound
        }
        pairedRatios.sort()
        session.hangUp()
        guard let bare else { throw EngineError.invalidOption("the mesh benchmark ran no round") }
        let media = Double(perRound) * 0.020
        let mesh = MeshBenchmarkReport.Measurement(mediaSeconds: media, cpuSeconds: bestMesh.cpu, wallSeconds: bestMesh.wall,
                                                   realtimeFactor: bestMesh.cpu > 0 ? media / bestMesh.cpu : 0)
        return MeshBenchmarkReport.AudioCase(
            parties: parties, complexity: complexity, ticks: perRound, rounds: rounds, srtpSuite: SRTPSuite.default.rawValue,
            bare: bare, mesh: mesh,
            ratio: pairedRatios.isEmpty ? 0 : pairedRatios[pairedRatios.count / 2],
            ratioOfMinima: bare.cpuSeconds > 0 ? bestMesh.cpu / bare.cpuSeconds : 0,
            meshMicrosecondsPerTick: bestMesh.cpu / Double(perRound) * 1e6, bareMicrosecondsPerTick: bare.cpuSeconds / Double(perRound) * 1e6,
            residentMegabytes: after, sessionMegabytes: before.flatMap { b in after.map { $0 - b } })
    }

    public static func videoCase(parties: Int, frames: Int, threads: Int) throws -> MeshBenchmarkReport.VideoCase {
        let clip = BenchmarkSignals.movingClip(width: 640, height: 360, frames: frames * 2)
        let pictures = (0..<parties).map { p in Array(clip[(p * frames / parties)..<(p * frames / parties + frames)]) }
        let bare = try MeshBareCalls.videoMesh(codec: .vp8, frames: pictures, frameRate: 30, bitrateKbps: 800, cpuUsed: -6, threads: threads)
        let opus = OpusConfiguration()
        let ticks = frames * 50 / 30 + 1
        let audio = partyFrames(parties: parties, frames: ticks, opus: opus)
        let session = try session(parties: parties, opus: opus, frames: audio, video: pictures, threads: threads)
        let wall0 = BenchmarkClock.monotonicSeconds()
        let cpu0 = BenchmarkClock.threadCPUSeconds()
        try session.run(until: Double(frames) / 30 - 0.001)
        let wall = BenchmarkClock.monotonicSeconds() - wall0
        let cpu = BenchmarkClock.threadCPUSeconds() - cpu0
        session.hangUp()
        let media = Double(frames) / 30
        return MeshBenchmarkReport.VideoCase(
            parties: parties, width: 640, height: 360, frameRate: 30, frames: frames, threads: threads, bare: bare,
            mesh: .init(mediaSeconds: media, cpuSeconds: cpu, wallSeconds: wall, realtimeFactor: wall > 0 ? media / wall : 0),
            ratio: bare.wallSeconds > 0 ? wall / bare.wallSeconds : 0)
    }

    /// A field of /proc/self/status in MB (nil where there is none).
    static func residentMegabytes(field: String) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let number = line.split(separator: " ").compactMap { Double($0) }.first
            return number.map { $0 / 1024 }
        }
        return nil
    }
}
