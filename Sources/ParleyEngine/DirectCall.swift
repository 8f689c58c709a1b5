import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyNetwork
import ParleyPlayout
import ParleyRTP
import ParleySecurity

/// What a call between two `parley` processes plays and records.
public struct DirectCallOptions: Sendable {
    /// WAV to send (resampled to 48 kHz mono); nil or after its end: silence.
    public var audioPath: String?
    /// Where `received.wav` and `report.json` go.
    public var outputDirectory: String
    /// Seconds of media after the path is up.
    public var duration: Double
    public var opus: OpusConfiguration
    public var suite: SRTPSuite
    /// Seconds without a packet from the peer after which the call ends (the peer vanished).
    public var silentTimeout: Double = 5

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
    /// From the start of the media (path up) to the first packet played, seconds.
    public var firstAudioPlayedAfter: Double?
    public var selectedPair: ICESelectedPair?
    /// This side's candidates, as gathered.
    public var localCandidates: [ICECandidate]
    public var packetsSent: Int
    public var packetsReceived: Int
    public var audio: InboundAudioStats?
    public var receiver: SecureRTPReceiver.Counters
    public var sendFailures: Int
    public var ringDrops: Int
    public var roundTripTime: Double?
    public var receivedPath: String
    public var stopReason: String
}

/// One side of a 1:1 call over ICE in real time: Opus audio both ways through the same
/// pipeline as every other call (`AudioSendStream` → `SecureRTPSender` → transport →
/// `SecureRTPReceiver` → `AudioReceiveStream` with the adaptive jitter buffer), RTCP
/// multiplexed, keyed per SSRC from the call's key schedule. The media thread is the
/// caller's: `run` paces itself on the transport's clock, the one that stamps arrivals, so
/// that the jitter buffer compares arrival and playout times on one clock.
public final class DirectCall {
    public let options: DirectCallOptions
    public let transport: ICETransport
    private let sender: SecureRTPSender
    private let receiver: SecureRTPReceiver
    private let send: AudioSendStream
    private let receive: AudioReceiveStream
    private let rtcp: RTCPSession
    private let source: AudioFileSource?
    private let writer: WAVWriter
    private let frameSize: Int
    private var goodbye = false

    /// - Parameters:
    ///   - localSSRC, remoteSSRC: this side's audio SSRC and the peer's (from the session
    ///     descriptions); each direction is keyed for its SSRC.
    public init(schedule: CallKeySchedule, localSSRC: UInt32, remoteSSRC: UInt32, transport: ICETransport,
                options: DirectCallOptions) throws {
        self.options = options
        self.transport = transport
        let suite = options.suite
        let outbound = try SRTPSession(suite: suite, masterKey: try schedule.outboundKeyingMaterial(suite: suite, ssrc: localSSRC),
                                       direction: .outbound, ssrc: .specific(localSSRC), allowRepeatTransmission: true)
        let inbound = try SRTPSession(suite: suite, masterKey: try schedule.inboundKeyingMaterial(suite: suite, ssrc: remoteSSRC),
                                      direction: .inbound, ssrc: .specific(remoteSSRC))
        sender = SecureRTPSender(srtp: outbound, transport: transport, extensions: MediaProfile.extensions)
        receiver = SecureRTPReceiver(srtp: inbound)
        let opus = options.opus
        frameSize = opus.frameSize
        let identity = try MediaProfile.randomStreamIdentity()
        send = try AudioSendStream(configuration: opus, sender: sender, payloadType: MediaProfile.audioPayloadType, ssrc: localSSRC,
                                   initialSequenceNumber: identity.sequenceNumber, initialTimestamp: identity.timestamp)
        var jitter = JitterBufferConfiguration()
        jitter.outputFrameMilliseconds = 20
        receive = try AudioReceiveStream(
            sampleRate: opus.sampleRate, channels: opus.channels, frameDurationMilliseconds: opus.frameDurationMilliseconds,
            receiver: receiver, payloadType: MediaProfile.audioPayloadType,
            playout: .adaptive(jitter, senderUsesFEC: opus.inbandFEC), sink: { _ in })
        rtcp = RTCPSession(sender: sender, receiver: receiver, cname: "parley-\(String(localSSRC, radix: 16))",
                           localSSRC: localSSRC, sessionBandwidth: Double(opus.bitrate))
        rtcp.addReceiveStream(receive)
        rtcp.addSendStream(ssrc: localSSRC, clockRate: OpusPayload.clockRate)
        let format = AudioFormat(sampleRate: opus.sampleRate, channels: opus.channels)
        source = try options.audioPath.map { try AudioFileSource(path: $0, format: format, frameSize: opus.frameSize, acceptTruncated: true) }
        try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        writer = try WAVWriter(path: (options.outputDirectory as NSString).appendingPathComponent("received.wav"), format: format)
        rtcp.goodbye = { [unowned self] _, _ in self.goodbye = true }
    }

    /// Runs the media for `options.duration` seconds, or until `stop()` returns true or the
    /// peer says goodbye (RTCP BYE); ends with a BYE. `progress` gets a line per second.
    public func run(stop: () -> Bool = { false }, progress: (String) -> Void = { _ in }) throws -> DirectCallReport {
        let base = transport.clock()
        var clock: Double { transport.clock() }
        var pcm = [Float](repeating: 0, count: frameSize * options.opus.channels)
        var played = [Float](repeating: 0, count: frameSize * options.opus.channels)
        var nextFrame = base, nextPull = base + 0.04, nextLine = base + 1
        var firstPlayed: Double?
        var reason = "the call's duration (\(options.duration) s) ended"
        var sourceEnded = source == nil
        while true {
            let now = clock
            if now - base >= options.duration { break }
            if stop() { reason = "hung up"; break }
            if goodbye { reason = "the peer hung up (RTCP BYE)"; break }
            if now - (receive.lastArrival ?? base) > options.silentTimeout {
                reason = String(format: "nothing arrived from the peer for %.0f s (it vanished)", options.silentTimeout)
                break
            }
            while nextFrame <= now {
                if !sourceEnded, let source {
                    let n = try source.readFrame(into: &pcm)
                    if n == 0 { sourceEnded = true }
                    if n < frameSize { for i in (n * options.opus.channels)..<pcm.count { pcm[i] = 0 } }
                } else {
                    for i in 0..<pcm.count { pcm[i] = 0 }
                }
                try send.send(pcm, now: nextFrame)
                nextFrame += Double(frameSize) / Double(options.opus.sampleRate)
            }
            transport.drain(into: receiver)
            while nextPull <= now {
                let result = played.withUnsafeMutableBufferPointer { receive.pull(now: now, into: $0) }
                if firstPlayed == nil, result?.decodedTimestamp != nil { firstPlayed = now - base }
                try writer.write(played)
                nextPull += 0.020
            }
            rtcp.tick(now: now)
            if now >= nextLine {
                progress(String(format: "%5.1f s  sent %d  received %d  lost %d  jitter %.1f ms  RTT %@", now - base, send.statistics.packetsSent,
                                receive.packetsReceived, receive.statistics.packetsLost,
                                receive.statistics.jitter * 1000,
                                rtcp.statistics.roundTripTime.map { String(format: "%.1f ms", $0 * 1000) } ?? "-"))
                nextLine += 1
            }
            let wait = min(nextFrame, nextPull) - clock
            if wait > 0 { usleep(UInt32(min(wait, 0.005) * 1e6)) }
        }
        rtcp.sendReport(now: clock, bye: "hangup")
        try writer.close()
        let seconds = clock - base
        return DirectCallReport(
            callSeconds: seconds, firstAudioPlayedAfter: firstPlayed, selectedPair: transport.agent.selectedPair,
            localCandidates: transport.agent.localCandidates(),
            packetsSent: send.statistics.packetsSent, packetsReceived: receive.packetsReceived,
            audio: receive.inboundStats(), receiver: receiver.counters, sendFailures: transport.failures,
            ringDrops: transport.ring.droppedFull + transport.ring.droppedOversized,
            roundTripTime: rtcp.statistics.roundTripTime, receivedPath: writer.path, stopReason: reason)
    }
}

/// The session description a direct call's offer and answer carry (sealed): ICE
/// credentials (candidates follow one by one, trickled) and the audio SSRC, as SDP
/// (RFC 8866 / 8839): `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options:trickle`, one
/// `m=audio` section with `a=rtcp-mux`, Opus and `a=ssrc`.
public struct DirectCallDescription: Equatable, Sendable {
    public var ufrag: String
    public var password: String
    public var audioSSRC: UInt32

    public init(ufrag: String, password: String, audioSSRC: UInt32) {
        self.ufrag = ufrag
        self.password = password
        self.audioSSRC = audioSSRC
    }

    public var sdp: String {
        """
        v=0\r
        o=- 0 0 IN IP4 0.0.0.0\r
        s=parley\r
        t=0 0\r
        a=ice-options:trickle\r
        m=audio 9 UDP/TLS/RTP/SAVPF \(MediaProfile.audioPayloadType)\r
        c=IN IP4 0.0.0.0\r
        a=ice-ufrag:\(ufrag)\r
        a=ice-pwd:\(password)\r
        a=rtcp-mux\r
        a=rtpmap:\(MediaProfile.audioPayloadType) opus/48000/2\r
        a=ssrc:\(audioSSRC) cname:parley\r

        """
    }

    /// Reads what `sdp` writes. Throws `EngineError.invalidOption` naming what is missing.
    public init(parsing sdp: String) throws {
        var ufrag: String?, password: String?, ssrc: UInt32?
        for raw in sdp.split(whereSeparator: { $0.isNewline }) {
            let line = String(raw)
            if line.hasPrefix("a=ice-ufrag:") { ufrag = String(line.dropFirst("a=ice-ufrag:".count)) }
            if line.hasPrefix("a=ice-pwd:") { password = String(line.dropFirst("a=ice-pwd:".count)) }
            if line.hasPrefix("a=ssrc:"), ssrc == nil {
                ssrc = UInt32(line.dropFirst("a=ssrc:".count).prefix { $0.isNumber })
            }
        }
        guard let ufrag, !ufrag.isEmpty, let password, !password.isEmpty else {
            throw EngineError.invalidOption("the peer's session description has no ICE credentials (a=ice-ufrag, a=ice-pwd)")
        }
        guard let ssrc else { throw EngineError.invalidOption("the peer's session description has no audio SSRC (a=ssrc)") }
        self.init(ufrag: ufrag, password: password, audioSSRC: ssrc)
    }
}
