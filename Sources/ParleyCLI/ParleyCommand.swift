import ArgumentParser
import Foundation

public struct ParleyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "End-to-end encrypted peer-to-peer audio/video calls, and the tools to measure them.",
        discussion: """
            Start with `parley loopback`: with no arguments it runs the bundled speech and video \
            fixtures through Opus and VP8 and prints a quality report.
            """,
        version: FileLoopbackVersion.string,
        subcommands: [LoopbackCommand.self, SendCommand.self, ReceiveCommand.self, CallCommand.self, ListenCommand.self, ConfigCommand.self, InitCommand.self, InviteCommand.self, AcceptCommand.self, ContactsCommand.self, GuardianCommand.self, LicenseCommand.self, RelayCommand.self, NetemCommand.self, BenchCommand.self, ReportCommand.self, VersionCommand.self]
    )
    public init() {}

    /// Runs the command line and exits. Errors from Parley itself print as
    /// `parley: error: …` on stderr with exit status 1; usage errors also show the usage.
    public static func runAndExit(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if !(command is InitCommand) { PassphrasePrompt.prepareIfNeeded() }
            try command.run()
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's own output.
                exit(withError: error)
            }
            let message: String
            if isParleyError(error) {
                message = "\(error)"
            } else {
                message = fullMessage(for: error)
                    .replacingOccurrences(of: "Error: ", with: "", options: .anchored)
            }
            FileHandle.standardError.write(Data("parley: error: \(message)\n".utf8))
            Foundation.exit(code == .validationFailure ? code.rawValue : (code.rawValue == 0 ? 1 : code.rawValue))
        }
    }

    private static func isParleyError(_ error: Error) -> Bool {
        // ArgumentParser's own errors (usage, validation, clean exits) are not Parley's.
        let name = String(reflecting: type(of: error))
        return name.hasPrefix("Parley")
    }
}
