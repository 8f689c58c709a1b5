import ArgumentParser
import Foundation
import Logging

/// `--log-level`, shared by the commands: swift-log to stderr, one label per module
/// (`parley.engine`, …). Key material is never logged.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Log level on stderr: trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: Logger.Level = .warning

    /// Installs the stderr log handler at the chosen level (once per process).
    func bootstrap() {
        let level = logLevel
        LoggingOptions.once.run {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    private static let once = Once()
}

/// Runs a block at most once.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func run(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
