import Foundation
import ParleyMetrics
import Logging
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyNetwork
import ParleyRTP
import ParleySecurity

/// What `parley send` sends, and where.
public struct SendOptions: Sendable {
    public var audioPath: String?
    public var videoPath: String?
    /// Audio goes to this endpoint, video to its port + 2 (its port when there is no audio).
    public var destination: IPv4Endpoint
    /// Where the SDP describing the streams is written.
    public var sdpPath: String
    public var suite: SRTPSuite
    /// Master key || salt; nil: a fresh random key.
    public var keyAndSalt: [UInt8]?
    public var opus: OpusConfiguration
    public var videoCodec: VideoCodecKind
    public var videoBitrateKbps: Int
    public var cpuUsed: Int?
    public var keyframeInterval: Int
    public var maximumSeconds: Double?
    /// Seconds between writing the SDP and sending the first packet (time to start a receiver).
    public var startDelay: Double
    public var acceptTruncatedAudio: Bool
    public var pcapPath: String?
    public var pcapPlaintext: Bool
    /// Seconds between two stats samples (nil: none, unless `statsJSONPath` is set, which
    /// samples every second).
    public var statsInterval: Double? = nil
    /// Write every stats sample to this file as JSON lines.
    public var statsJSONPath: String? = nil

    public init(audioPath: String? = nil, videoPath: String? = nil, destination: IPv4Endpoint, sdpPath: String,
                suite: SRTPSuite = .default, keyAndSalt: [UInt8]? = nil, opus: OpusConfiguration = OpusConfiguration(),
                videoCodec: VideoCodecKind = .vp8, videoBitrateKbps: Int = 800, cpuUsed: Int? = nil,
                keyframeInterval: Int = 300, maximumSeconds: Double? = nil, startDelay: Double = 0,
                acceptTruncatedAudio: Bool = false, pcapPath: String? = nil, pcapPlaintext: Bool = false) {
        self.audioPath = audioPath
        self.videoPath = videoPath
        self.destination = destination
        self.sdpPath = sdpPath
        self.suite = suite
        self.keyAndSalt = keyAndSalt
        self.opus = opus
        self.videoCodec = videoCodec
        self.videoBitrateKbps = videoBitrateKbps
        self.cpuUsed = cpuUsed
        self.keyframeInterval = keyframeInterval
        self.maximumSeconds = maximumSeconds
        self.startDelay = startDelay
        self.acceptTruncatedAudio = acceptTruncatedAudio
        self.pcapPath = pcapPath
        self.pcapPlaintext = pcapPlaintext
    }
}

/// The sending side of a real call: reads a WAV and/or a Y4M/IVF, encodes, packetizes,
/// protects and sends over UDP in real time (audio every frame duration, video every
/// 1/fps, against the monotonic clock, sleeping in poll(2) between frames), answers the
/// receiver's RTCP (NACK → retransmission, PLI/FIR → keyframe), and ends with RTCP BYE.
///
/// Everything that can be refused (inputs, the key, the destination, the local sockets)
/// is checked in `init`, before the SDP or any capture is written.
public final class CallSender {
    static let logger = Logger(label: "parley.engine")

    public let options: SendOptions
    public let sessionDescription: SessionDescription
    private let keyAndSalt: [UInt8]
    private var audio: (source: AudioFileSource, stream: AudioSendStream, session: NetworkMediaSession)?
    private var video: (source: VideoFileSource, stream: VideoSendStream, session: NetworkMediaSession)?
    private var sessions: [NetworkMediaSession] = []
    private let cname: String

    public init(options: SendOptions) throws {
        guard options.audioPath != nil || options.videoPath != nil else { throw EngineError.noInput }
        self.options = options
        let suite = options.suite
        if let key = options.keyAndSalt {
            guard key.count == suite.keyingMaterialLength else {
                throw EngineError.invalidOption("--key holds \(key.count) bytes but \(suite.rawValue) needs \(suite.keyingMaterialLength) "
                    + "(\(suite.masterKeyLength) bytes of master key then \(suite.masterSaltLength) of salt), base64-encoded; "
                    + "e.g. `head -c \(suite.keyingMaterialLength) /dev/urandom | base64`")
            }
            keyAndSalt = key
        } else {
            keyAndSalt = try SRTPKeyingMaterial.random(for: suite)
        }
        let destination = options.destination
        guard destination.port != 0, destination.address != 0 else {
            throw EngineError.invalidOption("--to \(destination) is not a destination: give the receiver's address and port, e.g. 127.0.0.1:5004")
        }
        let videoPort = options.audioPath != nil ? Int(destination.port) + 2 : Int(destination.port)
        guard videoPort <= 65_535 else {
            throw EngineError.invalidOption("--to port \(destination.port) leaves no room for the video port (port + 2); choose a port below 65534")
        }
        let identity = try MediaProfile.randomStreamIdentity()
        cname = "parley-\(String(identity.ssrc, radix: 16))"
        let bandwidth = Double(options.opus.bitrate + (options.videoPath != nil ? options.videoBitrateKbps * 1000 : 0))

        var audioOffer: SDPOfferConfiguration.Audio?
        var videoOffer: SDPOfferConfiguration.Video?
        let crypto = try SDPCryptoAttribute(suite: suite.sdpCryptoSuite, keyAndSalt: keyAndSalt)
        if let path = options.audioPath {
            let opus = options.opus
            let source = try AudioFileSource(path: path, format: AudioFormat(sampleRate: opus.sampleRate, channels: opus.channels),
                                             frameSize: opus.frameSize, acceptTruncated: options.acceptTruncatedAudio)
            let session = try NetworkMediaSession(
                socket: try UDPSocket(bind: IPv4Endpoint(address: 0, port: 0)), destination: destination, suite: suite,
                keyAndSalt: keyAndSalt, cname: cname, localSSRC: identity.ssrc, sessionBandwidth: bandwidth)
            let id = try MediaProfile.randomStreamIdentity()
            let stream = try AudioSendStream(configuration: opus, sender: session.sender, payloadType: MediaProfile.audioPayloadType,
                                             ssrc: id.ssrc, initialSequenceNumber: id.sequenceNumber, initialTimestamp: id.timestamp)
            session.rtcp.addSendStream(ssrc: id.ssrc, clockRate: OpusPayload.clockRate)
            audio = (source, stream, session)
            sessions.append(session)
            audioOffer = .init(port: destination.port, ssrc: id.ssrc, payloadType: MediaProfile.audioPayloadType,
                               stereo: opus.channels == 2, useInbandFEC: opus.inbandFEC, useDTX: opus.dtx,
                               ptime: opus.frameDurationMilliseconds, crypto: crypto)
        }
        if let path = options.videoPath {
            let source = try VideoFileSource(path: path)
            let configuration = VideoEncoderConfiguration(
                codec: options.videoCodec, width: source.width, height: source.height,
                frameRateNumerator: source.frameRateNumerator, frameRateDenominator: source.frameRateDenominator,
                bitrateKbps: options.videoBitrateKbps, cpuUsed: options.cpuUsed, threads: 1,
                keyframeInterval: options.keyframeInterval, errorResilient: false)
            let session = try NetworkMediaSession(
                socket: try UDPSocket(bind: IPv4Endpoint(address: 0, port: 0)),
                destination: IPv4Endpoint(address: destination.address, port: UInt16(videoPort)), suite: suite,
                keyAndSalt: keyAndSalt, cname: cname, localSSRC: identity.ssrc &+ 1, sessionBandwidth: bandwidth)
            let id = try MediaProfile.randomStreamIdentity()
            let payloadType = options.videoCodec == .vp8 ? MediaProfile.vp8PayloadType : MediaProfile.vp9PayloadType
            let stream = try VideoSendStream(configuration: configuration, sender: session.sender, payloadType: payloadType,
                                             ssrc: id.ssrc, initialSequenceNumber: id.sequenceNumber, initialTimestamp: id.timestamp)
            session.rtcp.addSendStream(ssrc: id.ssrc, clockRate: 90_000)
            session.rtcp.keyframeRequested = { [unowned stream] ssrc in if ssrc == stream.ssrc { stream.requestKeyframe() } }
            video = (source, stream, session)
            sessions.append(session)
            videoOffer = .init(port: UInt16(videoPort), ssrc: id.ssrc, codec: options.videoCodec, payloadType: payloadType, crypto: crypto)
        }
        var random = SystemRandomNumberGenerator()
        sessionDescription = try SessionDescription.offer(SDPOfferConfiguration(
            address: destination.addressString, sessionId: UInt64.random(in: 1...UInt64(Int64.max), using: &random),
            sessionName: "Parley", cname: cname, audio: audioOffer, video: videoOffer))
    }

    /// One sender-side stats sample: each stream's outbound counters and what the
    /// receiver's last RTCP report said (loss, jitter, round trip).
    func sample(at time: Double) -> StatsSample {
        var outbound: [OutboundStats] = []
        var remote: [RemoteInboundStats] = []
        for session in sessions {
            let kind = (audio.map { $0.session === session } ?? false) ? "audio" : "video"
            for stream in session.sender.streams {
                var stats = OutboundStats(kind: kind, ssrc: stream.ssrc)
                stats.packetsSent = stream.packetsSent
                stats.bytesSent = stream.payloadBytesSent
                stats.retransmittedPacketsSent = stream.retransmittedPackets
                stats.nackCount = session.rtcp.statistics.nackPacketsReceived
                if kind == "video", let video {
                    stats.framesEncoded = video.stream.framesEncoded
                    stats.keyFramesEncoded = video.stream.keyFramesEncoded
                }
                outbound.append(stats)
                let r = session.rtcp.statistics
                if r.roundTripTime != nil || r.remoteFractionLost != nil {
                    var inbound = RemoteInboundStats(kind: kind, ssrc: stream.ssrc)
                    inbound.packetsLost = r.remotePacketsLost ?? 0
                    inbound.fractionLost = r.remoteFractionLost ?? 0
                    inbound.jitter = r.remoteJitter ?? 0
                    inbound.roundTripTime = r.roundTripTime
                    remote.append(inbound)
                }
            }
        }
        return StatsSample(timestamp: time, outbound: outbound, remoteInbound: remote)
    }

    /// Media seconds the inputs hold (nil when unknown).
    public var expectedSeconds: Double? {
        let a = audio.map { $0.source.expectedSeconds }
        let v = video.map { v in v.source.expectedFrameCount.map { Double($0) / v.source.frameRate } }
        if video != nil, v == nil { return nil }
        let total = max(a ?? 0, (v ?? nil) ?? 0)
        return min(total, options.maximumSeconds ?? .infinity)
    }

    /// Writes the SDP (atomically: a receiver polling for the file never sees half of it).
    public func writeSessionDescription() throws {
        do {
            try Data(sessionDescription.serialized().utf8).write(to: URL(fileURLWithPath: options.sdpPath), options: .atomic)
        } catch {
            throw EngineError.cannotCreateOutput(path: options.sdpPath, reason: (error as NSError).localizedDescription)
        }
    }

    /// Sends everything in real time. `progress` is called about five times a second.
    public func run(progress: (LoopbackProgress) -> Void = { _ in }, stats: (String) -> Void = { _ in }) throws -> SendReport {
        try writeSessionDescription()
        var capture: PcapWriter?
        if let path = options.pcapPath {
            let writer = try PcapWriter(path: path)
            capture = writer
        }
        if options.startDelay > 0 { Thread.sleep(forTimeInterval: options.startDelay) }
        let start = BenchmarkClock.monotonicSeconds()
        let unixStart = Date().timeIntervalSince1970
        if let capture {
            for session in sessions { session.capture(into: capture, plaintext: options.pcapPlaintext, timeOffset: unixStart) }
        }
        let poller = UDPSocketPoller(sessions.map(\.socket))
        let statsEvery = options.statsInterval ?? (options.statsJSONPath != nil ? 1.0 : nil)
        let recorder = try statsEvery.map { _ in try StatsRecorder(url: options.statsJSONPath.map { URL(fileURLWithPath: $0) }) }
        var nextStats = statsEvery ?? .infinity
        let limit = options.maximumSeconds ?? .infinity
        let frameSeconds = Double(options.opus.frameDurationMilliseconds) / 1000
        var audioFrames = 0
        var videoFrames = 0
        var audioDone = audio == nil
        var videoDone = video == nil
        var pcm = [Float](repeating: 0, count: options.opus.frameSize * options.opus.channels)
        var picture = video.map { VideoFrame(width: $0.source.width, height: $0.source.height) } ?? VideoFrame(width: 0, height: 0)
        var failure: Error?
        var lastProgress = -1.0
        var now = 0.0
        do {
            while true {
                now = BenchmarkClock.monotonicSeconds() - start
                let audioDue = audioDone ? Double.infinity : Double(audioFrames) * frameSeconds
                let videoDue = videoDone ? Double.infinity : Double(videoFrames) / (video?.source.frameRate ?? 1)
                let due = min(audioDue, videoDue)
                guard due.isFinite, due < limit else { break }
                if now < due {
                    // Sleep until the next frame, waking for RTCP from the receiver.
                    if try poller.wait(timeout: due - now) {
                        let t = BenchmarkClock.monotonicSeconds() - start
                        for session in sessions { try session.drain(now: t, learnRemote: false) }
                    }
                    continue
                }
                for session in sessions { session.rtcp.tick(now: now) }
                if let recorder, now >= nextStats {
                    let previous = recorder.samples.last
                    let current = sample(at: nextStats)
                    _ = try recorder.record(current)
                    if options.statsInterval != nil { stats(SenderSummaryLine.format(current, previous: previous)) }
                    nextStats += statsEvery ?? .infinity
                }
                if audioDue <= videoDue, let audio {
                    let filled = try audio.source.readFrame(into: &pcm)
                    if filled == 0 { audioDone = true; continue }
                    try audio.stream.send(pcm, now: now)
                    audioFrames += 1
                    if filled < audio.source.frameSize { audioDone = true }
                } else if let video {
                    guard try video.source.read(into: &picture) else { videoDone = true; continue }
                    try video.stream.send(picture, index: videoFrames, now: now)
                    videoFrames += 1
                }
                if now - lastProgress >= 0.2 {
                    lastProgress = now
                    progress(LoopbackProgress(seconds: now, totalSeconds: expectedSeconds, audioFrames: audioFrames, videoFrames: videoFrames))
                }
            }
        } catch {
            failure = error
        }
        // A last look at the receiver's reports, then goodbye.
        now = BenchmarkClock.monotonicSeconds() - start
        if (try? poller.wait(timeout: 0.05)) == true {
            for session in sessions { _ = try? session.drain(now: now, learnRemote: false) }
        }
        for session in sessions { session.rtcp.sendReport(now: now, bye: "parley send finished") }
        var closeFailure: Error?
        if let recorder {
            do {
                let previous = recorder.samples.last
                let current = sample(at: now)
                _ = try recorder.record(current)
                if options.statsInterval != nil { stats(SenderSummaryLine.format(current, previous: previous)) }
                try recorder.close()
            } catch { closeFailure = error }
        }
        do { try capture?.close() } catch { closeFailure = error }
        failure = failure ?? closeFailure
        let mediaSeconds = max(Double(audioFrames) * frameSeconds, Double(videoFrames) / (video?.source.frameRate ?? 1))
        progress(LoopbackProgress(seconds: mediaSeconds, totalSeconds: mediaSeconds, audioFrames: audioFrames, videoFrames: videoFrames))
        let report = makeReport(failure: failure, seconds: now, mediaSeconds: mediaSeconds)
        if let failure { throw SendFailure(underlying: failure, report: report) }
        return report
    }

    private func makeReport(failure: Error?, seconds: Double, mediaSeconds: Double) -> SendReport {
        var streams: [SendReport.Stream] = []
        if let audio {
            let s = audio.stream.statistics
            streams.append(SendReport.Stream(
                kind: "audio", codec: "opus", payloadType: Int(s.payloadType), ssrc: s.ssrc,
                destination: audio.session.remote?.description ?? "", localPort: Int(audio.session.socket.localEndpoint.port),
                framesEncoded: audio.stream.framesEncoded, keyFramesEncoded: nil, packetsSent: s.packetsSent,
                payloadBytesSent: s.payloadBytesSent, bytesSent: s.wireBytesSent, retransmittedPackets: s.retransmittedPackets,
                transportFailures: audio.session.transport.failures, rtcpPacketsReceived: audio.session.receiver.counters.rtcpPacketsReceived,
                rtcp: audio.session.rtcp.statistics, srtp: audio.session.receiver.counters))
        }
        if let video {
            let s = video.stream.statistics
            streams.append(SendReport.Stream(
                kind: "video", codec: video.stream.configuration.codec.rawValue, payloadType: Int(s.payloadType), ssrc: s.ssrc,
                destination: video.session.remote?.description ?? "", localPort: Int(video.session.socket.localEndpoint.port),
                framesEncoded: video.stream.framesEncoded, keyFramesEncoded: video.stream.keyFramesEncoded, packetsSent: s.packetsSent,
                payloadBytesSent: s.payloadBytesSent, bytesSent: s.wireBytesSent, retransmittedPackets: s.retransmittedPackets,
                transportFailures: video.session.transport.failures, rtcpPacketsReceived: video.session.receiver.counters.rtcpPacketsReceived,
                rtcp: video.session.rtcp.statistics, srtp: video.session.receiver.counters))
        }
        return SendReport(
            parleyVersion: FileLoopback.parleyVersion, completed: failure == nil, error: failure.map { "\($0)" },
            destination: options.destination.description, sdp: options.sdpPath, capture: options.pcapPath,
            srtpSuite: options.suite.rawValue, durationSeconds: seconds, mediaSeconds: mediaSeconds, streams: streams)
    }
}

/// What `parley send` did.
public struct SendReport: Codable, Sendable {
    public struct Stream: Codable, Sendable {
        public var kind: String
        public var codec: String
        public var payloadType: Int
        public var ssrc: UInt32
        public var destination: String
        public var localPort: Int
        public var framesEncoded: Int
        public var keyFramesEncoded: Int?
        public var packetsSent: Int
        public var payloadBytesSent: Int
        /// SRTP bytes on the wire.
        public var bytesSent: Int
        public var retransmittedPackets: Int
        public var transportFailures: Int
        public var rtcpPacketsReceived: Int
        /// RTCP: reports sent, the receiver's reports (roundTripTime, remote loss and jitter), NACK, PLI.
        public var rtcp: RTCPSession.Statistics
        /// What arrived from the receiver (its RTCP) and what was refused.
        public var srtp: SecureRTPReceiver.Counters
    }

    public var parleyVersion: String
    public var completed: Bool
    public var error: String?
    public var destination: String
    public var sdp: String
    public var capture: String?
    public var srtpSuite: String
    /// Wall-clock seconds from the first packet to the BYE.
    public var durationSeconds: Double
    public var mediaSeconds: Double
    public var streams: [Stream]
}

/// A send that stopped on an error after sending part of its media.
public struct SendFailure: Error, CustomStringConvertible {
    public var underlying: Error
    public var report: SendReport
    public var description: String { "\(underlying)" }
}
