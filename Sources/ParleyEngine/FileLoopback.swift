import Foundation
import Logging
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics

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

    public init(
        audioPath: String? = nil, videoPath: String? = nil, outputDirectory: String,
        opus: OpusConfiguration = OpusConfiguration(), videoCodec: VideoCodecKind = .vp8,
        videoBitrateKbps: Int = 800, cpuUsed: Int? = nil, videoThreads: Int = 1,
        keyframeInterval: Int = 300, errorResilient: Bool = false, maximumSeconds: Double? = nil,
        acceptTruncatedAudio: Bool = false
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
}

/// Encode → decode file to file, with no network between the halves: the first stage of
/// the call pipeline, measured. Later stages (RTP, SRTP, the network emulator, the
/// conference) go between the encoder and the decoder.
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

    public init(options: LoopbackOptions) throws {
        guard options.audioPath != nil || options.videoPath != nil else { throw EngineError.noInput }
        self.options = options
        if let path = options.audioPath {
            audio = try AudioLane(path: path, configuration: options.opus, acceptTruncated: options.acceptTruncatedAudio)
        }
        if let path = options.videoPath {
            video = try VideoLane(path: path, options: options)
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

    /// Runs the loopback; `progress` is called every few frames.
    public func run(progress: (LoopbackProgress) -> Void = { _ in }) throws -> LoopbackReport {
        let directory = options.outputDirectory
        try Self.createDirectory(directory)
        let reportPath = (directory as NSString).appendingPathComponent("report.json")
        // A stale report from an earlier run must not pass for this one's.
        try? FileManager.default.removeItem(atPath: reportPath)
        try audio?.openOutput(directory: directory)
        try video?.openOutput(directory: directory)

        let limit = options.maximumSeconds ?? .infinity
        let total: Double? = {
            let a = audio.flatMap { $0.expectedSeconds }
            let v = video.flatMap { $0.expectedSeconds }
            if audio != nil, a == nil { return nil }
            if video != nil, v == nil { return nil }
            return min(limit, max(a ?? 0, v ?? 0))
        }()
        let wallStart = BenchmarkClock.monotonicSeconds()
        var failure: Error?
        var lastReport = -1.0
        do {
            // Process whichever medium is behind in media time, as a call would.
            while true {
                let audioTime = audio.flatMap { $0.finished ? nil : $0.seconds }
                let videoTime = video.flatMap { $0.finished ? nil : $0.seconds }
                let next = [audioTime, videoTime].compactMap { $0 }.min()
                guard let now = next, now < limit else { break }
                if let a = audioTime, a == now { try audio?.step() } else { try video?.step() }
                if now - lastReport >= 0.2 {
                    lastReport = now
                    progress(LoopbackProgress(seconds: now, totalSeconds: total,
                                              audioFrames: audio?.framesEncoded ?? 0, videoFrames: video?.framesEncoded ?? 0))
                }
            }
        } catch {
            failure = error
        }
        var closeFailure: Error?
        do { try audio?.close() } catch { closeFailure = closeFailure ?? error }
        do { try video?.close() } catch { closeFailure = closeFailure ?? error }
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
                           encodedVideo: video?.encodedPath, report: reportPath),
            audio: audio?.report(),
            video: video?.report(),
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

    static func write(_ report: LoopbackReport, to path: String) throws {
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

// MARK: - Audio

/// WAV → Opus → WAV, one 20 ms (or configured) frame per step.
final class AudioLane {
    let path: String
    let configuration: OpusConfiguration
    private let reader: WAVReader
    private let encoder: OpusEncoder
    private let decoder: OpusDecoder
    private var writer: WAVWriter?
    private(set) var outputPath: String?

    private var input: [Float]
    private var packet: [UInt8]
    private var output: [Float]
    private var encodeTimer = CallTimer()
    private var decodeTimer = CallTimer()
    private(set) var framesEncoded = 0
    private var framesDecoded = 0
    private var bytes = 0
    private var discontinuous = 0
    private var packetSizes = RunningSummary()
    private(set) var finished = false
    // Mono copies kept for the alignment analysis (bounded).
    private var referenceMono: [Float] = []
    private var receivedMono: [Float] = []
    private let analysisLimit: Int

    init(path: String, configuration: OpusConfiguration, acceptTruncated: Bool) throws {
        self.path = path
        self.configuration = configuration
        reader = try WAVReader(path: path, output: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels))
        let info = reader.info
        if info.isTruncated, !acceptTruncated, let declared = info.declaredFrameCount {
            let rate = Double(info.format.sampleRate)
            throw MediaError.truncated(path: path, reason: String(
                format: "the header declares %.2f s of audio but the file holds only %.2f s; "
                    + "pass --accept-truncated to use what is there",
                Double(declared) / rate, Double(info.frameCount) / rate))
        }
        encoder = try OpusEncoder(configuration: configuration)
        decoder = try OpusDecoder(sampleRate: configuration.sampleRate, channels: configuration.channels)
        input = [Float](repeating: 0, count: configuration.frameSize * configuration.channels)
        packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        output = [Float](repeating: 0, count: decoder.maximumFrameSize * configuration.channels)
        analysisLimit = Int(AudioAlignment.maximumAnalysisSeconds * Double(configuration.sampleRate))
        referenceMono.reserveCapacity(min(analysisLimit, max(0, reader.info.frameCount * configuration.sampleRate / max(1, reader.info.format.sampleRate))))
        receivedMono.reserveCapacity(referenceMono.capacity)
        if reader.info.frameCount == 0 {
            throw MediaError.truncated(path: path, reason: "the data chunk holds no audio; give a WAV with at least one sample")
        }
    }

    var sourceInfo: WAVInfo { reader.info }
    var expectedSeconds: Double? { Double(reader.info.frameCount) / Double(reader.info.format.sampleRate) }
    var seconds: Double { Double(framesEncoded * configuration.frameSize) / Double(configuration.sampleRate) }

    func openOutput(directory: String) throws {
        let out = (directory as NSString).appendingPathComponent("received.wav")
        writer = try WAVWriter(path: out, format: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels))
        outputPath = out
    }

    func step() throws {
        let frameSize = configuration.frameSize
        let channels = configuration.channels
        // Fill one frame; the last one is padded with silence.
        var filled = 0
        while filled < frameSize {
            let n = try readInto(offset: filled, frames: frameSize - filled)
            if n == 0 { break }
            filled += n
        }
        if filled == 0 { finished = true; return }
        for i in (filled * channels)..<(frameSize * channels) { input[i] = 0 }
        let size = try encodeTimer.measure { try encoder.encode(input, into: &packet) }
        framesEncoded += 1
        bytes += size
        packetSizes.add(Double(size))
        if OpusPacket.isDiscontinuous(size: size) { discontinuous += 1 }
        let decoded = try decodeTimer.measure { try decoder.decode(packet, count: size, into: &output) }
        framesDecoded += 1
        try writer?.write(output[0..<decoded * channels])
        keepForAnalysis(source: input, count: filled, decoded: output, decodedCount: decoded)
        if filled < frameSize { finished = true }
    }

    private var scratch: [Float] = []

    private func readInto(offset: Int, frames: Int) throws -> Int {
        let channels = configuration.channels
        if scratch.count < frames * channels { scratch = [Float](repeating: 0, count: frames * channels) }
        let n = try reader.read(into: &scratch, frames: frames)
        for i in 0..<(n * channels) { input[offset * channels + i] = scratch[i] }
        return n
    }

    private func keepForAnalysis(source: [Float], count: Int, decoded: [Float], decodedCount: Int) {
        let channels = configuration.channels
        func mono(_ buffer: [Float], _ frames: Int, into target: inout [Float]) {
            for f in 0..<frames where target.count < analysisLimit {
                var sum: Float = 0
                for c in 0..<channels { sum += buffer[f * channels + c] }
                target.append(sum / Float(channels))
            }
        }
        mono(source, count, into: &referenceMono)
        mono(decoded, decodedCount, into: &receivedMono)
    }

    func close() throws {
        try writer?.close()
    }

    func report() -> LoopbackReport.Audio {
        let duration = seconds
        return LoopbackReport.Audio(
            sourceSampleRate: reader.info.format.sampleRate,
            sourceChannels: reader.info.format.channels,
            sourceSampleFormat: reader.info.sampleFormat.rawValue,
            sampleRate: configuration.sampleRate,
            channels: configuration.channels,
            frameDurationMilliseconds: configuration.frameDurationMilliseconds,
            targetBitrate: configuration.bitrate,
            complexity: configuration.complexity,
            inbandFEC: configuration.inbandFEC,
            dtx: configuration.dtx,
            durationSeconds: duration,
            framesEncoded: framesEncoded,
            framesDecoded: framesDecoded,
            discontinuousPackets: discontinuous,
            bytesSent: bytes,
            bitrate: duration > 0 ? Double(bytes * 8) / duration : 0,
            packetSizeBytes: packetSizes,
            encodeCPUSeconds: encodeTimer.threadSeconds,
            decodeCPUSeconds: decodeTimer.threadSeconds,
            encodeMicrosecondsPerFrame: encodeTimer.microsecondsPerCall,
            decodeMicrosecondsPerFrame: decodeTimer.microsecondsPerCall,
            alignment: AudioAlignment.delay(reference: referenceMono, received: receivedMono,
                                            sampleRate: configuration.sampleRate, maxLagSeconds: 0.5),
            codecDelayMilliseconds: Double(encoder.lookahead) * 1000 / Double(configuration.sampleRate)
        )
    }
}

// MARK: - Video

/// Y4M/IVF → VP8/VP9 → Y4M, one frame per step, with PSNR and SSIM against the source.
final class VideoLane {
    let source: VideoFileSource
    let options: LoopbackOptions
    private let encoder: VideoEncoder
    private let decoder: VideoDecoder
    private var writer: Y4MWriter?
    private var encodedWriter: IVFWriter?
    private(set) var outputPath: String?
    private(set) var encodedPath: String?

    private var original: VideoFrame
    private var received: VideoFrame
    private var packet = EncodedVideoFrame()
    private var encodeTimer = CallTimer()
    private var decodeTimer = CallTimer()
    private(set) var framesEncoded = 0
    private var framesDecoded = 0
    private var keyframes = 0
    private var bytes = 0
    private var frameSizes = RunningSummary()
    private var psnrY = RunningSummary()
    private var psnr = RunningSummary()
    private var ssim = RunningSummary()
    private var frames: [LoopbackReport.VideoFrameStats] = []
    private(set) var finished = false

    init(path: String, options: LoopbackOptions) throws {
        source = try VideoFileSource(path: path)
        self.options = options
        let configuration = VideoEncoderConfiguration(
            codec: options.videoCodec, width: source.width, height: source.height,
            frameRateNumerator: source.frameRateNumerator, frameRateDenominator: source.frameRateDenominator,
            bitrateKbps: options.videoBitrateKbps, cpuUsed: options.cpuUsed, threads: options.videoThreads,
            keyframeInterval: options.keyframeInterval, errorResilient: options.errorResilient)
        encoder = try VideoEncoder(configuration: configuration)
        decoder = try VideoDecoder(codec: options.videoCodec, threads: options.videoThreads)
        original = VideoFrame(width: source.width, height: source.height)
        received = VideoFrame(width: source.width, height: source.height)
        packet = EncodedVideoFrame(capacity: max(1 << 16, original.byteCount))
    }

    var cpuUsed: Int { encoder.configuration.cpuUsed }
    var expectedSeconds: Double? { source.expectedFrameCount.map { Double($0) / source.frameRate } }
    var seconds: Double { Double(framesEncoded) / source.frameRate }

    func openOutput(directory: String) throws {
        let out = (directory as NSString).appendingPathComponent("received.y4m")
        writer = try Y4MWriter(path: out, width: source.width, height: source.height,
                               frameRateNumerator: source.frameRateNumerator, frameRateDenominator: source.frameRateDenominator)
        outputPath = out
        let encoded = (directory as NSString).appendingPathComponent("sent.ivf")
        encodedWriter = try IVFWriter(path: encoded, codec: options.videoCodec, width: source.width, height: source.height,
                                      timebaseNumerator: source.frameRateDenominator, timebaseDenominator: source.frameRateNumerator)
        encodedPath = encoded
    }

    func step() throws {
        guard try source.read(into: &original) else { finished = true; return }
        let index = framesEncoded
        let produced = try encodeTimer.measure {
            try encoder.encode(original, pts: Int64(index), into: &packet)
        }
        framesEncoded += 1
        guard produced else { return }
        bytes += packet.size
        frameSizes.add(Double(packet.size))
        if packet.isKeyframe { keyframes += 1 }
        try encodedWriter?.write(packet.data, count: packet.size, pts: packet.pts)
        let decoded = try decodeTimer.measure { try decoder.decode(packet.data, count: packet.size, into: &received) }
        guard decoded else { return }
        framesDecoded += 1
        try writer?.write(received)
        let p = try VideoQuality.psnr(reference: original, distorted: received)
        let s = try VideoQuality.ssim(reference: original, distorted: received)
        psnrY.add(p.y)
        psnr.add(p.combined)
        ssim.add(s)
        frames.append(.init(index: index, bytes: packet.size, keyframe: packet.isKeyframe, psnrY: p.y, psnr: p.combined, ssim: s))
    }

    func close() throws {
        try writer?.close()
        try encodedWriter?.close()
    }

    func report() -> LoopbackReport.Video {
        let c = encoder.configuration
        let duration = seconds
        return LoopbackReport.Video(
            codec: c.codec.rawValue,
            source: source.kind.rawValue,
            width: c.width, height: c.height, frameRate: source.frameRate,
            targetBitrateKbps: c.bitrateKbps, cpuUsed: c.cpuUsed, threads: c.threads,
            keyframeInterval: c.keyframeInterval, errorResilient: c.errorResilient,
            framesEncoded: framesEncoded, framesDecoded: framesDecoded, keyFramesEncoded: keyframes,
            bytesSent: bytes,
            bitrateKbps: duration > 0 ? Double(bytes * 8) / duration / 1000 : 0,
            frameSizeBytes: frameSizes,
            encodeCPUSeconds: encodeTimer.threadSeconds,
            decodeCPUSeconds: decodeTimer.threadSeconds,
            encodeProcessCPUSeconds: encodeTimer.processSeconds,
            decodeProcessCPUSeconds: decodeTimer.processSeconds,
            encodeMillisecondsPerFrame: encodeTimer.microsecondsPerCall / 1000,
            decodeMillisecondsPerFrame: decodeTimer.microsecondsPerCall / 1000,
            psnrY: psnrY, psnr: psnr, ssim: ssim, frames: frames)
    }
}
