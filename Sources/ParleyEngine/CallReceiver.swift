import Foundation
import ParleyMetrics
import ParleyPlayout
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyNetwork
import ParleyRTP
import ParleySecurity

/// What `parley receive` listens for and where it writes.
public struct ReceiveOptions: Sendable {
    public var sdpPath: String
    public var outputDirectory: String
    /// Stop this many seconds after the first packet (nil: at BYE or when idle).
    public var maximumSeconds: Double?
    /// Give up if nothing arrives within this many seconds of starting.
    public var waitSeconds: Double
    /// Stop when nothing has arrived for this long after the first packet.
    public var idleSeconds: Double
    public var pcapPath: String?
    public var pcapPlaintext: Bool
    /// Seconds between two stats samples (nil: none, unless `statsJSONPath` is set, which
    /// samples every second).
    public var statsInterval: Double? = nil
    /// Write every stats sample to this file as JSON lines.
    public var statsJSONPath: String? = nil
    /// Play the audio through the adaptive jitter buffer on the wall clock (true), or
    /// decode each packet as it arrives (false, the default: a sender that does not pace
    /// its packets in real time — some RTP tools send files as fast as they can — would
    /// overflow a real-time playout buffer).
    public var adaptivePlayout = false

    public init(sdpPath: String, outputDirectory: String, maximumSeconds: Double? = nil, waitSeconds: Double = 10,
                idleSeconds: Double = 5, pcapPath: String? = nil, pcapPlaintext: Bool = false) {
        self.sdpPath = sdpPath
        self.outputDirectory = outputDirectory
        self.maximumSeconds = maximumSeconds
        self.waitSeconds = waitSeconds
        self.idleSeconds = idleSeconds
        self.pcapPath = pcapPath
        self.pcapPlaintext = pcapPlaintext
    }
}

/// Why a receive could not start or did not get its media. Messages say what to do.
public enum ReceiveError: Error, Equatable, CustomStringConvertible {
    case cannotReadSDP(path: String, reason: String)
    case badSDP(path: String, reason: String)
    case noSupportedMedia(path: String, found: String)
    case noCrypto(path: String, media: String)
    case unsupportedCrypto(path: String, media: String, suite: String)
    case unusableAddress(path: String, address: String)
    case nothingReceived(seconds: Double, ports: String)
    case authenticationFailed(datagrams: Int)

    public var description: String {
        switch self {
        case .cannotReadSDP(let path, let reason):
            return "\(path): cannot read the SDP file: \(reason)"
        case .badSDP(let path, let reason):
            return "\(path): \(reason)"
        case .noSupportedMedia(let path, let found):
            return "\(path): no media section Parley can receive (found: \(found)); it needs an m=audio section with "
                + "a=rtpmap:<pt> opus/48000/2 or an m=video section with a=rtpmap:<pt> VP8/90000 or VP9/90000, on a non-zero port"
        case .noCrypto(let path, let media):
            return "\(path): the \(media) section has no a=crypto line: Parley only receives SRTP. Make the sender encrypt "
                + "(e.g. GStreamer srtpenc) and add its key to the section as "
                + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<base64 of the 30-byte key||salt> "
                + "(or AEAD_AES_128_GCM with 28 bytes), and use proto RTP/SAVP"
        case .unsupportedCrypto(let path, let media, let suite):
            return "\(path): the \(media) section's a=crypto suite \(suite) is not supported; use AES_CM_128_HMAC_SHA1_80, "
                + "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM or AEAD_AES_256_GCM"
        case .unusableAddress(let path, let address):
            return "\(path): the connection address \(address) is not an IPv4 address; write c=IN IP4 A.B.C.D (0.0.0.0 listens on all)"
        case .nothingReceived(let seconds, let ports):
            return String(format: "nothing arrived on UDP %@ within %.0f s; check that the sender sends there (and that it started), "
                + "or wait longer with --wait", ports, seconds)
        case .authenticationFailed(let datagrams):
            return "\(datagrams) packets arrived but none could be decrypted (SRTP authentication failed): "
                + "the key or suite in the SDP's a=crypto is not the sender's; the counts are in report.json"
        }
    }
}

/// The receiving side of a real call, described by an SDP (Parley's own from `parley
/// send`, or one written by hand for GStreamer, ffmpeg…): binds the ports of its m= lines,
/// unprotects with the a=crypto keys, decodes Opus and VP8/VP9 and writes received.wav and
/// received.y4m as frames arrive (headers valid after every write); sends RTCP receiver
/// reports and PLI back to where the packets came from. Stops at RTCP BYE, after
/// `maximumSeconds`, or when idle.
public final class CallReceiver {
    public let options: ReceiveOptions
    public let sessionDescription: SessionDescription
    private var audio: AudioLeg?
    private var video: VideoLeg?
    private var sessions: [NetworkMediaSession] = []
    private let suite: SRTPSuite

    final class AudioLeg {
        let session: NetworkMediaSession
        var stream: AudioReceiveStream!
        let payloadType: UInt8
        let format: AudioFormat
        var writer: WAVWriter?
        var path: String?
        var directory = ""
        var failure: Error?
        var energy: Double = 0
        var samples = 0
        init(session: NetworkMediaSession, payloadType: UInt8, format: AudioFormat) {
            self.session = session
            self.payloadType = payloadType
            self.format = format
        }
        func write(_ frame: ArraySlice<Float>) {
            guard failure == nil else { return }
            do {
                if writer == nil {
                    let out = (directory as NSString).appendingPathComponent("received.wav")
                    writer = try WAVWriter(path: out, format: format)
                    path = out
                }
                try writer?.write(frame)
                // An index loop: iterating the slice allocates per element in debug builds.
                var i = frame.startIndex
                while i < frame.endIndex {
                    energy += Double(frame[i] * frame[i])
                    i += 1
                }
                samples += frame.count
            } catch {
                failure = error
            }
        }
    }

    final class VideoLeg {
        let session: NetworkMediaSession
        var stream: VideoReceiveStream!
        let payloadType: UInt8
        let codec: VideoCodecKind
        var writer: Y4MWriter?
        var path: String?
        var directory = ""
        var failure: Error?
        var framesWritten = 0
        var framesSkipped = 0
        init(session: NetworkMediaSession, payloadType: UInt8, codec: VideoCodecKind) {
            self.session = session
            self.payloadType = payloadType
            self.codec = codec
        }
        func write(_ picture: VideoFrame) {
            guard failure == nil else { return }
            do {
                if writer == nil {
                    let out = (directory as NSString).appendingPathComponent("received.y4m")
                    writer = try Y4MWriter(path: out, width: picture.width, height: picture.height)
                    path = out
                }
                guard let writer, writer.header.width == picture.width, writer.header.height == picture.height else {
                    framesSkipped += 1
                    return
                }
                try writer.write(picture)
                framesWritten += 1
            } catch {
                failure = error
            }
        }
    }

    public init(options: ReceiveOptions) throws {
        self.options = options
        let path = options.sdpPath
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it is not readable UTF-8 text" : "no such file"
            throw ReceiveError.cannotReadSDP(path: path, reason: reason)
        }
        do {
            sessionDescription = try SessionDescription.parse(text)
        } catch {
            throw ReceiveError.badSDP(path: path, reason: "\(error)")
        }
        let description = sessionDescription
        var found: [String] = []
        var plans: [(section: SDPMediaDescription, pt: UInt8, video: VideoCodecKind?)] = []
        for section in description.media {
            let names = section.formats.compactMap { section.rtpmaps[$0]?.encodingName }
            found.append("m=\(section.kind.name) port \(section.port)" + (names.isEmpty ? "" : " " + names.joined(separator: ",")))
            guard section.port != 0, section.isRTP else { continue }
            switch section.kind {
            case .audio:
                if plans.contains(where: { $0.video == nil }) { continue }
                if let pt = section.payloadType(encoding: "opus", clockRate: 48000) { plans.append((section, pt, nil)) }
            case .video:
                if plans.contains(where: { $0.video != nil }) { continue }
                if let pt = section.payloadType(encoding: "VP8", clockRate: 90000) {
                    plans.append((section, pt, .vp8))
                } else if let pt = section.payloadType(encoding: "VP9", clockRate: 90000) {
                    plans.append((section, pt, .vp9))
                }
            default:
                continue
            }
        }
        guard !plans.isEmpty else {
            throw ReceiveError.noSupportedMedia(path: path, found: found.isEmpty ? "no m= line" : found.joined(separator: "; "))
        }
        var chosenSuite: SRTPSuite?
        var keyed: [(section: SDPMediaDescription, pt: UInt8, video: VideoCodecKind?, crypto: SDPCryptoAttribute, bind: IPv4Endpoint)] = []
        for plan in plans {
            let media = "m=\(plan.section.kind.name) \(plan.section.port)"
            guard let crypto = plan.section.crypto.first else {
                if let unknown = plan.section.otherAttribute("crypto")?.value {
                    let suite = unknown.split(separator: " ").dropFirst().first.map(String.init) ?? unknown
                    throw ReceiveError.unsupportedCrypto(path: path, media: media, suite: suite)
                }
                throw ReceiveError.noCrypto(path: path, media: media)
            }
            let address = description.connection(for: plan.section)?.address ?? "0.0.0.0"
            guard let host = IPv4Endpoint.parseAddress(address) else {
                throw ReceiveError.unusableAddress(path: path, address: address)
            }
            keyed.append((plan.section, plan.pt, plan.video, crypto, IPv4Endpoint(address: host, port: plan.section.port)))
            chosenSuite = chosenSuite ?? SRTPSuite(sdp: crypto.suite)
        }
        suite = chosenSuite ?? .default
        let identity = try MediaProfile.randomStreamIdentity()
        let cname = "parley-\(String(identity.ssrc, radix: 16))"
        for (index, plan) in keyed.enumerated() {
            let socket = try UDPSocket(bind: plan.bind, receiveBufferBytes: 4 << 20)
            let session = try NetworkMediaSession(
                socket: socket, destination: nil, suite: SRTPSuite(sdp: plan.crypto.suite), keyAndSalt: plan.crypto.keyAndSalt,
                cname: cname, localSSRC: identity.ssrc &+ UInt32(index), sessionBandwidth: 1_000_000)
            sessions.append(session)
            if let codec = plan.video {
                let leg = VideoLeg(session: session, payloadType: plan.pt, codec: codec)
                leg.stream = try VideoReceiveStream(codec: codec, receiver: session.receiver, payloadType: plan.pt) { [unowned leg] picture, _ in
                    leg.write(picture)
                }
                leg.stream.keyframeNeeded = { [unowned session] ssrc in
                    session.rtcp.sendPictureLossIndication(mediaSSRC: ssrc, now: session.lastDatagram ?? 0)
                }
                leg.stream.nackNeeded = { [unowned session] ssrc, lost in
                    session.rtcp.sendNACK(mediaSSRC: ssrc, lost: lost, now: session.lastDatagram ?? 0)
                }
                session.rtcp.addReceiveStream(leg.stream)
                video = leg
            } else {
                let fmtp = plan.section.fmtps[plan.pt]
                let channels = fmtp?.stereo == true ? 2 : 1
                let ptime = Int(plan.section.ptime ?? 20)
                let frameMs = [10, 20, 40, 60].contains(ptime) ? ptime : 20
                let leg = AudioLeg(session: session, payloadType: plan.pt, format: AudioFormat(sampleRate: 48000, channels: channels))
                // In-band FEC is tried only when the SDP says the stream carries it.
                let playout: AudioReceiveStream.Playout = options.adaptivePlayout
                    ? .adaptive(JitterBufferConfiguration(), senderUsesFEC: fmtp?.useInbandFEC == true) : .arrivalOrder
                leg.stream = try AudioReceiveStream(sampleRate: 48000, channels: channels, frameDurationMilliseconds: frameMs,
                                                    receiver: session.receiver, payloadType: plan.pt,
                                                    playout: playout) { [unowned leg] frame in
                    leg.write(frame)
                }
                session.rtcp.addReceiveStream(leg.stream)
                audio = leg
            }
        }
    }

    /// The UDP endpoints listened on.
    public var localEndpoints: [IPv4Endpoint] { sessions.map(\.socket.localEndpoint) }

    /// The audio playout clock: one pull per output frame from the first packet's arrival.
    private var nextPull: Double?

    /// Pulls every frame due by `now` (the wall clock of the receive loop, which wakes at
    /// least every 20 ms; a late wake-up pulls the frames it owes at once).
    private func playAudio(until now: Double) {
        guard let leg = audio, let stream = leg.stream, let buffer = stream.jitterBuffer, let first = stream.firstArrival else { return }
        // The stream stopped (no audio packet for a quarter second and nothing buffered):
        // stop the playout clock instead of playing concealment until the receive ends.
        if !stream.hasBufferedAudio, let last = stream.lastArrival, now - last > 0.25 { return }
        let step = Double(buffer.outputFrameSize) / Double(stream.sampleRate)
        var next = nextPull ?? first
        var owed = 0
        while next <= now, owed < 50 {
            // A pull that is owed happens now: what arrived by now is there for it.
            stream.pull(now: now)
            next += step
            owed += 1
        }
        nextPull = next
    }

    /// One stats sample, `time` seconds after the first packet: each stream's cumulative
    /// webrtc-stats, the round trip, and the E-model's R and MOS for the audio (one-way
    /// delay: half the round trip + one frame + Opus's 6.5 ms lookahead).
    func sample(at time: Double) -> StatsSample {
        let rtt = sessions.lazy.compactMap(\.rtcp.statistics.roundTripTime).first
        let stream = audio?.stream
        let quality = stream.flatMap { stream in
            stream.callQuality(
                oneWayDelayMilliseconds: (rtt ?? 0) * 500 + stream.frameMilliseconds + 6.5,
                bitrate: time > 0 ? Double(stream.bytesReceived * 8) / time : 32_000)
        }
        return .receiving(at: time, audio: stream?.inboundStats(), video: video?.stream.inboundStats(),
                          roundTripTime: rtt, quality: quality)
    }

    /// Receives until BYE, `maximumSeconds`, idle, or `shouldStop()`; writes report.json.
    public func run(
        shouldStop: () -> Bool = { false }, progress: (LoopbackProgress) -> Void = { _ in }, stats: (String) -> Void = { _ in }
    ) throws -> ReceiveReport {
        let directory = options.outputDirectory
        try FileLoopback.createDirectory(directory)
        let reportPath = (directory as NSString).appendingPathComponent("report.json")
        try? FileManager.default.removeItem(atPath: reportPath)
        for name in ["received.wav", "received.y4m"] {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
        audio?.directory = directory
        video?.directory = directory
        let start = BenchmarkClock.monotonicSeconds()
        var capture: PcapWriter?
        if let path = options.pcapPath {
            let writer = try PcapWriter(path: path)
            capture = writer
            for session in sessions { session.capture(into: writer, plaintext: options.pcapPlaintext, timeOffset: Date().timeIntervalSince1970) }
        }
        let poller = UDPSocketPoller(sessions.map(\.socket))
        let statsEvery = options.statsInterval ?? (options.statsJSONPath != nil ? 1.0 : nil)
        let recorder = try statsEvery.map { _ in try StatsRecorder(url: options.statsJSONPath.map { URL(fileURLWithPath: $0) }) }
        var nextStats: Double?
        var stopReason = "interrupted"
        var failure: Error?
        var now = 0.0
        var lastProgress = -1.0
        do {
            while true {
                if shouldStop() { stopReason = "interrupted"; break }
                now = BenchmarkClock.monotonicSeconds() - start
                let first = sessions.compactMap(\.firstDatagram).min()
                let last = sessions.compactMap(\.lastDatagram).max()
                if let first, let limit = options.maximumSeconds, now - first >= limit { stopReason = "duration"; break }
                if let last, now - last >= options.idleSeconds { stopReason = "idle"; break }
                if first == nil, now >= options.waitSeconds { stopReason = "nothing received"; break }
                let active = sessions.filter { $0.firstDatagram != nil }
                if !active.isEmpty, active.allSatisfy(\.goodbyeReceived) {
                    // The other section's BYE may be a moment behind.
                    if active.count == sessions.count || now - (last ?? now) > 0.3 { stopReason = "bye"; break }
                }
                if try poller.wait(timeout: 0.02) {
                    now = BenchmarkClock.monotonicSeconds() - start
                    for session in sessions { try session.drain(now: now, learnRemote: true) }
                }
                for session in sessions where session.remote != nil { session.rtcp.tick(now: now) }
                if let leg = video, leg.session.remote != nil {
                    leg.stream.roundTripTime = leg.session.rtcp.statistics.roundTripTime
                    leg.stream.tick(now: now)
                }
                playAudio(until: now)
                if let f = audio?.failure ?? video?.failure { throw f }
                if let recorder, let every = statsEvery, let first {
                    let due = nextStats ?? first + every
                    if now >= due {
                        let line = try recorder.record(sample(at: now - first))
                        if options.statsInterval != nil { stats(line) }
                        nextStats = due + every
                    } else if nextStats == nil {
                        nextStats = due
                    }
                }
                if now - lastProgress >= 0.2, let first {
                    lastProgress = now
                    progress(LoopbackProgress(seconds: now - first, totalSeconds: options.maximumSeconds,
                                              audioFrames: audio?.stream.framesDecoded ?? 0, videoFrames: video?.stream.framesDecoded ?? 0))
                }
            }
        } catch {
            failure = error
        }
        for session in sessions where session.remote != nil { session.rtcp.sendReport(now: now) }
        // Play out what the jitter buffer still holds (at most 2 s more).
        if let stream = audio?.stream, stream.jitterBuffer != nil {
            var extra = 0
            while stream.hasBufferedAudio, extra < 100, let next = nextPull {
                playAudio(until: next)
                extra += 1
            }
        }
        var closeFailure: Error?
        if let recorder {
            do {
                if let first = sessions.compactMap(\.firstDatagram).min() {
                    let line = try recorder.record(sample(at: now - first))
                    if options.statsInterval != nil { stats(line) }
                }
                try recorder.close()
            } catch { closeFailure = closeFailure ?? error }
        }
        do { try audio?.writer?.close() } catch { closeFailure = closeFailure ?? error }
        do { try video?.writer?.close() } catch { closeFailure = closeFailure ?? error }
        do { try capture?.close() } catch { closeFailure = closeFailure ?? error }
        failure = failure ?? closeFailure
        let datagrams = sessions.map(\.datagramsReceived).reduce(0, +)
        let media = (audio?.stream.packetsReceived ?? 0) + (video?.stream.packetsReceived ?? 0)
        if failure == nil {
            if datagrams == 0 {
                failure = ReceiveError.nothingReceived(seconds: options.waitSeconds,
                                                       ports: sessions.map { $0.socket.localEndpoint.description }.joined(separator: " and "))
            } else if media == 0, sessions.contains(where: { $0.receiver.counters.srtpAuthenticationFailures > 0 }) {
                failure = ReceiveError.authenticationFailed(datagrams: datagrams)
            }
        }
        let first = sessions.compactMap(\.firstDatagram).min()
        let last = sessions.compactMap(\.lastDatagram).max()
        let report = makeReport(failure: failure, stopReason: stopReason, reportPath: reportPath,
                                duration: first.flatMap { f in last.map { $0 - f } } ?? 0)
        try FileLoopback.write(report, to: reportPath)
        if let failure { throw ReceiveFailure(underlying: failure, report: report) }
        return report
    }

    private func makeReport(failure: Error?, stopReason: String, reportPath: String, duration: Double) -> ReceiveReport {
        var streams: [ReceiveReport.Stream] = []
        if let audio {
            let s = audio.stream!
            let seconds = Double(audio.samples / audio.format.channels) / Double(audio.format.sampleRate)
            streams.append(ReceiveReport.Stream(
                kind: "audio", codec: "opus", payloadType: Int(audio.payloadType), ssrc: s.ssrc,
                localEndpoint: audio.session.socket.localEndpoint.description, remote: audio.session.remote?.description,
                packetsReceived: s.packetsReceived, packetsLost: s.statistics.packetsLost, packetsDuplicated: s.statistics.packetsDuplicated,
                jitter: s.statistics.jitter, framesDecoded: s.framesDecoded, framesConcealed: s.framesConcealed,
                latePackets: s.latePackets, decodeErrors: s.decodeErrors, framesIncomplete: nil, framesDroppedWaitingForKeyframe: nil,
                width: nil, height: nil, sampleRate: audio.format.sampleRate, channels: audio.format.channels,
                durationSeconds: seconds, rms: audio.samples > 0 ? (audio.energy / Double(audio.samples)).squareRoot() : 0,
                output: audio.path, srtp: audio.session.receiver.counters, rtcp: audio.session.rtcp.statistics,
                rtcpSendFailures: audio.session.transport.failures, datagramsReceived: audio.session.datagramsReceived))
        }
        if let video {
            let s = video.stream!
            streams.append(ReceiveReport.Stream(
                kind: "video", codec: video.codec.rawValue, payloadType: Int(video.payloadType), ssrc: s.ssrc,
                localEndpoint: video.session.socket.localEndpoint.description, remote: video.session.remote?.description,
                packetsReceived: s.packetsReceived, packetsLost: s.statistics.packetsLost, packetsDuplicated: s.statistics.packetsDuplicated,
                jitter: s.statistics.jitter, framesDecoded: s.framesDecoded, framesConcealed: nil,
                latePackets: nil, decodeErrors: s.decodeErrors, framesIncomplete: s.framesIncomplete,
                framesDroppedWaitingForKeyframe: s.framesDroppedWaitingForKeyframe,
                width: video.writer?.header.width, height: video.writer?.header.height, sampleRate: nil, channels: nil,
                durationSeconds: nil, rms: nil, output: video.path, srtp: video.session.receiver.counters,
                rtcp: video.session.rtcp.statistics, rtcpSendFailures: video.session.transport.failures,
                datagramsReceived: video.session.datagramsReceived))
        }
        return ReceiveReport(
            parleyVersion: FileLoopback.parleyVersion, completed: failure == nil, error: failure.map { "\($0)" },
            stopReason: stopReason, sdp: options.sdpPath, srtpSuite: suite.rawValue, durationSeconds: duration,
            outputs: .init(directory: options.outputDirectory, audio: audio?.path, video: video?.path,
                           capture: options.pcapPath, report: reportPath),
            streams: streams)
    }
}

/// What `parley receive` got: webrtc-stats names where there is one.
public struct ReceiveReport: Codable, Sendable {
    public struct Outputs: Codable, Sendable {
        public var directory: String
        public var audio: String?
        public var video: String?
        public var capture: String?
        public var report: String
    }

    public struct Stream: Codable, Sendable {
        public var kind: String
        public var codec: String
        public var payloadType: Int
        public var ssrc: UInt32?
        public var localEndpoint: String
        public var remote: String?
        public var packetsReceived: Int
        public var packetsLost: Int
        public var packetsDuplicated: Int
        /// Seconds (RFC 3550 interarrival jitter).
        public var jitter: Double
        public var framesDecoded: Int
        public var framesConcealed: Int?
        public var latePackets: Int?
        public var decodeErrors: Int
        public var framesIncomplete: Int?
        public var framesDroppedWaitingForKeyframe: Int?
        public var width: Int?
        public var height: Int?
        public var sampleRate: Int?
        public var channels: Int?
        /// Seconds of audio written.
        public var durationSeconds: Double?
        /// RMS of the audio written (0...1).
        public var rms: Double?
        public var output: String?
        /// Packets received and refused, by kind (SRTP authentication, replay, malformed…).
        public var srtp: SecureRTPReceiver.Counters
        public var rtcp: RTCPSession.Statistics
        public var rtcpSendFailures: Int
        public var datagramsReceived: Int
    }

    public var parleyVersion: String
    public var completed: Bool
    public var error: String?
    /// bye, duration, idle, interrupted, nothing received.
    public var stopReason: String
    public var sdp: String
    public var srtpSuite: String
    /// Seconds from the first datagram to the last.
    public var durationSeconds: Double
    public var outputs: Outputs
    public var streams: [Stream]
}

/// A receive that ended without its media (nothing arrived, wrong key); the report is written.
public struct ReceiveFailure: Error, CustomStringConvertible {
    public var underlying: Error
    public var report: ReceiveReport
    public var description: String { "\(underlying)" }
}
