import Foundation
import ParleyCodecs
import ParleyConference
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyNetwork
import ParleyPlayout
import ParleyRTP
import ParleySecurity

/// What a call between `parley` processes plays and records.
public struct DirectCallOptions: Sendable {
    /// WAV to send (resampled to 48 kHz mono); nil or after its end: silence.
    public var audioPath: String?
    /// Video to send (Y4M, or IVF VP8/VP9 decoded first), as VP8; nil: no video.
    public var videoPath: String?
    /// Where `received.wav`, `received.y4m` and `report.json` go.
    public var outputDirectory: String
    /// Seconds of media after the path is up.
    public var duration: Double
    public var opus: OpusConfiguration
    public var suite: SRTPSuite
    /// Seconds without a packet from a peer after which its link ends (it vanished).
    public var silentTimeout: Double = 5
    public var videoBitrateKbps = 500
    /// The received video's canvas: one tile per peer.
    public var gridWidth = 640
    public var gridHeight = 360
    /// Seconds between two stats samples (nil: none, unless `statsJSONPath` is set: then 1 s).
    public var statsInterval: Double?
    /// Where the stats samples go, as JSON lines (`parley report` draws them).
    public var statsJSONPath: String?
    /// An ALSA device to capture from instead of `audioPath` (`alsa:NAME`).
    public var captureDevice: ALSADeviceName?
    /// An ALSA device the peers' mix is played on (besides `received.wav`).
    public var playbackDevice: ALSADeviceName?
    /// How the ALSA devices are opened (extra asoundrc, pacing, periods).
    public var alsa = ALSAConfiguration()
    /// Echo cancellation, noise suppression, AGC on the captured audio (the played mix as
    /// the far end); `.device` suits a microphone, `.file` (all off) a file.
    public var processing = AudioProcessing.file

    public init(audioPath: String?, outputDirectory: String, duration: Double, opus: OpusConfiguration = OpusConfiguration(),
                suite: SRTPSuite = .default) {
        self.audioPath = audioPath
        self.outputDirectory = outputDirectory
        self.duration = duration
        self.opus = opus
        self.suite = suite
    }
}

/// What a direct call did: for `report.json` and the closing summary.
public struct DirectCallReport: Codable, Sendable {
    public var callSeconds: Double
    /// From the start of the media (paths up) to the first packet played, seconds (the
    /// earliest over the peers).
    public var firstAudioPlayedAfter: Double?
    /// Audio packets sent and received, over every peer.
    public var packetsSent: Int
    public var packetsReceived: Int
    public var audioFramesSent: Int
    public var videoFramesSent: Int
    public var videoKeyframesSent: Int
    /// Each peer's link: selected pair, candidates, stats.
    public var peers: [DirectCallLinkReport]
    public var receivedPath: String
    /// The received video (one tile per peer), when a peer sent video.
    public var receivedVideoPath: String?
    public var receivedVideoFrames: Int
    public var statsPath: String?
    /// What went wrong with a device during the call (the call went on).
    public var notices: [String]
    public var stopReason: String
}

/// One side of a call over ICE in real time, with one peer (1:1) or several (a mesh group
/// call across processes): Opus audio, and VP8 video when given, through the same pipeline
/// as every other call. The microphone is encoded once and sent to every peer
/// (`AudioSendStream` with one output per peer → `SecureRTPSender` → `ICETransport`);
/// each peer's streams arrive through its own `SecureRTPReceiver`, adaptive jitter buffer
/// and decoders; the peers' audio is mixed (`AudioMixer`, never our own voice) into
/// `received.wav`, their video composed into a grid (`GridCompositor`) in `received.y4m`.
/// RTCP runs per peer, keyed per SSRC from the call's (or group's pairwise) keys.
///
/// The media thread is the caller's: `run` paces itself on the transports' clock, the one
/// that stamps arrivals (every peer's transport must share it).
public final class DirectCall {
    public let options: DirectCallOptions
    private var links: [DirectCallLink] = []
    private let clock: @Sendable () -> Double
    private let sendAudio: AudioSendStream
    private let sendVideo: VideoSendStream?
    private let videoSource: VideoFileSource?
    private var picture: VideoFrame
    private let source: AudioFileSource?
    private let writer: WAVWriter
    private let mixer: AudioMixer
    private var compositor: GridCompositor?
    private var grid: VideoFrame
    private var gridWriter: Y4MWriter?
    private var gridFrames = 0
    /// Headless control (`--control`), set for a run.
    private var control: CallControl?
    private var base = 0.0
    private let speakers: ActiveSpeakerDetector
    private var qualityBands: [String?] = []
    private let capture: ALSACapture?
    private let playback: ALSAPlayback?
    private let processor: CaptureProcessor?
    /// The last frame played (the echo canceller's far end) and the processed capture.
    private var farEnd: [Float]
    private var processed: [Float]
    private var notices: [String] = []
    private let frameSize: Int
    private let localAudioSSRC: UInt32
    private let localVideoSSRC: UInt32?

    /// - Parameters:
    ///   - peers: the peers, each with a connected ICE transport (sharing one clock).
    ///   - localAudioSSRC, localVideoSSRC: this side's SSRCs, as its description gave them
    ///     (a video SSRC exactly when `options.videoPath` is set).
    public init(peers: [DirectCallPeer], localAudioSSRC: UInt32, localVideoSSRC: UInt32?, options: DirectCallOptions) throws {
        guard let first = peers.first else { throw EngineError.invalidOption("a call needs at least one peer") }
        guard peers.count < MeshConfiguration.maximumParticipants else {
            throw EngineError.invalidOption("a mesh call has at most \(MeshConfiguration.maximumParticipants) participants")
        }
        guard (localVideoSSRC != nil) == (options.videoPath != nil) else {
            throw EngineError.invalidOption("a call sends video exactly when it has a video SSRC and a video file")
        }
        self.options = options
        clock = first.transport.clock
        let opus = options.opus
        frameSize = opus.frameSize
        let format = AudioFormat(sampleRate: opus.sampleRate, channels: opus.channels)
        source = try options.audioPath.map { try AudioFileSource(path: $0, format: format, frameSize: opus.frameSize, acceptTruncated: true) }
        var alsa = options.alsa
        alsa.channels = opus.channels
        alsa.engineRate = opus.sampleRate
        capture = try options.captureDevice.map { try ALSACapture(device: $0, configuration: alsa) }
        playback = try options.playbackDevice.map { try ALSAPlayback(device: $0, configuration: alsa) }
        var processing = options.processing
        processing.sampleRate = opus.sampleRate
        processing.frameMilliseconds = opus.frameDurationMilliseconds
        processor = capture != nil && processing.isEnabled && opus.channels == 1 ? try CaptureProcessor(configuration: processing) : nil
        farEnd = [Float](repeating: 0, count: opus.frameSize * opus.channels)
        processed = [Float](repeating: 0, count: opus.frameSize * opus.channels)
        videoSource = try options.videoPath.map { try VideoFileSource(path: $0) }
        picture = VideoFrame(width: max(2, videoSource?.width ?? 2), height: max(2, videoSource?.height ?? 2))
        grid = VideoFrame(width: options.gridWidth, height: options.gridHeight)
        self.localAudioSSRC = localAudioSSRC
        self.localVideoSSRC = localVideoSSRC
        // Room for everyone a mesh can hold: peers may join the media later.
        mixer = try AudioMixer(participants: MeshConfiguration.maximumParticipants, frameSize: opus.sampleRate / 50, channels: opus.channels,
                               maximumMixed: MeshConfiguration(participants: 2).maximumMixed)
        speakers = try ActiveSpeakerDetector(participants: MeshConfiguration.maximumParticipants)
        let tiles = TileSink()
        let made = try DirectCallLink(peer: first, index: 0, localAudioSSRC: localAudioSSRC, localVideoSSRC: localVideoSSRC,
                                      options: options, videoSink: { picture, _ in tiles.call?.show(picture, tile: 0) })
        // Each link sends through its own sender: one encode, one output per peer.
        let identity = try MediaProfile.randomStreamIdentity()
        let audio = try AudioSendStream(configuration: opus, sender: made.sender, payloadType: MediaProfile.audioPayloadType,
                                        ssrc: localAudioSSRC, initialSequenceNumber: identity.sequenceNumber,
                                        initialTimestamp: identity.timestamp)
        sendAudio = audio
        made.audioOutput = 0
        if let videoSource, let localVideoSSRC {
            let encoder = VideoEncoderConfiguration(
                codec: .vp8, width: videoSource.width, height: videoSource.height,
                frameRateNumerator: videoSource.frameRateNumerator, frameRateDenominator: videoSource.frameRateDenominator,
                bitrateKbps: options.videoBitrateKbps)
            sendVideo = try VideoSendStream(configuration: encoder, sender: made.sender, payloadType: MediaProfile.vp8PayloadType,
                                            ssrc: localVideoSSRC, initialSequenceNumber: identity.sequenceNumber,
                                            initialTimestamp: identity.timestamp)
            made.videoOutput = 0
        } else {
            sendVideo = nil
        }
        try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        writer = try WAVWriter(path: (options.outputDirectory as NSString).appendingPathComponent("received.wav"), format: format)
        tiles.call = self
        try attach(made)
        for peer in peers.dropFirst() { try add(peer) }
    }

    /// Where a link's decoded pictures go before the call exists (the first link is made
    /// in `init`).
    private final class TileSink {
        weak var call: DirectCall?
    }

    private func show(_ picture: VideoFrame, tile: Int) {
        try? compositor?.submit(picture, tile: tile)
        links[tile].remoteVideoSize = (picture.width, picture.height)
    }

    /// Adds a peer whose path came up after the call started (a group call's links come up
    /// at different times): from the next frame on it gets our media and we play its.
    public func add(_ peer: DirectCallPeer) throws {
        guard links.count + 1 < MeshConfiguration.maximumParticipants else {
            throw EngineError.invalidOption("a mesh call has at most \(MeshConfiguration.maximumParticipants) participants")
        }
        let index = links.count
        let link = try DirectCallLink(peer: peer, index: index, localAudioSSRC: localAudioSSRC, localVideoSSRC: localVideoSSRC,
                                      options: options, videoSink: { [unowned self] picture, _ in self.show(picture, tile: index) })
        link.audioOutput = sendAudio.addOutput(sender: link.sender, initialSequenceNumber: try MediaProfile.randomStreamIdentity().sequenceNumber)
        if let sendVideo {
            link.videoOutput = sendVideo.addOutput(sender: link.sender, initialSequenceNumber: try MediaProfile.randomStreamIdentity().sequenceNumber)
            sendVideo.requestKeyframe()  // the newcomer's decoder starts on a keyframe
        }
        try attach(link)
    }

    private func attach(_ link: DirectCallLink) throws {
        link.joinedAt = clock()
        if let sendVideo, let localVideoSSRC {
            link.rtcp.keyframeRequested = { [unowned sendVideo] ssrc in if ssrc == localVideoSSRC { sendVideo.requestKeyframe() } }
        }
        links.append(link)
        let peer = link.peer
        if peer.remote.videoSSRC != nil {
            if compositor == nil {
                compositor = try GridCompositor(canvasWidth: options.gridWidth, canvasHeight: options.gridHeight, tileCount: 1)
                gridWriter = try Y4MWriter(path: (options.outputDirectory as NSString).appendingPathComponent("received.y4m"),
                                           width: options.gridWidth, height: options.gridHeight)
            }
        }
        try compositor?.configure(tileCount: max(1, links.count), arrangement: .grid)
        qualityBands.append(nil)
        if control != nil { postJoined(link) }
    }

    private func postJoined(_ link: DirectCallLink) {
        var event = CallControl.Event("joined", time: clock() - base, peer: link.peer.name)
        event.pair = link.transport.agent.selectedPair.map { "\($0)" }
        control?.post(event)
    }

    /// Runs the media for `options.duration` seconds, or until `stop()` returns true or
    /// every peer has gone (RTCP BYE, or silent for `silentTimeout`); a peer that goes ends
    /// only its own link. Ends with a BYE to each peer still there. `progress` gets a line
    /// per second; `stats` the stats summary every `options.statsInterval`.
    /// `joining`: polled every 50 ms for peers whose path came up since (a group call).
    /// `control`: commands taken between iterations (mute, hold, hangup, stats, …), events
    /// posted as they happen (joined, left, speaking, quality-changed, ended).
    public func run(stop: () -> Bool = { false }, joining: () -> [DirectCallPeer] = { [] }, control: CallControl? = nil,
                    progress: (DirectCallProgress) -> Void = { _ in }, stats: (String) -> Void = { _ in },
                    notice: @escaping (String) -> Void = { _ in }) throws -> DirectCallReport {
        noticeHandler = notice
        let base = clock()
        self.base = base
        self.control = control
        if control != nil { for link in links { postJoined(link) } }
        try capture?.start()
        try playback?.start()
        defer {
            capture?.stop()
            playback?.stop(drain: true)
        }
        var muted = false, held = false
        var captureLost = false, playbackLost = false
        var nextQuality = base + 1
        let audioStep = Double(frameSize) / Double(options.opus.sampleRate)
        let videoStep = videoSource.map { 1 / max(1, $0.frameRate) } ?? 1
        let statsEvery = options.statsInterval ?? (options.statsJSONPath != nil ? 1.0 : nil)
        let recorder = try statsEvery.map { _ in try StatsRecorder(url: options.statsJSONPath.map { URL(fileURLWithPath: $0) }) }
        var pcm = [Float](repeating: 0, count: frameSize * options.opus.channels)
        var nextFrame = base, nextVideo = base, nextPull = base + 0.04, nextGrid = base, nextLine = base + 1
        var nextStats = base + (statsEvery ?? .infinity)
        var reason = "the call's duration (\(options.duration) s) ended"
        var audioEnded = source == nil, videoEnded = videoSource == nil
        var videoFrames = 0
        var nextJoin = base
        while true {
            let now = clock()
            if now - base >= options.duration { break }
            if stop() { reason = "hung up"; break }
            if let control {
                var hangup = false
                for request in control.take() {
                    var answer = CallControl.Event("ok", id: request.id, time: now - base)
                    switch request.command {
                    case .mute: muted = true; answer.event = "muted"
                    case .unmute: muted = false; answer.event = "unmuted"
                    case .hold: held = true; answer.event = "held"
                    case .resume: held = false; answer.event = "resumed"
                    case .hangup: hangup = true; answer.event = "hanging-up"
                    case .stats:
                        answer.event = "stats"
                        answer.peers = peerStats(at: now - base)
                    case .add(let contact):
                        answer.event = "error"
                        answer.message = "cannot add \(contact): this call was not set up to take people in mid-call; start a group call with --with"
                    }
                    control.post(answer)
                }
                if hangup { reason = "hung up (control)"; break }
            }
            if now >= nextJoin {
                for peer in joining() {
                    do { try add(peer) } catch {
                        // One peer that cannot join (no keys for it, too many people) does
                        // not end the call for the others.
                        notify("\(peer.name) could not join the media (\(error))", event: "notice", now: now)
                    }
                }
                nextJoin = now + 0.05
            }
            for link in links where link.isOpen {
                if link.goodbye {
                    end(link, now: now, reason: "\(link.peer.name) hung up (RTCP BYE)")
                } else if now - (link.audio.lastArrival ?? link.joinedAt) > options.silentTimeout {
                    let t = options.silentTimeout
                    end(link, now: now, reason: "nothing arrived from \(link.peer.name) for \(t == t.rounded() ? "\(Int(t))" : "\(t)") s (it vanished)")
                }
            }
            if !links.contains(where: \.isOpen) {
                reason = links.count == 1 ? (links[0].endReason ?? "the peer left") : "every peer left the call"
                break
            }
            while nextFrame <= now {
                if let capture {
                    _ = pcm.withUnsafeMutableBufferPointer { capture.read(into: $0, padWithSilence: true) }
                    if capture.isLost, !captureLost {
                        captureLost = true
                        notify("the microphone \(options.captureDevice.map { "\($0)" } ?? "") was lost (\(capture.lostReason ?? "no reason given")); the call goes on without it", event: "device-lost", now: now)
                    }
                    if let processor {
                        // Nothing is played on a lost speaker: no echo to cancel.
                        if playbackLost { for i in 0..<farEnd.count { farEnd[i] = 0 } }
                        try pcm.withUnsafeBufferPointer { c in
                            try farEnd.withUnsafeBufferPointer { f in
                                try processed.withUnsafeMutableBufferPointer { try processor.process(capture: c, farEnd: f, into: $0) }
                            }
                        }
                        swap(&pcm, &processed)
                    }
                } else if !audioEnded, let source {
                    let n = try source.readFrame(into: &pcm)
                    if n == 0 { audioEnded = true }
                    if n < frameSize { for i in (n * options.opus.channels)..<pcm.count { pcm[i] = 0 } }
                } else {
                    for i in 0..<pcm.count { pcm[i] = 0 }
                }
                if muted || held { for i in 0..<pcm.count { pcm[i] = 0 } }
                try sendAudio.send(pcm, now: nextFrame)
                nextFrame += audioStep
            }
            if !videoEnded, let videoSource, let sendVideo, nextVideo <= now {
                if try videoSource.read(into: &picture) {
                    if !held { try sendVideo.send(picture, index: videoFrames, now: now) }
                    videoFrames += 1
                } else {
                    videoEnded = true
                }
                nextVideo += videoStep
                if nextVideo < now - 1 { nextVideo = now }  // a stall: do not send a burst to catch up
            }
            for link in links { link.transport.drain(into: link.receiver) }
            while nextPull <= now {
                for link in links where link.isOpen {
                    let result = try mixer.withInputSlot(for: link.index + 1) { link.audio.pull(now: now, into: $0) }
                    if link.firstPlayed == nil, result?.decodedTimestamp != nil { link.firstPlayed = now - base }
                }
                mixer.mix(onlyFor: 0)
                if held {
                    for i in 0..<farEnd.count { farEnd[i] = 0 }  // on hold: nothing of the others is played
                } else {
                    mixer.withOutput(for: 0) { out in
                        farEnd.withUnsafeMutableBufferPointer { f in
                            for i in 0..<min(f.count, out.count) { f[i] = out[i] }
                        }
                    }
                }
                try writer.write(farEnd)
                if let playback {
                    _ = farEnd.withUnsafeBufferPointer { playback.write($0) }
                    if playback.isLost, !playbackLost {
                        playbackLost = true
                        notify("the speaker \(options.playbackDevice.map { "\($0)" } ?? "") was lost (\(playback.lostReason ?? "no reason given")); the call goes on without it", event: "device-lost", now: now)
                    }
                }
                try followSpeaker(now: now)
                nextPull += 0.020
            }
            for link in links where link.isOpen {
                link.rtcp.tick(now: now)
                if let video = link.video {
                    video.roundTripTime = link.rtcp.statistics.roundTripTime
                    video.tick(now: now)
                }
            }
            if let gridWriter, nextGrid <= now {
                // A fixed-rate record of what was on screen: when this thread fell behind
                // (a busy machine), the same picture is written again to keep the time.
                try compositor?.compose(into: &grid)
                while nextGrid <= now {
                    try gridWriter.write(grid)
                    gridFrames += 1
                    nextGrid += 1.0 / 30
                }
            }
            if control != nil, now >= nextQuality {
                postQualityChanges(at: now - base)
                nextQuality += 1
            }
            if now >= nextLine {
                progress(snapshot(at: now - base, muted: muted, held: held))
                nextLine += 1
            }
            if let recorder, now >= nextStats {
                let line = try recorder.record(sample(at: now - base))
                if options.statsInterval != nil { stats(line) }
                nextStats += statsEvery ?? 1
            }
            var wait = min(nextFrame, nextPull) - clock()
            if !videoEnded { wait = min(wait, nextVideo - clock()) }
            if wait > 0 { usleep(UInt32(min(wait, 0.005) * 1e6)) }
        }
        let end = clock()
        for link in links where link.isOpen { link.rtcp.sendReport(now: end, bye: "hangup") }
        control?.post(CallControl.Event("ended", time: end - base, reason: reason))
        try writer.close()
        try gridWriter?.close()
        if let recorder {
            _ = try recorder.record(sample(at: end - base))
            try recorder.close()
        }
        let reports = links.map { link in
            link.report(base: base, audioPacketsSent: sendAudio.statistics(output: link.audioOutput).packetsSent)
        }
        return DirectCallReport(
            callSeconds: end - base, firstAudioPlayedAfter: reports.compactMap(\.firstAudioPlayedAfter).min(),
            packetsSent: reports.map(\.packetsSent).reduce(0, +), packetsReceived: reports.map(\.packetsReceived).reduce(0, +),
            audioFramesSent: sendAudio.framesEncoded, videoFramesSent: videoFrames,
            videoKeyframesSent: sendVideo?.keyFramesEncoded ?? 0, peers: reports, receivedPath: writer.path,
            receivedVideoPath: gridWriter?.path, receivedVideoFrames: gridFrames, statsPath: options.statsJSONPath,
            notices: notices, stopReason: reason)
    }

    /// Something the user should know, once: printed, posted as the control event `event`
    /// (device-lost, notice), and kept in the report.
    private func notify(_ text: String, event: String, now: Double) {
        notices.append(text)
        noticeHandler(text)
        control?.post(CallControl.Event(event, time: now - base, reason: text))
    }

    private var noticeHandler: (String) -> Void = { _ in }

    /// A peer's link ends (it left or vanished): nothing more is sent to it; the call goes
    /// on with the others.
    private func end(_ link: DirectCallLink, now: Double, reason: String) {
        link.end(at: now, reason: reason)
        control?.post(CallControl.Event("left", time: now - base, peer: link.peer.name, reason: reason))
        sendAudio.removeOutput(link.audioOutput)
        if let output = link.videoOutput { sendVideo?.removeOutput(output) }
        try? compositor?.clearTile(link.index)
    }

    /// The active speaker among the peers (their levels as the mixer measured them).
    private func followSpeaker(now: Double) throws {
        for link in links { try speakers.setLevel(link.isOpen ? mixer.audioLevel(for: link.index + 1) : 127, for: link.index + 1) }
        if let event = speakers.advance(), event.participant >= 1, event.participant <= links.count {
            control?.post(CallControl.Event("speaking", time: now - base, peer: links[event.participant - 1].peer.name))
        }
    }

    private func quality(of link: DirectCallLink, at time: Double) -> CallQuality? {
        link.audio.callQuality(
            oneWayDelayMilliseconds: (link.rtcp.statistics.roundTripTime ?? 0) * 500 + Double(options.opus.frameDurationMilliseconds) + 6.5,
            bitrate: time > 0 ? Double(link.audio.bytesReceived * 8) / time : 32_000)
    }

    /// A `quality-changed` event for each peer whose quality band (good, fair, poor) changed.
    private func postQualityChanges(at time: Double) {
        for link in links where link.isOpen {
            guard let quality = quality(of: link, at: time) else { continue }
            let band = CallControl.band(mos: quality.mos)
            guard qualityBands[link.index] != band else { continue }
            qualityBands[link.index] = band
            var event = CallControl.Event("quality-changed", time: time, peer: link.peer.name)
            event.mos = quality.mos
            event.lossRatio = quality.lossRatio
            event.quality = band
            control?.post(event)
        }
    }

    private func peerStats(at time: Double) -> [CallControl.PeerStats] {
        links.map { link in
            CallControl.PeerStats(peer: link.peer.name, packetsReceived: link.audio.packetsReceived,
                                  packetsLost: link.audio.statistics.packetsLost, jitter: link.audio.statistics.jitter,
                                  roundTripTime: link.rtcp.statistics.roundTripTime, mos: quality(of: link, at: time)?.mos,
                                  framesDecoded: link.video?.framesDecoded, open: link.isOpen)
        }
    }

    private func snapshot(at seconds: Double, muted: Bool, held: Bool) -> DirectCallProgress {
        let speaker = speakers.activeSpeaker
        return DirectCallProgress(
            seconds: seconds, audioFramesSent: sendAudio.framesEncoded, videoFramesSent: sendVideo?.framesEncoded, muted: muted, held: held,
            peers: links.map { link in
                DirectCallProgress.Peer(
                    name: link.peer.name, open: link.isOpen, packetsReceived: link.audio.packetsReceived,
                    packetsLost: link.audio.statistics.packetsLost, jitter: link.audio.statistics.jitter,
                    roundTripTime: link.rtcp.statistics.roundTripTime, mos: quality(of: link, at: seconds)?.mos,
                    bytesReceived: link.audio.bytesReceived + (link.video?.bytesReceived ?? 0), bytesSent: link.transport.bytesSent,
                    framesDecoded: link.video?.framesDecoded, speaking: link.isOpen && speaker == link.index + 1)
            })
    }

    /// One stats sample: each peer's cumulative webrtc-stats, the round trips, and the
    /// E-model's R and MOS for the first peer still in the call.
    private func sample(at time: Double) -> StatsSample {
        var remote: [RemoteInboundStats] = []
        for link in links {
            guard let rtt = link.rtcp.statistics.roundTripTime, let ssrc = link.audio.ssrc else { continue }
            var stats = RemoteInboundStats(kind: "audio", ssrc: ssrc)
            stats.roundTripTime = rtt
            remote.append(stats)
        }
        let quality = links.first(where: { $0.isOpen }).flatMap { self.quality(of: $0, at: time) }
        return StatsSample(timestamp: time, inboundAudio: links.compactMap { $0.audio.inboundStats() },
                           inboundVideo: links.compactMap { link in
                               link.video?.inboundStats(width: link.remoteVideoSize.width, height: link.remoteVideoSize.height)
                           },
                           remoteInbound: remote, quality: quality)
    }
}
