import ArgumentParser
import Foundation
import ParleyCodecs
import ParleyConference
import ParleyContacts
import ParleyCore
import ParleyEngine
import ParleySecurity

/// `P:SECONDS`: a participant and a media time.
struct ParticipantTime: ExpressibleByArgument, Sendable {
    let participant: Int
    let seconds: Double

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let p = Int(parts[0]), p >= 0 else { return nil }
        let text = parts[1].hasSuffix("s") ? String(parts[1].dropLast()) : String(parts[1])
        guard let s = Double(text), s.isFinite, s >= 0 else { return nil }
        participant = p
        seconds = s
    }
}

/// The group-call options of `parley loopback`.
struct MeshOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Run a mesh group call of N people (2 to 8) instead of a 1:1 call; more than 2 needs a license.", valueName: "N"))
    var participants: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Participant P (1 to N-1) joins at SECONDS of the call (repeatable).", valueName: "P:SECONDS"))
    var joinAt: [ParticipantTime] = []

    @Option(name: .long, help: ArgumentHelp(
        "Participant P leaves at SECONDS, saying goodbye (RTCP BYE) (repeatable).", valueName: "P:SECONDS"))
    var leaveAt: [ParticipantTime] = []

    @Option(name: .long, help: ArgumentHelp(
        "Participant P vanishes at SECONDS without a goodbye; the others time it out (repeatable).", valueName: "P:SECONDS"))
    var vanishAt: [ParticipantTime] = []

    @Option(name: .long, help: ArgumentHelp("Each grid: grid (equal tiles) or speaker (the active speaker large).", valueName: "LAYOUT"))
    var layout: String = "grid"

    @Option(name: .long, help: ArgumentHelp("Mix only the K loudest talkers (default 3).", valueName: "K"))
    var mixLoudest: Int = 3

    @Option(name: .long, help: ArgumentHelp("Size of each participant's video grid (default 640x360).", valueName: "WxH"))
    var gridSize: String = "640x360"

    @Option(name: .long, help: ArgumentHelp("A peer silent for this many seconds is taken as gone (default 3).", valueName: "SECONDS"))
    var silentTimeout: Double = 3

    /// The group options make no sense without --participants.
    func refuseWithoutParticipants() throws {
        let used = [(!joinAt.isEmpty, "--join-at"), (!leaveAt.isEmpty, "--leave-at"), (!vanishAt.isEmpty, "--vanish-at")]
        if let flag = used.first(where: { $0.0 })?.1 {
            throw CLIError.invalidValue(option: flag, value: "", expected: "it is for group calls: add --participants N")
        }
    }
}

extension LoopbackCommand {
    func runMesh() throws {
        guard let n = mesh.participants else { return }
        guard (2...MeshConfiguration.maximumParticipants).contains(n) else {
            throw CLIError.invalidValue(
                option: "--participants", value: "\(n)",
                expected: "a mesh call has 2 to \(MeshConfiguration.maximumParticipants) people: each one uploads a copy of its media to every other")
        }
        // The paid tier, checked before anything else is opened.
        try CallPolicy.checkGroupLicense(directory: try ProfileStore().directory, participants: n)
        guard let layout = GridArrangementChoice(rawValue: mesh.layout) else {
            throw CLIError.invalidValue(option: "--layout", value: mesh.layout, expected: "use grid or speaker")
        }
        guard (1...8).contains(mesh.mixLoudest) else {
            throw CLIError.invalidValue(option: "--mix-loudest", value: "\(mesh.mixLoudest)", expected: "use 1 to 8")
        }
        let size = mesh.gridSize.split(separator: "x").compactMap { Int($0) }
        guard size.count == 2, (64...3840).contains(size[0]), (64...2160).contains(size[1]), size[0] % 2 == 0, size[1] % 2 == 0 else {
            throw CLIError.invalidValue(option: "--grid-size", value: mesh.gridSize, expected: "even WIDTHxHEIGHT from 64x64 to 3840x2160, e.g. 640x360")
        }
        guard mesh.silentTimeout > 0.1, mesh.silentTimeout.isFinite else {
            throw CLIError.invalidValue(option: "--silent-timeout", value: "\(mesh.silentTimeout)", expected: "more than 0.1 seconds")
        }
        guard let codec = VideoCodecKind(name: videoCodec) else {
            throw CLIError.invalidValue(option: "--video-codec", value: videoCodec, expected: "use vp8 or vp9")
        }
        guard let srtpSuite = SRTPSuite(cliName: suite) else {
            throw CLIError.invalidValue(option: "--suite", value: suite, expected: "use aes-gcm or aes-cm-hmac-sha1-80")
        }
        guard let app = OpusApplication(rawValue: application) else {
            throw CLIError.invalidValue(option: "--application", value: application, expected: "use voip, audio or lowdelay")
        }
        if let duration, !(duration > 0) {
            throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds")
        }
        if capture.pcap != nil {
            throw CLIError.invalidValue(option: "--pcap", value: capture.pcap ?? "", expected: "a group loopback has N×(N-1) links; --pcap is for 1:1 loopbacks")
        }
        var audioPaths = audio.map(Self.list) ?? []
        var videoPaths = video.map(Self.list) ?? []
        if audio == nil && video == nil {
            let fixtures = try BundledFixtures.directory()
            audioPaths = [(fixtures as NSString).appendingPathComponent(BundledFixtures.speech)]
            videoPaths = [(fixtures as NSString).appendingPathComponent(BundledFixtures.video)]
        }
        for path in audioPaths + videoPaths where !FileManager.default.fileExists(atPath: path) {
            throw CLIError.invalidValue(option: audioPaths.contains(path) ? "--audio" : "--video", value: path,
                                        expected: "the file does not exist; give one file for everyone or one per participant, separated by commas")
        }
        let opus = OpusConfiguration(
            sampleRate: sampleRate, channels: channels, frameDurationMilliseconds: frameMs,
            bitrate: audioBitrate.bitsPerSecond, complexity: complexity, variableBitrate: !cbr,
            application: app, inbandFEC: fec, expectedPacketLossPercent: expectedLoss, dtx: false)
        try opus.validate()
        if dtx {
            throw CLIError.invalidValue(option: "--dtx", value: "", expected: "a group call sends continuously (silence included) so that a silent peer can be told from a vanished one; leave --dtx out")
        }
        var configuration = MeshConfiguration(participants: n, opus: opus)
        configuration.srtpSuite = srtpSuite
        configuration.maximumMixed = mesh.mixLoudest
        configuration.videoCodec = codec
        configuration.videoBitrateKbps = videoBitrate.bitsPerSecond / 1000
        configuration.cpuUsed = cpuUsed
        configuration.videoThreads = threads
        configuration.keyframeInterval = keyframeInterval
        configuration.network = try network.map(NetworkProfile.fromCommandLine)
        configuration.networkSeed = seed
        configuration.silentPeerTimeout = mesh.silentTimeout
        configuration.gridWidth = size[0]
        configuration.gridHeight = size[1]
        configuration.gridArrangement = layout
        var options = MeshLoopbackOptions(participants: n, audioPaths: audioPaths, outputDirectory: out, configuration: configuration)
        options.videoPaths = videoPaths
        options.maximumSeconds = duration
        options.acceptTruncatedAudio = acceptTruncated
        options.joins = try Self.schedule(mesh.joinAt, flag: "--join-at")
        options.leaves = try Self.schedule(mesh.leaveAt, flag: "--leave-at")
        options.vanishes = try Self.schedule(mesh.vanishAt, flag: "--vanish-at")
        options.statsInterval = try statsOptions.interval()
        options.statsJSONPath = statsOptions.statsJSON
        let loopback = try MeshLoopback(options: options)
        let bar = ProgressBar(label: "mesh \(n)")
        let report: MeshReport
        do {
            report = try loopback.run(progress: { done, total in
                bar.update(LoopbackProgress(seconds: done, totalSeconds: total, audioFrames: Int(done * 50), videoFrames: 0))
            }, stats: { bar.printLine($0) })
            bar.finish()
        } catch let failure as MeshLoopbackFailure {
            bar.finish()
            FileHandle.standardError.write(Data("parley: the outputs written before the error are kept; see \(failure.report.report ?? out)\n".utf8))
            throw failure.underlying
        }
        if json {
            print(try ReportJSON.string(report))
        } else {
            print(MeshSummary.text(report))
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    static func schedule(_ entries: [ParticipantTime], flag: String) throws -> [Int: Double] {
        var result: [Int: Double] = [:]
        for entry in entries {
            guard result[entry.participant] == nil else {
                throw CLIError.invalidValue(option: flag, value: "\(entry.participant):…", expected: "one time per participant")
            }
            result[entry.participant] = entry.seconds
        }
        return result
    }
}

/// The one-screen summary of a mesh loopback.
enum MeshSummary {
    static func text(_ r: MeshReport) -> String {
        func f(_ value: Double?, _ digits: Int = 1) -> String { value.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var lines: [String] = []
        lines.append("Parley \(r.parleyVersion) mesh loopback — \(r.participants) participants, \(r.completed ? "completed" : "STOPPED: \(r.error ?? "")")")
        lines.append("  call        \(f(r.callSeconds, 2)) s in \(f(r.wallSeconds, 2)) s (\(f(r.realtimeFactor, 1))x real time), call id \(r.callID.prefix(16))…, roster v\(r.rosterVersions), SRTP \(r.srtpSuite), signaling \(r.signalingAEAD ?? "-")")
        if let network = r.network { lines.append("  network     \(network) on every link, seed \(r.networkSeed ?? 0)") }
        lines.append("  links       \(r.summary.links): MOS mean \(f(r.summary.meanMOS, 2)), min \(f(r.summary.minimumMOS, 2)); audio \(r.summary.audioPacketsReceived) packets received, \(r.summary.audioPacketsLost) lost; \(r.summary.videoFramesDecoded) video frames decoded, \(r.summary.freezes) freezes; \(r.summary.srtpDrops) SRTP drops")
        lines.append("")
        lines.append("  participant   joined   left    sent (audio/video)  speaker changes heard   outputs")
        for m in r.members {
            let speakers = m.speakerChanges.prefix(4).map { "\(f($0.time, 1))s \($0.name)" }.joined(separator: ", ")
                + (m.speakerChanges.count > 4 ? ", … (\(m.speakerChanges.count))" : "")
            lines.append("  p\(m.index) \(m.name.padding(toLength: 8, withPad: " ", startingAt: 0))  \(f(m.joinedAt).padding(toLength: 6, withPad: " ", startingAt: 0))  \(f(m.leftAt).padding(toLength: 6, withPad: " ", startingAt: 0))  \("\(m.audioFramesSent)/\(m.videoFramesEncoded)".padding(toLength: 18, withPad: " ", startingAt: 0))  \(speakers.isEmpty ? "-" : speakers)")
            lines.append("                \(m.outputs?.mix ?? "")\(m.outputs?.grid.map { ", " + $0 } ?? "")")
        }
        let changes = r.events.filter { $0.time > 0 }
        if !changes.isEmpty {
            lines.append("")
            lines.append("  events")
            for e in changes {
                let who = e.participant.map { " p\($0)" } ?? ""
                let seen = e.observer.map { " (seen by p\($0))" } ?? ""
                let what = e.kind == .rekeyed ? "new keys for everyone" : e.kind.rawValue
                lines.append("    \(f(e.time, 2)) s  \(what)\(who)\(seen)\(e.rosterVersion.map { ", roster v\($0)" } ?? "")")
            }
        }
        lines.append("")
        lines.append("  Per-link stats: \(r.report ?? "report.json") (links[].audio, .video, .quality, .receiver, .network)")
        return lines.joined(separator: "\n")
    }
}
