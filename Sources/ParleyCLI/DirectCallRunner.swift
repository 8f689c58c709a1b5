import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyMedia
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// The media options shared by `call` and `listen`.
struct DirectMediaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WAV file to send (silence when absent or after its end), or an ALSA capture device alsa:NAME (e.g. alsa:default, alsa:hw:1,0).",
                               valueName: "FILE|alsa:NAME"))
    var audio: String?

    @Option(help: ArgumentHelp("Also play what you hear on this ALSA device, e.g. alsa:default.", valueName: "alsa:NAME"))
    var play: String?

    @Option(name: .customLong("alsa-config"), help: ArgumentHelp(
        "An extra asoundrc loaded on top of the system's ALSA configuration for these devices.", valueName: "FILE"))
    var alsaConfig: String?

    @Option(name: .customLong("alsa-clock"), help: ArgumentHelp(
        "What paces the ALSA devices: device (a sound card; the default) or system (plugins that never block, such as ALSA's file and null).",
        valueName: "device|system"))
    var alsaClock: String = "device"

    @Option(name: .customLong("audio-processing"), help: ArgumentHelp(
        "Echo cancellation, noise suppression and AGC on the captured audio: auto (on for an ALSA microphone, off for a file), on, off.",
        valueName: "auto|on|off"))
    var audioProcessing: String = "auto"

    @Option(help: ArgumentHelp("Video to send as VP8 (Y4M, or IVF VP8/VP9); none when absent.", valueName: "FILE"))
    var video: String?

    @Option(help: ArgumentHelp("Directory for received.wav, received.y4m and report.json.", valueName: "DIR"))
    var out: String = "out/call"

    @Option(help: ArgumentHelp("Seconds of media once connected.", valueName: "SECONDS"))
    var duration: Double = 10

    @Option(help: ArgumentHelp("End a peer's link when nothing arrives from it for this long (it vanished); a 1:1 call ends. Until then, ICE is restarted after 1.5 s of silence.",
                               valueName: "SECONDS"))
    var silentTimeout: Double = 5

    @OptionGroup var stats: StatsOptions

    func directOptions() throws -> DirectCallOptions {
        guard duration > 0, duration.isFinite else { throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds") }
        let captureDevice = try audio.flatMap { audio -> ALSADeviceName? in
            guard ALSADeviceName.isALSA(audio) else { return nil }
            do { return try ALSADeviceName(parsing: audio) } catch {
                throw CLIError.invalidValue(option: "--audio", value: audio, expected: "\(error)")
            }
        }
        let playbackDevice = try play.map { play -> ALSADeviceName in
            do { return try ALSADeviceName(parsing: play) } catch {
                throw CLIError.invalidValue(option: "--play", value: play, expected: "\(error)")
            }
        }
        if let alsaConfig, !FileManager.default.fileExists(atPath: alsaConfig) {
            throw CLIError.invalidValue(option: "--alsa-config", value: alsaConfig, expected: "the file does not exist")
        }
        guard ["device", "system"].contains(alsaClock) else {
            throw CLIError.invalidValue(option: "--alsa-clock", value: alsaClock, expected: "device or system")
        }
        guard ["auto", "on", "off"].contains(audioProcessing) else {
            throw CLIError.invalidValue(option: "--audio-processing", value: audioProcessing, expected: "auto, on or off")
        }
        if let audio, captureDevice == nil, !FileManager.default.fileExists(atPath: audio) {
            throw CLIError.invalidValue(option: "--audio", value: audio, expected: "the file does not exist")
        }
        if let video {
            guard FileManager.default.fileExists(atPath: video) else {
                throw CLIError.invalidValue(option: "--video", value: video, expected: "the file does not exist")
            }
            // Opened now, so that a bad file is named before anyone is called.
            do { _ = try VideoFileSource(path: video) } catch {
                throw CLIError.invalidValue(option: "--video", value: video, expected: "a Y4M or IVF (VP8/VP9) file: \(error)")
            }
        }
        guard silentTimeout > 0, silentTimeout.isFinite else {
            throw CLIError.invalidValue(option: "--silent-timeout", value: "\(silentTimeout)", expected: "give a positive number of seconds")
        }
        var options = DirectCallOptions(audioPath: captureDevice == nil ? audio : nil, outputDirectory: out, duration: duration)
        options.captureDevice = captureDevice
        options.playbackDevice = playbackDevice
        options.alsa.configFile = alsaConfig
        if alsaClock == "system" { options.alsa.pacing = .monotonic(rateScale: 1) }
        options.processing = audioProcessing == "on" || (audioProcessing == "auto" && captureDevice != nil) ? .device : .file
        // The devices are opened once now, so that a missing or busy one is named before
        // anyone is called (the call opens them again when its media starts).
        do {
            if let captureDevice { _ = try ALSACapture(device: captureDevice, configuration: options.alsa) }
            if let playbackDevice { _ = try ALSAPlayback(device: playbackDevice, configuration: options.alsa) }
        } catch {
            throw CLIError.failed("\(error)")
        }
        options.videoPath = video
        options.silentTimeout = silentTimeout
        options.statsInterval = try stats.interval()
        options.statsJSONPath = stats.statsJSON
        return options
    }
}

/// This side's media identity in a call: its SSRCs (a video SSRC when it sends video).
struct LocalMedia {
    let audioSSRC: UInt32
    let videoSSRC: UInt32?

    init(sendsVideo: Bool) throws {
        audioSSRC = try MediaProfile.randomStreamIdentity().ssrc
        var video: UInt32?
        while sendsVideo && (video == nil || video == audioSSRC) { video = try MediaProfile.randomStreamIdentity().ssrc }
        videoSSRC = video
    }

    /// The description with the ICE credentials of `ice` (1:1), or without (a group member's).
    func description(ice: CallICE?) -> DirectCallDescription {
        let credentials = ice?.transport.agent.localCredentials
        return DirectCallDescription(ufrag: credentials?.ufrag ?? "", password: credentials?.password ?? "",
                                     audioSSRC: audioSSRC, videoSSRC: videoSSRC)
    }
}

/// Runs the media of an established call and writes its report.
enum DirectCallRunner {
    /// A 1:1 call.
    static func run(call: EstablishedCall, ice: CallICE, local: LocalMedia, peer: String, signaling: CallSignaling,
                    options: DirectCallOptions, startedAt: Date, control: CallControl? = nil) throws {
        let remote = try DirectCallDescription(parsing: call.remoteDescription)
        print("Connected after \(String(format: "%.0f", Date().timeIntervalSince(startedAt) * 1000)) ms: "
              + (ice.transport.agent.selectedPair.map { "\($0)" } ?? "path selected"))
        print("Compare these words with your contact: \(call.shortAuthenticationString.words.joined(separator: " "))")
        defer { call.schedule.wipe() }
        // From now on the signaling runs on its own thread: it restarts ICE if the path dies.
        let caller = call.schedule.role == .caller
        let ours = [UInt8](repeating: caller ? 0 : 1, count: 16), theirs = [UInt8](repeating: caller ? 1 : 0, count: 16)
        let network = GroupCallNetwork(selfID: ours, isHost: false, routes: [theirs: signaling], startedAt: startedAt,
                                       makeICE: { _ in throw CLIError.failed("a 1:1 call has its one link") }, log: { print($0) })
        network.giveUpAfterSilence = options.silentTimeout
        network.adopt(id: theirs, name: peer, description: remote, ice: ice)
        network.start()
        defer { network.stop() }
        let link = DirectCallPeer.oneToOne(name: peer, transport: ice.transport, remote: remote, schedule: call.schedule, suite: options.suite)
        try media(peers: [link], local: local, options: options, startedAt: startedAt, control: control,
                  sas: call.shortAuthenticationString.words.joined(separator: " "))
        network.stop()  // its thread seals on the same channel: stopped before this thread seals
        try? signaling.send(SignalingMessage(kind: .hangup))
    }

    /// Runs the media with `peers` (connected) and writes and prints the report.
    /// `joining`: peers whose path came up since (a group call), polled during the call.
    static func media(peers: [DirectCallPeer], local: LocalMedia, options: DirectCallOptions, startedAt: Date,
                      control: CallControl? = nil, sas: String? = nil, joining: @escaping () -> [DirectCallPeer] = { [] }) throws {
        let media = try DirectCall(peers: peers, localAudioSSRC: local.audioSSRC, localVideoSSRC: local.videoSSRC, options: options)
        let panel = CallPanel(sas: sas)
        let report = try media.run(joining: joining, control: control, progress: { panel.show($0) },
                                   stats: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
                                   notice: { print("Note: \($0).") })
        if let first = report.firstAudioPlayedAfter {
            print("First audio played \(String(format: "%.0f", (first + Date().timeIntervalSince(startedAt) - report.callSeconds) * 1000)) ms after the start.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = (options.outputDirectory as NSString).appendingPathComponent("report.json")
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("Call ended: \(report.stopReason).")
        for link in report.peers {
            var line = "  \(link.name): sent \(link.packetsSent) audio packets, received \(link.packetsReceived); "
                + "\(link.audio?.packetsLost ?? 0) lost, \(link.audio?.concealedSamples ?? 0) samples concealed"
            if let video = link.video { line += "; \(video.framesDecoded) video frames decoded, \(video.freezeCount) freezes" }
            if let reason = link.endReason { line += " (left: \(reason))" }
            print(line + ".")
        }
        print("  \(report.receivedPath)")
        if let video = report.receivedVideoPath { print("  \(video) (\(report.receivedVideoFrames) frames)") }
        if let stats = report.statsPath { print("  \(stats)") }
        print("  \(path)")
    }

    /// Keeps signaling (candidates both ways) until ICE connects; throws after `timeout`.
    static func waitForPath(_ ice: CallICE, _ signaling: CallSignaling, timeout: Double, peer: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ice.transport.agent.state.isConnected {
            let incoming = try signaling.receive().compactMap { try? signaling.channel.open($0) }
            if try ice.exchange(signaling, incoming: incoming) { throw CLIError.failed("\(peer) hung up before the call connected") }
            if ice.transport.agent.state == .failed {
                throw CLIError.failed("no network path to \(peer) works (ICE failed); check that both sides can reach each other or set a TURN server")
            }
            if Date() > deadline {
                throw CLIError.failed("no network path to \(peer) within \(Int(timeout)) s (ICE state \(ice.transport.agent.state.rawValue)); is \(peer) online and running `parley listen`?")
            }
            usleep(20_000)
        }
        // The last candidates (and end-of-candidates) still go out.
        _ = try ice.exchange(signaling, incoming: [])
    }
}
