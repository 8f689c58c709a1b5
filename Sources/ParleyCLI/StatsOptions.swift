import ArgumentParser

/// `--stats-interval` and `--stats-json`, for every command that runs a call or loopback.
struct StatsOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Print a one-line stats summary (loss, jitter, concealment, MOS, video fps, freezes, NACK/PLI) on stderr every DURATION of the call, e.g. 1s or 500ms.",
        valueName: "DURATION"))
    var statsInterval: String?

    @Option(name: .long, help: ArgumentHelp(
        "Write the webrtc-stats samples (every --stats-interval, else every second) to FILE as JSON lines; `parley report FILE` draws them.",
        valueName: "FILE"))
    var statsJSON: String?

    /// The interval in seconds, checked.
    func interval() throws -> Double? {
        guard let statsInterval else { return nil }
        guard let seconds = NetemCommand.parseInterval(statsInterval), seconds > 0 else {
            throw CLIError.invalidValue(option: "--stats-interval", value: statsInterval, expected: "give a duration such as 1s or 500ms")
        }
        return seconds
    }
}
