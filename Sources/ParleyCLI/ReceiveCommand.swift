import ArgumentParser
import Foundation
import ParleyEngine

/// Set by SIGINT/SIGTERM: `parley receive` then stops cleanly and writes its report.
nonisolated(unsafe) private var receiveInterrupted: sig_atomic_t = 0

/// `parley receive`: receive the streams an SDP describes, decode them and write files.
struct ReceiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Receive SRTP audio/video described by an SDP, decode it and write received.wav / received.y4m.",
        discussion: """
            Listens on the ports of the SDP's m= lines (at its c= address; 0.0.0.0 for all), \
            decrypts with the a=crypto keys (AES_CM_128_HMAC_SHA1_80/32, AEAD_AES_128/256_GCM), decodes \
            Opus and VP8/VP9 (found by a=rtpmap, any payload type) and writes DIR/received.wav, \
            DIR/received.y4m and DIR/report.json (packets, loss, jitter, decode errors, SRTP \
            failures, RTCP). Sends RTCP receiver reports and PLI back to the sender. Stops at the \
            sender's RTCP BYE, after --duration, after --idle seconds without packets, or on Ctrl-C.

            Examples:
              parley receive --sdp call.sdp --out received
              parley receive --sdp gst.sdp --out received --duration 10 --json
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("The SDP describing the streams (from parley send, or written by hand).", valueName: "IN.sdp"))
    var sdp: String

    @Option(name: .long, help: ArgumentHelp("Output directory (created if missing).", valueName: "DIR"))
    var out: String = "parley-received"

    @Option(name: .long, help: ArgumentHelp("Stop this many seconds after the first packet.", valueName: "SECONDS"))
    var duration: Double?

    @Option(name: .long, help: ArgumentHelp("Give up when nothing arrives within this many seconds.", valueName: "SECONDS"))
    var wait: Double = 10

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds without packets (once some came).", valueName: "SECONDS"))
    var idle: Double = 5

    @OptionGroup var capture: CaptureOptions

    @OptionGroup var statsOptions: StatsOptions

    @Flag(name: .long, help: "Play the audio through the adaptive jitter buffer on the wall clock (for senders that pace packets in real time, e.g. parley send); by default packets are decoded as they arrive.")
    var jitterBuffer = false

    @Flag(name: .long, help: "Print the JSON report on stdout instead of the summary.")
    var json = false

    func run() throws {
        logging.bootstrap()
        if let duration, !(duration > 0) {
            throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds")
        }
        guard wait > 0 else { throw CLIError.invalidValue(option: "--wait", value: "\(wait)", expected: "give a positive number of seconds") }
        guard idle > 0 else { throw CLIError.invalidValue(option: "--idle", value: "\(idle)", expected: "give a positive number of seconds") }
        try capture.check()
        var options = ReceiveOptions(
            sdpPath: sdp, outputDirectory: out, maximumSeconds: duration, waitSeconds: wait, idleSeconds: idle,
            pcapPath: capture.pcap, pcapPlaintext: capture.pcapPlaintext)
        options.statsInterval = try statsOptions.interval()
        options.statsJSONPath = statsOptions.statsJSON
        options.adaptivePlayout = jitterBuffer
        let receiver = try CallReceiver(options: options)
        signal(SIGINT) { _ in receiveInterrupted = 1 }
        signal(SIGTERM) { _ in receiveInterrupted = 1 }
        let bar = ProgressBar(label: "receive")
        let report: ReceiveReport
        do {
            report = try receiver.run(shouldStop: { receiveInterrupted != 0 }, progress: { bar.update($0) }, stats: { line in
                bar.printLine(line)
            })
            bar.finish()
        } catch let failure as ReceiveFailure {
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
