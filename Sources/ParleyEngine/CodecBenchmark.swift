import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMetrics
import ParleyRTP
import ParleySecurity

/// `parley bench`: the per-frame cost of the bare libopus, libvpx and libsrtp2 calls and of
/// Parley's wrappers doing the same work, measured in the same run, with the ratio; and
/// the absolute per-packet cost of Parley's RTP code and per-call cost of call setup,
/// which have no C counterpart.
///
/// Cases: Opus encode at complexity 10 and 5, decode and concealment (48 kHz mono 20 ms
/// frames at 32 kbit/s on a synthetic speech-like signal); SRTP protect + unprotect round
/// trips of a typical audio RTP packet (12-byte header, audio level, abs-send-time and
/// transport-wide sequence number extensions, 100-byte payload: 128 bytes) with AES-GCM and
/// AES-CM + HMAC-SHA1-80, `SRTPSession` against the bare libsrtp2 calls; RTP serialization
/// (`RTPPacketBuilder`) and parsing (`RTPPacketView.parse` + one extension lookup) of that
/// packet, absolute; call setup (`CallSetupBenchmark`: both sides' ephemeral keys, key
/// schedules, SRTP keying material and sessions for audio and video), absolute per call;
/// the whole audio path per 20 ms frame (encode, payload, RTP, SRTP
/// protect and unprotect, parse, depayload, decode; see `AudioPathBenchmark`) against the
/// sum of the bare libopus encode and decode and libsrtp2 protect + unprotect calls on the
/// same frames and packets; VP8 and VP9 realtime encode and decode (30 fps, 800 kbit/s,
/// one thread, on a synthetic moving clip). Each case runs the bare path and the wrapper
/// path alternately (bare, wrapper, bare, wrapper, …) `repetitions` times; each run builds
/// its own codec and SRTP state and is timed only around the per-frame calls
/// (`BenchmarkClock.monotonicNanoseconds()`); the RTP cases, with no bare path, run the
/// wrapper only and read the clock around the whole loop (a packet costs less than a
/// clock read); call-setup, with no bare path either, reads it around each call. A
/// repetition's per-frame cost is its timed total over its frames (round trips, packets,
/// calls); the report gives the minimum and median over the repetitions, and
/// ratio = wrapper minimum / bare minimum. Video cases also give process CPU time (all
/// threads) around each whole run.
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
        /// SRTP round trips and RTP packets per run of the SRTP and RTP cases. (The audio
        /// path runs `audioFrames` frames.) Reports written before it existed decode with
        /// the standard value.
        public var packets: Int
        /// Call setups per run of the call-setup case. Reports written before it existed
        /// decode with the standard value.
        public var calls: Int

        public init(
            audioFrames: Int, videoFrames: Int, repetitions: Int, videoWidth: Int = 640, videoHeight: Int = 360,
            opusBitrate: Int = 32_000, videoBitrateKbps: Int = 800, packets: Int = 20_000, calls: Int = 200
        ) {
            self.audioFrames = audioFrames
            self.videoFrames = videoFrames
            self.repetitions = repetitions
            self.videoWidth = videoWidth
            self.videoHeight = videoHeight
            self.opusBitrate = opusBitrate
            self.videoBitrateKbps = videoBitrateKbps
            self.packets = packets
            self.calls = calls
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                audioFrames: try c.decode(Int.self, forKey: .audioFrames),
                videoFrames: try c.decode(Int.self, forKey: .videoFrames),
                repetitions: try c.decode(Int.self, forKey: .repetitions),
                videoWidth: try c.decode(Int.self, forKey: .videoWidth),
                videoHeight: try c.decode(Int.self, forKey: .videoHeight),
                opusBitrate: try c.decode(Int.self, forKey: .opusBitrate),
                videoBitrateKbps: try c.decode(Int.self, forKey: .videoBitrateKbps),
                packets: try c.decodeIfPresent(Int.self, forKey: .packets) ?? Parameters.standard.packets,
                calls: try c.decodeIfPresent(Int.self, forKey: .calls) ?? Parameters.standard.calls)
        }

        /// 10 s of audio, 60 frames of 640×360 video, 20 000 packets, 200 calls, 5 repetitions.
        public static let standard = Parameters(
            audioFrames: 500, videoFrames: 60, repetitions: 5, packets: 20_000, calls: 200)
        /// 3 s of audio, 20 frames of 640×360 video, 2 000 packets, 20 calls, 2 repetitions: a
        /// smoke run for CI.
        public static let quick = Parameters(
            audioFrames: 150, videoFrames: 20, repetitions: 2, packets: 2_000, calls: 20)
    }

    /// The ratio the codec wrappers should stay under.
    public static let goal = 1.05
    /// The ratio `SRTPSession` and the whole audio path should stay under.
    public static let transportGoal = 1.10
    /// The µs per packet RTP serialization and parsing should stay under.
    public static let rtpGoalMicroseconds = 0.3
    /// The µs per call the call setup's key work (both sides) should stay under: 1 ms.
    public static let callSetupGoalMicroseconds = 1000.0

    /// Every case, in report order.
    public static let caseNames = [
        "opus-encode-c10", "opus-encode-c5", "opus-decode", "opus-plc",
        "srtp-gcm", "srtp-aes-cm", "rtp-serialize", "rtp-parse", "call-setup", "audio-path",
        "vp8-encode", "vp8-decode", "vp9-encode", "vp9-decode",
    ]

    /// The goal of a case: a ratio, or for the RTP and call-setup cases an absolute time.
    public static func goal(for name: String) -> (ratio: Double?, absoluteMicroseconds: Double?) {
        switch name {
        case "srtp-gcm", "srtp-aes-cm", "audio-path": return (transportGoal, nil)
        case "rtp-serialize", "rtp-parse": return (nil, rtpGoalMicroseconds)
        case "call-setup": return (nil, callSetupGoalMicroseconds)
        default: return (goal, nil)
        }
    }

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
        guard p.audioFrames > 0, p.videoFrames > 0, p.repetitions > 0, p.videoWidth > 0, p.videoHeight > 0,
              p.packets > 0, p.calls > 0 else {
            throw CodecError.invalidParameter(
                "benchmark needs at least one audio frame, one video frame, one packet, one call, one repetition "
                    + "and a non-empty picture; got \(p.audioFrames) audio frames, \(p.videoFrames) video frames, "
                    + "\(p.packets) packets, \(p.calls) calls, \(p.repetitions) repetitions, "
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

        // SRTP: one typical audio packet, round trips through libsrtp2 and SRTPSession.
        let audioPacket = try TransportBenchmark.audioPacket(index: 0, payload: TransportBenchmark.payload())
        for (name, suite) in [("srtp-gcm", SRTPSuite.aeadAES128GCM), ("srtp-aes-cm", .aesCM128HmacSHA1_80)] {
            let key = TransportBenchmark.masterKey(for: suite)
            let roundTrips = p.packets
            cases.append(try measure(name, unit: "round trip", frames: roundTrips, progress: progress,
                bare: {
                    let seconds = try SRTPBareCalls.protectUnprotect(
                        suite: suite, masterKey: key, packet: audioPacket, roundTrips: roundTrips)
                    return (seconds, audioPacket.count * roundTrips)
                },
                wrapper: {
                    try TransportBenchmark.wrapperSRTP(
                        suite: suite, masterKey: key, packet: audioPacket, roundTrips: roundTrips)
                }))
        }

        // RTP: no C counterpart, absolute time per packet.
        cases.append(try measureAbsolute("rtp-serialize", unit: "packet", frames: p.packets, progress: progress) {
            try TransportBenchmark.serialize(packets: p.packets)
        })
        cases.append(try measureAbsolute("rtp-parse", unit: "packet", frames: p.packets, progress: progress) {
            try TransportBenchmark.parse(packets: p.packets)
        })

        // Call setup: both sides' key work per call, no C counterpart, absolute time per
        // call; within its goal only strictly under 1 ms.
        cases.append(try measureAbsolute(
            "call-setup", unit: "call", frames: p.calls, strictlyUnderGoal: true, progress: progress
        ) {
            try CallSetupBenchmark.run(calls: p.calls)
        })

        // The whole audio path against the sum of the bare calls it is made of.
        let rtpPackets = try AudioPathBenchmark.rtpPackets(for: packets)
        let pathKey = TransportBenchmark.masterKey(for: AudioPathBenchmark.suite)
        cases.append(try measure("audio-path", frames: pcm.count, progress: progress,
            bare: {
                let encode = try OpusBareCalls.encode(configuration: c10, frames: pcm)
                let srtp = try SRTPBareCalls.protectUnprotect(
                    suite: AudioPathBenchmark.suite, masterKey: pathKey, packets: rtpPackets)
                let decode = try OpusBareCalls.decode(sampleRate: Self.sampleRate, channels: 1, packets: packets)
                return (encode.seconds + srtp + decode.seconds, decode.samples)
            },
            wrapper: {
                var path = try AudioPathBenchmark(configuration: c10)
                return try path.run(pcm)
            }))

        // Video.
        let clip = BenchmarkSignals.movingClip(width: p.videoWidth, height: p.videoHeight, frames: p.videoFrames)
        for codec in [VideoCodecKind.vp8, .vp9] {
            cases.append(contentsOf: try measureVideo(codec, clip, progress: progress))
        }

        let worst = cases.filter { $0.ratio != nil }.max { $0.ratio! < $1.ratio! }
        let summary = BenchmarkReport.Summary(
            worstCase: worst?.name ?? "", worstRatio: worst?.ratio ?? 0, goal: worst?.goal ?? Self.goal,
            allWithinGoal: cases.allSatisfy(\.withinGoal))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return BenchmarkReport(
            machine: .current(),
            date: formatter.string(from: Date()),
            buildConfiguration: BenchmarkReport.currentBuildConfiguration,
            libraries: .init(
                opus: CodecLibraries.opusVersion, vpx: CodecLibraries.vpxVersion, srtp: SecurityLibraries.srtpVersion),
            clock: "CLOCK_MONOTONIC around each per-frame call (around the whole loop for the RTP cases, "
                + "around each whole call for call-setup); "
                + "process CPU from CLOCK_PROCESS_CPUTIME_ID",
            parameters: p,
            cases: cases,
            summary: summary)
    }

    // MARK: - Measuring

    /// Seconds spent in the timed calls of one run, and what the run produced.
    typealias Run = () throws -> (seconds: Double, output: Int)

    private func measure(
        _ name: String, unit: String = "frame", frames: Int, progress: ((String, Int, Int) -> Void)?, bare: Run,
        wrapper: Run
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
            name, unit: unit, frames: frames, repetitions: parameters.repetitions, bare: bareSeconds,
            wrapper: wrapperSeconds, bareOutput: bareOutput, wrapperOutput: wrapperOutput, processCPU: nil)
    }

    /// A case with no bare counterpart: the wrapper alone, `repetitions` times. Within its
    /// goal when the minimum is at most the absolute goal, or strictly under it with
    /// `strictlyUnderGoal` (call-setup: "< 1 ms").
    private func measureAbsolute(
        _ name: String, unit: String, frames: Int, strictlyUnderGoal: Bool = false,
        progress: ((String, Int, Int) -> Void)?, wrapper: Run
    ) throws -> BenchmarkReport.Case {
        var seconds: [Double] = []
        var output = 0
        for repetition in 1...parameters.repetitions {
            progress?(name, repetition, parameters.repetitions)
            let w = try wrapper()
            seconds.append(w.seconds)
            output = w.output
        }
        let timing = Self.timing(seconds, frames: frames)
        let goal = Self.goal(for: name).absoluteMicroseconds ?? Self.rtpGoalMicroseconds
        return BenchmarkReport.Case(
            name: name, unit: unit, frames: frames, repetitions: parameters.repetitions,
            bareMicrosecondsPerFrame: nil, wrapperMicrosecondsPerFrame: timing, ratio: nil, goal: nil,
            absoluteGoalMicroseconds: goal, withinGoal: strictlyUnderGoal ? timing.min < goal : timing.min <= goal,
            bareOutput: nil, wrapperOutput: output)
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
        _ name: String, unit: String = "frame", frames: Int, repetitions: Int, bare: [Double], wrapper: [Double],
        bareOutput: Int, wrapperOutput: Int, processCPU: BenchmarkReport.ProcessCPU?
    ) -> BenchmarkReport.Case {
        let ratio = ratio(wrapper.min() ?? 0, bare.min() ?? 0)
        let goal = goal(for: name).ratio ?? goal
        return BenchmarkReport.Case(
            name: name, unit: unit, frames: frames, repetitions: repetitions,
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
