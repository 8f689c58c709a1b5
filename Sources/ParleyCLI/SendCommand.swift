import ArgumentParser
import Foundation
import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleySecurity

/// `parley send`: stream files as RTP/SRTP over UDP in real time, and describe them in an SDP.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send audio and video files as SRTP over UDP, in real time, with an SDP a receiver can use.",
        discussion: """
            Encodes the audio with Opus and the video with VP8 or VP9 and sends them paced in real \
            time: audio to HOST:PORT, video to HOST:PORT+2 (rtcp-mux on both). Writes the SDP \
            describing the streams (codecs, SSRCs, a=crypto with the SRTP key) before the first \
            packet, for `parley receive --sdp`, ffmpeg (AES-CM suite) or GStreamer. The key is \
            random unless --key gives one; it is written only in the SDP, never logged.

            Examples:
              parley send --audio talk.wav --to 127.0.0.1:5004 --sdp call.sdp
              parley send --audio talk.wav --video clip.y4m --to 192.0.2.7:5004 --sdp call.sdp --suite aes-cm-hmac-sha1-80
              parley send --audio talk.wav --to 127.0.0.1:5004 --sdp call.sdp --pcap sent.pcap --json
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Audio input (WAV).", valueName: "IN.wav"))
    var audio: String?

    @Option(name: .long, help: ArgumentHelp("Video input (I420 Y4M or VP8/VP9 IVF).", valueName: "IN.y4m|IN.ivf"))
    var video: String?

    @Option(name: .long, help: ArgumentHelp("Receiver: audio goes to this address and port, video to port + 2.", valueName: "HOST:PORT"))
    var to: String

    @Option(name: .long, help: ArgumentHelp("Where to write the SDP describing the streams.", valueName: "OUT.sdp"))
    var sdp: String

    @Option(name: .long, help: ArgumentHelp("SRTP protection: aes-gcm (AEAD_AES_128_GCM) or aes-cm-hmac-sha1-80 (what ffmpeg reads).", valueName: "SUITE"))
    var suite: String = "aes-gcm"

    @Option(name: .long, help: ArgumentHelp("SRTP master key || salt, base64 (28 bytes for aes-gcm, 30 for aes-cm); default: random.", valueName: "BASE64"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Audio channels: 1 or 2.", valueName: "N"))
    var channels: Int = 1

    @Option(name: .long, help: ArgumentHelp("Opus frame duration in ms: 10, 20, 40 or 60.", valueName: "MS"))
    var frameMs: Int = 20

    @Option(name: .long, help: ArgumentHelp("Opus bitrate, e.g. 32k.", valueName: "RATE"))
    var audioBitrate: Bitrate = Bitrate(bitsPerSecond: 32_000)

    @Flag(name: .long, help: "Opus in-band forward error correction.")
    var fec = false

    @Option(name: .long, help: ArgumentHelp("Video codec: vp8 or vp9.", valueName: "CODEC"))
    var videoCodec: String = "vp8"

    @Option(name: .long, help: ArgumentHelp("Video bitrate, e.g. 800k.", valueName: "RATE"))
    var videoBitrate: Bitrate = Bitrate(bitsPerSecond: 800_000)

    @Option(name: .long, help: ArgumentHelp("Maximum frames between video keyframes (0: first only).", valueName: "N"))
    var keyframeInterval: Int = 300

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds of media.", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: .long, help: ArgumentHelp("Wait this long after writing the SDP before sending (time to start the receiver).", valueName: "SECONDS"))
    var startDelay: Double = 0

    @OptionGroup var capture: CaptureOptions

    @OptionGroup var statsOptions: StatsOptions

    @Flag(name: .long, help: "Use a WAV that was cut short instead of refusing it.")
    var acceptTruncated = false

    @Flag(name: .long, help: "Print the JSON report on stdout instead of the summary.")
    var json = false

    func run() throws {
        logging.bootstrap()
        guard let destination = IPv4Endpoint(to), destination.port != 0 else {
            throw CLIError.invalidValue(option: "--to", value: to, expected: "write the receiver as A.B.C.D:PORT with a port from 1 to 65533, e.g. 127.0.0.1:5004")
        }
        guard let srtpSuite = SRTPSuite(cliName: suite) else {
            throw CLIError.invalidValue(option: "--suite", value: suite, expected: "use aes-gcm or aes-cm-hmac-sha1-80")
        }
        guard let codec = VideoCodecKind(name: videoCodec) else {
            throw CLIError.invalidValue(option: "--video-codec", value: videoCodec, expected: "use vp8 or vp9")
        }
        var keyBytes: [UInt8]?
        if let key {
            guard let data = Data(base64Encoded: key.trimmingCharacters(in: .whitespaces)) else {
                // The value is a secret: never echo it.
                throw CLIError.invalidValue(option: "--key", value: "(redacted)", expected: "give the master key || salt in base64, "
                    + "\(srtpSuite.keyingMaterialLength) bytes for \(srtpSuite.rawValue)")
            }
            keyBytes = Array(data)
        }
        try capture.check()
        if let duration, !(duration > 0) {
            throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds")
        }
        guard startDelay >= 0, startDelay <= 3600 else {
            throw CLIError.invalidValue(option: "--start-delay", value: "\(startDelay)", expected: "give 0...3600 seconds")
        }
        guard VideoEncoderConfiguration.bitrateRange.contains(videoBitrate.bitsPerSecond / 1000) else {
            let range = VideoEncoderConfiguration.bitrateRange
            throw CLIError.invalidValue(option: "--video-bitrate", value: "\(videoBitrate.bitsPerSecond) bit/s",
                                        expected: "use \(range.lowerBound)k...\(range.upperBound)k")
        }
        let opus = OpusConfiguration(sampleRate: 48000, channels: channels, frameDurationMilliseconds: frameMs,
                                     bitrate: audioBitrate.bitsPerSecond, inbandFEC: fec)
        try opus.validate()
        var options = SendOptions(
            audioPath: audio, videoPath: video, destination: destination, sdpPath: sdp, suite: srtpSuite, keyAndSalt: keyBytes,
            opus: opus, videoCodec: codec, videoBitrateKbps: videoBitrate.bitsPerSecond / 1000,
            keyframeInterval: keyframeInterval, maximumSeconds: duration, startDelay: startDelay,
            acceptTruncatedAudio: acceptTruncated, pcapPath: capture.pcap, pcapPlaintext: capture.pcapPlaintext)
        options.statsInterval = try statsOptions.interval()
        options.statsJSONPath = statsOptions.statsJSON
        let sender = try CallSender(options: options)
        let bar = ProgressBar(label: "send")
        let report: SendReport
        do {
            report = try sender.run(progress: { bar.update($0) }, stats: { line in
                bar.printLine(line)
            })
            bar.finish()
        } catch let failure as SendFailure {
            bar.finish()
            throw failure.underlying
        }
        if json {
            print(try ReportJSON.string(report))
        } else {
            print(CallSummary.text(report))
        }
    }
}
