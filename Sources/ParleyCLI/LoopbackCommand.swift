import ArgumentParser
import Foundation
import ParleyConference
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleyMedia
import ParleySecurity

/// `parley loopback`: encode and decode files through the call pipeline, and measure.
struct LoopbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loopback",
        abstract: "Run audio and video files through the codecs, file to file, and report the quality.",
        discussion: """
            Encodes the audio with Opus and the video with VP8 or VP9, decodes them again and \
            writes DIR/received.wav, DIR/received.y4m, DIR/sent.ivf (the encoded video) and \
            DIR/report.json (bitrates, CPU time, per-frame PSNR/SSIM, audio delay). With no \
            --audio and no --video it uses the bundled fixtures (10 s of speech, 4 s of 640x360 video).

            Audio may be any PCM 16/24-bit or float32 WAV; it is resampled to the Opus rate and \
            mixed to the channel count. Video is an I420 Y4M or a VP8/VP9 IVF.

            With --participants N (2 to 8) it runs a mesh group call instead: every participant \
            sends to every other under its own pair keys (the group setup of a real call: the \
            host, participant 0, invites each member over its contact session and signs the \
            roster), receives N-1 streams through their own jitter buffers, and writes \
            DIR/p<i>/mix.wav (everyone but itself, as it heard them), DIR/p<i>/grid.y4m (the \
            others' video, the active speaker highlighted) and one DIR/report.json with every \
            link's stats. --audio and --video then take one file for everyone or a comma-separated \
            list with one per participant; a file shared by everyone is rotated, participant i \
            starting i/N of the way into it. More than 2 participants is the paid tier: the \
            profile in $PARLEY_HOME must hold a license (`parley license install`).

            Examples:
              parley loopback
              parley loopback --audio talk.wav --out /tmp/run --json
              parley loopback --video clip.y4m --video-codec vp9 --video-bitrate 500k
              parley loopback --participants 3 --network wifi --out /tmp/mesh
              parley loopback --participants 4 --audio a.wav,b.wav,c.wav,d.wav --join-at 3:2.5 --leave-at 1:6
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Audio input (WAV).", valueName: "IN.wav"))
    var audio: String?

    @Option(name: .long, help: ArgumentHelp("Video input (I420 Y4M or VP8/VP9 IVF).", valueName: "IN.y4m|IN.ivf"))
    var video: String?

    @Option(name: .long, help: ArgumentHelp("Output directory (created if missing).", valueName: "DIR"))
    var out: String = "parley-loopback"

    @Flag(name: .long, help: "Print the JSON report on stdout instead of the summary.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Opus sample rate in Hz: 8000, 12000, 16000, 24000 or 48000.", valueName: "HZ"))
    var sampleRate: Int = 48000

    @Option(name: .long, help: ArgumentHelp("Audio channels: 1 or 2.", valueName: "N"))
    var channels: Int = 1

    @Option(name: .long, help: ArgumentHelp("Opus frame duration in ms: 10, 20, 40 or 60.", valueName: "MS"))
    var frameMs: Int = 20

    @Option(name: .long, help: ArgumentHelp("Opus bitrate, e.g. 32k (6k...510k).", valueName: "RATE"))
    var audioBitrate: Bitrate = Bitrate(bitsPerSecond: 32_000)

    @Option(name: .long, help: ArgumentHelp("Opus complexity 0...10.", valueName: "N"))
    var complexity: Int = 10

    @Option(name: .long, help: ArgumentHelp("Opus application: voip, audio or lowdelay.", valueName: "APP"))
    var application: String = "voip"

    @Flag(name: .long, help: "Constant bitrate Opus (default: constrained VBR).")
    var cbr = false

    @Flag(name: .long, help: "Opus in-band forward error correction.")
    var fec = false

    @Option(name: .long, help: ArgumentHelp("Expected packet loss in percent, sizes the in-band FEC.", valueName: "PCT"))
    var expectedLoss: Int = 0

    @Flag(name: .long, help: "Opus discontinuous transmission during silence.")
    var dtx = false

    @Option(name: .long, help: ArgumentHelp("Video codec: vp8 or vp9.", valueName: "CODEC"))
    var videoCodec: String = "vp8"

    @Option(name: .long, help: ArgumentHelp("Video bitrate, e.g. 800k.", valueName: "RATE"))
    var videoBitrate: Bitrate = Bitrate(bitsPerSecond: 800_000)

    @Option(name: .long, help: ArgumentHelp("libvpx cpu-used (VP8 -16...16, VP9 -9...9; default -6 / 7).", valueName: "N"))
    var cpuUsed: Int?

    @Option(name: .long, help: ArgumentHelp("Video encoder and decoder threads.", valueName: "N"))
    var threads: Int = 1

    @Option(name: .long, help: ArgumentHelp("Maximum frames between video keyframes (0: first only).", valueName: "N"))
    var keyframeInterval: Int = 300

    @Flag(name: .long, help: "Video error-resilient mode.")
    var errorResilient = false

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds of media.", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: .long, help: ArgumentHelp("SRTP protection: aes-gcm (AEAD_AES_128_GCM) or aes-cm-hmac-sha1-80.", valueName: "SUITE"))
    var suite: String = "aes-gcm"

    @OptionGroup var capture: CaptureOptions

    @Flag(name: .long, help: "Use a WAV that was cut short (its header declares more audio than it holds) instead of refusing it.")
    var acceptTruncated = false

    @Option(name: .long, help: ArgumentHelp(
        "Put an emulated network between the two sides: a preset (clean, wifi, 4g, congested, lossy-burst), parameters such as 'delay=40ms,jitter=10ms:normal,loss=2%' or trace:FILE (see `parley netem --help`).",
        valueName: "PROFILE"))
    var network: String?

    @Option(name: .long, help: ArgumentHelp("Seed of the emulated network's random streams: the same seed gives the same losses and delays.", valueName: "N"))
    var seed: UInt64 = 1

    @OptionGroup var statsOptions: StatsOptions

    @OptionGroup var mesh: MeshOptions

    func run() throws {
        logging.bootstrap()
        if mesh.participants != nil {
            try runMesh()
            return
        }
        try mesh.refuseWithoutParticipants()
        var audioPath = audio
        var videoPath = video
        if audioPath == nil && videoPath == nil {
            let fixtures = try BundledFixtures.directory()
            audioPath = (fixtures as NSString).appendingPathComponent(BundledFixtures.speech)
            videoPath = (fixtures as NSString).appendingPathComponent(BundledFixtures.video)
        }
        guard let app = OpusApplication(rawValue: application) else {
            throw CLIError.invalidValue(option: "--application", value: application, expected: "use voip, audio or lowdelay")
        }
        guard let codec = VideoCodecKind(name: videoCodec) else {
            throw CLIError.invalidValue(option: "--video-codec", value: videoCodec, expected: "use vp8 or vp9")
        }
        // The video settings are checked here, not only when a video encoder is made, so that
        // the error names the option and a bad value is refused even in an audio-only run.
        guard VideoEncoderConfiguration.bitrateRange.contains(videoBitrate.bitsPerSecond / 1000) else {
            let range = VideoEncoderConfiguration.bitrateRange
            throw CLIError.invalidValue(
                option: "--video-bitrate", value: "\(videoBitrate.bitsPerSecond) bit/s",
                expected: "use \(range.lowerBound)k...\(range.upperBound)k (\(range.lowerBound)...\(range.upperBound) kbit/s), e.g. 800k")
        }
        let cpuRange = VideoEncoderConfiguration.cpuUsedRange(for: codec)
        if let cpuUsed, !cpuRange.contains(cpuUsed) {
            throw CLIError.invalidValue(option: "--cpu-used", value: "\(cpuUsed)",
                                        expected: "use \(cpuRange.lowerBound)...\(cpuRange.upperBound) for \(codec.rawValue)")
        }
        let threadRange = VideoEncoderConfiguration.threadsRange
        guard threadRange.contains(threads) else {
            throw CLIError.invalidValue(option: "--threads", value: "\(threads)",
                                        expected: "use \(threadRange.lowerBound)...\(threadRange.upperBound)")
        }
        let keyframeRange = VideoEncoderConfiguration.keyframeIntervalRange
        guard keyframeRange.contains(keyframeInterval) else {
            throw CLIError.invalidValue(option: "--keyframe-interval", value: "\(keyframeInterval)",
                                        expected: "use \(keyframeRange.lowerBound)...\(keyframeRange.upperBound) frames (0: first frame only)")
        }
        guard let srtpSuite = SRTPSuite(cliName: suite) else {
            throw CLIError.invalidValue(option: "--suite", value: suite, expected: "use aes-gcm or aes-cm-hmac-sha1-80")
        }
        try capture.check()
        if let duration, !(duration > 0) {
            throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds")
        }
        let opus = OpusConfiguration(
            sampleRate: sampleRate, channels: channels, frameDurationMilliseconds: frameMs,
            bitrate: audioBitrate.bitsPerSecond, complexity: complexity, variableBitrate: !cbr,
            application: app, inbandFEC: fec, expectedPacketLossPercent: expectedLoss, dtx: dtx)
        try opus.validate()
        let profile = try network.map(NetworkProfile.fromCommandLine)
        var options = LoopbackOptions(
            audioPath: audioPath, videoPath: videoPath, outputDirectory: out, opus: opus,
            videoCodec: codec, videoBitrateKbps: videoBitrate.bitsPerSecond / 1000, cpuUsed: cpuUsed,
            videoThreads: threads, keyframeInterval: keyframeInterval, errorResilient: errorResilient,
            maximumSeconds: duration, acceptTruncatedAudio: acceptTruncated, srtpSuite: srtpSuite,
            pcapPath: capture.pcap, pcapPlaintext: capture.pcapPlaintext)
        options.network = profile
        options.networkSeed = seed
        options.statsInterval = try statsOptions.interval()
        options.statsJSONPath = statsOptions.statsJSON
        let loopback = try FileLoopback(options: options)
        let bar = ProgressBar(label: "loopback")
        let report: LoopbackReport
        do {
            report = try loopback.run(progress: { bar.update($0) }, stats: { line in
                bar.printLine(line)
            })
            bar.finish()
        } catch let failure as LoopbackFailure {
            bar.finish()
            FileHandle.standardError.write(Data("parley: the outputs written before the error are kept; see \(failure.report.outputs.report)\n".utf8))
            throw failure.underlying
        }
        if json {
            print(try ReportJSON.string(report))
        } else {
            print(LoopbackSummary.text(report))
        }
    }
}
