import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMetrics

/// `parley bench`: the per-frame cost of the bare libopus and libvpx calls and of
/// Parley's wrappers doing the same work, measured in the same run, with the ratio.
///
/// Cases: Opus encode at complexity 10 and 5, decode and concealment (48 kHz mono 20 ms
/// frames at 32 kbit/s on a synthetic speech-like signal), VP8 and VP9 realtime encode
/// and decode (30 fps, 800 kbit/s, one thread, on a synthetic moving clip). Each case
/// runs the bare path and the wrapper path alternately (bare, wrapper, bare, wrapper, …)
/// `repetitions` times; each run builds its own codec state and is timed only around the
/// per-frame calls (`BenchmarkClock.monotonicNanoseconds()`). A repetition's per-frame
/// cost is its timed total over its frames; the report gives the minimum and median over
/// the repetitions, and ratio = wrapper minimum / bare minimum. Video cases also give
/// process CPU time (all threads) around each whole run.
public struct CodecBenchmark: Sendable {
    public struct Parameters: Codable, Sendable, Equatable {
        /// 20 ms Opus frames per run.
        public var audioFrames: Int
        /// Video frames per run.
        public var videoFrames: Int
        /// Runs of each path per case.
        public var repetitions: Int
        public var videoWidth: Int
        public var videoHeight: Int
        /// Opus target bitrate, bit/s.
        public var opusBitrate: Int
        /// VP8/VP9 target bitrate, kbit/s.
        public var videoBitrateKbps: Int

        public init(
            audioFrames: Int, videoFrames: Int, repetitions: Int, videoWidth: Int = 640, videoHeight: Int = 360,
            opusBitrate: Int = 32_000, videoBitrateKbps: Int = 800
        ) {
            self.audioFrames = audioFrames
            self.videoFrames = videoFrames
            self.repetitions = repetitions
            self.videoWidth = videoWidth
            self.videoHeight = videoHeight
            self.opusBitrate = opusBitrate
            self.videoBitrateKbps = videoBitrateKbps
        }

        /// 10 s of audio, 60 frames of 640×360 video, 5 repetitions.
        public static let standard = Parameters(audioFrames: 500, videoFrames: 60, repetitions: 5)
        /// 3 s of audio, 20 frames of 640×360 video, 2 repetitions: a smoke run for CI.
        public static let quick = Parameters(audioFrames: 150, videoFrames: 20, repetitions: 2)
    }

    /// The ratio the wrappers should stay under.
    public static let goal = 1.05

    /// Every case, in report order.
    public static let caseNames = [
        "opus-encode-c10", "opus-encode-c5", "opus-decode", "opus-plc",
        "vp8-encode", "vp8-decode", "vp9-encode", "vp9-decode",
    ]

    public static let sampleRate = 48000
    public static let opusFrameSize = 960

    public var parameters: Parameters

    public init(parameters: Parameters = .standard) {
        self.parameters = parameters
    }

    /// Runs every case. `progress` is called before each repetition with the step's name,
    /// the repetition (1-based) and the number of repetitions.
    public func run(progress: ((_ step: String, _ repetition: Int, _ repetitions: Int) -> Void)? = nil) throws -> BenchmarkReport {
        let p = parameters
        guard p.audioFrames > 0, p.videoFrames > 0, p.repetitions > 0, p.videoWidth > 0, p.videoHeight > 0 else {
            throw CodecError.invalidParameter(
                "benchmark needs at least one audio frame, one video frame, one repetition and a non-empty picture; "
                    + "got \(p.audioFrames) audio frames, \(p.videoFrames) video frames, \(p.repetitions) repetitions, "
                    + "\(p.videoWidth)x\(p.videoHeight)")
        }
        var cases: [BenchmarkReport.Case] = []

        // Audio.
        let pcm = BenchmarkSignals.speechFrames(
            sampleRate: Self.sampleRate, frameSize: Self.opusFrameSize, frames: p.audioFrames)
        let c10 = OpusConfiguration(sampleRate: Self.sampleRate, channels: 1, frameDurationMilliseconds: 20,
                                    bitrate: p.opusBitrate, complexity: 10)
        var c5 = c10
        c5.complexity = 5
        let packets = try Self.packets(c10, pcm)

        for (name, configuration) in [("opus-encode-c10", c10), ("opus-encode-c5", c5)] {
            cases.append(try measure(name, frames: pcm.count, progress: progress,
                bare: {
                    let r = try OpusBareCalls.encode(configuration: configuration, frames: pcm)
                    return (r.seconds, r.bytes)
                },
                wrapper: { try Self.wrapperEncode(configuration, pcm) }))
        }
        cases.append(try measure("opus-decode", frames: packets.count, progress: progress,
            bare: {
                let r = try OpusBareCalls.decode(sampleRate: Self.sampleRate, channels: 1, packets: packets)
                return (r.seconds, r.samples)
            },
            wrapper: { try Self.wrapperDecode(packets) }))
        cases.append(try measure("opus-plc", frames: packets.count, progress: progress,
            bare: {
                let r = try OpusBareCalls.conceal(
                    sampleRate: Self.sampleRate, channels: 1, frameSize: Self.opusFrameSize, packets: packets)
                return (r.seconds, r.samples)
            },
            wrapper: { try Self.wrapperConceal(packets) }))

        // Video.
        let clip = BenchmarkSignals.movingClip(width: p.videoWidth, height: p.videoHeight, frames: p.videoFrames)
        for codec in [VideoCodecKind.vp8, .vp9] {
            cases.append(contentsOf: try measureVideo(codec, clip, progress: progress))
        }

        let worst = cases.max { $0.ratio < $1.ratio }
        let summary = BenchmarkReport.Summary(
            worstCase: worst?.name ?? "", worstRatio: worst?.ratio ?? 0, goal: Self.goal,
            allWithinGoal: cases.allSatisfy(\.withinGoal))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return BenchmarkReport(
            machine: .current(),
            date: formatter.string(from: Date()),
            buildConfiguration: BenchmarkReport.currentBuildConfiguration,
            libraries: .init(opus: CodecLibraries.opusVersion, vpx: CodecLibraries.vpxVersion),
            clock: "CLOCK_MONOTONIC around each per-frame call; process CPU from CLOCK_PROCESS_CPUTIME_ID",
            parameters: p,
            cases: cases,
            summary: summary)
    }

    // MARK: - Measuring

    /// Seconds spent in the timed calls of one run, and what the run produced.
    typealias Run = () throws -> (seconds: Double, output: Int)

    private func measure(
        _ name: String, frames: Int, progress: ((String, Int, Int) -> Void)?, bare: Run, wrapper: Run
    ) throws -> BenchmarkReport.Case {
        var bareSeconds: [Double] = []
        var wrapperSeconds: [Double] = []
        var bareOutput = 0
        var wrapperOutput = 0
        for repetition in 1...parameters.repetitions {
            progress?(name, repetition, parameters.repetitions)
            let b = try bare()
            let w = try wrapper()
            bareSeconds.append(b.seconds)
            wrapperSeconds.append(w.seconds)
            bareOutput = b.output
            wrapperOutput = w.output
        }
        return Self.makeCase(
            name, frames: frames, repetitions: parameters.repetitions, bare: bareSeconds, wrapper: wrapperSeconds,
            bareOutput: bareOutput, wrapperOutput: wrapperOutput, processCPU: nil)
    }

    private func measureVideo(
        _ codec: VideoCodecKind, _ clip: [VideoFrame], progress: ((String, Int, Int) -> Void)?
    ) throws -> [BenchmarkReport.Case] {
        let prefix = codec == .vp8 ? "vp8" : "vp9"
        let cpuUsed = VideoEncoderConfiguration.defaultCPUUsed(for: codec)
        let bitrate = parameters.videoBitrateKbps
        var bareEncode: [Double] = [], bareDecode: [Double] = [], bareCPU: [Double] = []
        var wrapperEncode: [Double] = [], wrapperDecode: [Double] = [], wrapperCPU: [Double] = []
        var bareBytes = 0
        var wrapperBytes = 0
        for repetition in 1...parameters.repetitions {
            progress?("\(prefix)-encode+decode", repetition, parameters.repetitions)
            var cpu = BenchmarkClock.processCPUSeconds()
            let b = try VideoCodecBareCalls.bareEncodeDecode(
                codec: codec, frames: clip, bitrateKbps: bitrate, cpuUsed: cpuUsed, threads: 1)
            bareCPU.append(BenchmarkClock.processCPUSeconds() - cpu)
            cpu = BenchmarkClock.processCPUSeconds()
            let w = try Self.wrapperVideo(codec, clip, bitrateKbps: bitrate, cpuUsed: cpuUsed)
            wrapperCPU.append(BenchmarkClock.processCPUSeconds() - cpu)
            bareEncode.append(b.encodeSeconds)
            bareDecode.append(b.decodeSeconds)
            wrapperEncode.append(w.encodeSeconds)
            wrapperDecode.append(w.decodeSeconds)
            bareBytes = b.bytes
            wrapperBytes = w.bytes
        }
        let frames = clip.count
        let cpuTiming = BenchmarkReport.ProcessCPU(
            scope: "encode and decode together, whole run including codec setup",
            bareMicrosecondsPerFrame: Self.timing(bareCPU, frames: frames),
            wrapperMicrosecondsPerFrame: Self.timing(wrapperCPU, frames: frames),
            ratio: Self.ratio(wrapperCPU.min() ?? 0, bareCPU.min() ?? 0))
        return [
            Self.makeCase(
                "\(prefix)-encode", frames: frames, repetitions: parameters.repetitions, bare: bareEncode,
                wrapper: wrapperEncode, bareOutput: bareBytes, wrapperOutput: wrapperBytes, processCPU: cpuTiming),
            Self.makeCase(
                "\(prefix)-decode", frames: frames, repetitions: parameters.repetitions, bare: bareDecode,
                wrapper: wrapperDecode, bareOutput: bareBytes, wrapperOutput: wrapperBytes, processCPU: cpuTiming),
        ]
    }

    static func makeCase(
        _ name: String, frames: Int, repetitions: Int, bare: [Double], wrapper: [Double],
        bareOutput: Int, wrapperOutput: Int, processCPU: BenchmarkReport.ProcessCPU?
    ) -> BenchmarkReport.Case {
        let ratio = ratio(wrapper.min() ?? 0, bare.min() ?? 0)
        return BenchmarkReport.Case(
            name: name, frames: frames, repetitions: repetitions,
            bareMicrosecondsPerFrame: timing(bare, frames: frames),
            wrapperMicrosecondsPerFrame: timing(wrapper, frames: frames),
            ratio: ratio, goal: goal, withinGoal: ratio <= goal,
            bareOutput: bareOutput, wrapperOutput: wrapperOutput, processCPU: processCPU)
    }

    /// Microseconds per frame; a run is never credited with less than the clock's 1 ns.
    static func timing(_ seconds: [Double], frames: Int) -> BenchmarkReport.Timing {
        let perFrame = seconds.map { Swift.max($0, 1e-9) / Double(Swift.max(frames, 1)) * 1e6 }
        return BenchmarkReport.Timing(
            min: perFrame.min() ?? 0, median: RunningSummary.percentile(perFrame, 50) ?? 0)
    }

    static func ratio(_ wrapper: Double, _ bare: Double) -> Double {
        Swift.max(wrapper, 1e-9) / Swift.max(bare, 1e-9)
    }

    // MARK: - The wrapper paths, timed like the bare ones

    /// The packets the decode and concealment cases feed in, made once, untimed.
    static func packets(_ configuration: OpusConfiguration, _ pcm: [[Float]]) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(configuration: configuration)
        var buffer = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        return try pcm.map { frame in
            let n = try encoder.encode(frame, into: &buffer)
            return Array(buffer[0..<n])
        }
    }

    static func wrapperEncode(_ configuration: OpusConfiguration, _ pcm: [[Float]]) throws -> (seconds: Double, output: Int) {
        let encoder = try OpusEncoder(configuration: configuration)
        var packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        var nanoseconds: UInt64 = 0
        var bytes = 0
        for frame in pcm {
            let start = BenchmarkClock.monotonicNanoseconds()
            let n = try encoder.encode(frame, into: &packet)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            bytes += n
        }
        return (Double(nanoseconds) / 1e9, bytes)
    }

    static func wrapperDecode(_ packets: [[UInt8]]) throws -> (seconds: Double, output: Int) {
        let decoder = try OpusDecoder(sampleRate: sampleRate, channels: 1)
        var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize)
        var nanoseconds: UInt64 = 0
        var samples = 0
        for packet in packets {
            let start = BenchmarkClock.monotonicNanoseconds()
            let n = try decoder.decode(packet, into: &pcm)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            samples += n
        }
        return (Double(nanoseconds) / 1e9, samples)
    }

    static func wrapperConceal(_ packets: [[UInt8]]) throws -> (seconds: Double, output: Int) {
        let decoder = try OpusDecoder(sampleRate: sampleRate, channels: 1)
        var pcm = [Float](repeating: 0, count: decoder.maximumFrameSize)
        var nanoseconds: UInt64 = 0
        var samples = 0
        for packet in packets {
            _ = try decoder.decode(packet, into: &pcm)
            let start = BenchmarkClock.monotonicNanoseconds()
            let n = try decoder.conceal(frameSize: opusFrameSize, into: &pcm)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            samples += n
        }
        return (Double(nanoseconds) / 1e9, samples)
    }

    /// Encodes each frame with `VideoEncoder` and decodes its output with `VideoDecoder`,
    /// as `VideoCodecBareCalls.bareEncodeDecode` does with the bare calls.
    static func wrapperVideo(
        _ codec: VideoCodecKind, _ clip: [VideoFrame], bitrateKbps: Int, cpuUsed: Int
    ) throws(CodecError) -> (encodeSeconds: Double, decodeSeconds: Double, bytes: Int) {
        guard let first = clip.first else { return (0, 0, 0) }
        let configuration = VideoEncoderConfiguration(
            codec: codec, width: first.width, height: first.height, bitrateKbps: bitrateKbps, cpuUsed: cpuUsed,
            threads: 1)
        let encoder = try VideoEncoder(configuration: configuration)
        let decoder = try VideoDecoder(codec: codec, threads: 1)
        var output = EncodedVideoFrame(capacity: max(first.byteCount, 4096))
        var picture = VideoFrame(width: first.width, height: first.height)
        var encodeNanoseconds: UInt64 = 0
        var decodeNanoseconds: UInt64 = 0
        var bytes = 0
        for (index, frame) in clip.enumerated() {
            let encodeStart = BenchmarkClock.monotonicNanoseconds()
            let produced = try encoder.encode(frame, pts: Int64(index), into: &output)
            encodeNanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- encodeStart
            guard produced, output.size > 0 else { continue }
            bytes += output.size
            let decodeStart = BenchmarkClock.monotonicNanoseconds()
            _ = try decoder.decode(output.data, count: output.size, into: &picture)
            decodeNanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- decodeStart
        }
        return (Double(encodeNanoseconds) / 1e9, Double(decodeNanoseconds) / 1e9, bytes)
    }
}
