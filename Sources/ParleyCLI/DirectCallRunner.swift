import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// The media options shared by `call` and `listen`.
struct DirectMediaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WAV file to send (silence when absent or after its end).", valueName: "FILE"))
    var audio: String?

    @Option(help: ArgumentHelp("Directory for received.wav and report.json.", valueName: "DIR"))
    var out: String = "out/call"

    @Option(help: ArgumentHelp("Seconds of media once connected.", valueName: "SECONDS"))
    var duration: Double = 10

    @Option(help: ArgumentHelp("End the call when nothing arrives from the peer for this long (it vanished).",
                               valueName: "SECONDS"))
    var silentTimeout: Double = 5

    func directOptions() throws -> DirectCallOptions {
        guard duration > 0, duration.isFinite else { throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds") }
        if let audio, !FileManager.default.fileExists(atPath: audio) {
            throw CLIError.invalidValue(option: "--audio", value: audio, expected: "the file does not exist")
        }
        guard silentTimeout > 0, silentTimeout.isFinite else {
            throw CLIError.invalidValue(option: "--silent-timeout", value: "\(silentTimeout)", expected: "give a positive number of seconds")
        }
        var options = DirectCallOptions(audioPath: audio, outputDirectory: out, duration: duration)
        options.silentTimeout = silentTimeout
        return options
    }
}

/// Runs the media of an established call and writes its report.
enum DirectCallRunner {
    static func run(call: EstablishedCall, ice: CallICE, localSSRC: UInt32, signaling: CallSignaling,
                    options: DirectCallOptions, startedAt: Date) throws {
        let remote = try DirectCallDescription(parsing: call.remoteDescription)
        print("Connected after \(String(format: "%.0f", Date().timeIntervalSince(startedAt) * 1000)) ms: "
              + (ice.transport.agent.selectedPair.map { "\($0)" } ?? "path selected"))
        print("Compare these words with your contact: \(call.shortAuthenticationString.words.joined(separator: " "))")
        let media = try DirectCall(schedule: call.schedule, localSSRC: localSSRC, remoteSSRC: remote.audioSSRC,
                                   transport: ice.transport, options: options)
        let report = try media.run(progress: { print($0) })
        try? signaling.send(SignalingMessage(kind: .hangup))
        if let first = report.firstAudioPlayedAfter {
            print("First audio played \(String(format: "%.0f", (first + Date().timeIntervalSince(startedAt) - report.callSeconds) * 1000)) ms after the start.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = (options.outputDirectory as NSString).appendingPathComponent("report.json")
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("Call ended: \(report.stopReason). Sent \(report.packetsSent) packets, received \(report.packetsReceived); "
              + "\(report.audio?.packetsLost ?? 0) lost, \(report.audio?.concealedSamples ?? 0) samples concealed.")
        print("  \(report.receivedPath)\n  \(path)")
        call.schedule.wipe()
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
