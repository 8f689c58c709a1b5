import Foundation
import ParleyContacts

/// The passphrase of a passphrase-locked contact store: `$PARLEY_PASSPHRASE`, else asked
/// for on the terminal (without echo) and put into this process's environment, where
/// `ContactBook.store(in:)` finds it.
enum PassphrasePrompt {
    /// Before a command runs: if the profile's store is passphrase-locked, no passphrase is
    /// set and stdin is a terminal, asks once.
    static func prepareIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment[ContactBook.passphraseVariable]?.isEmpty ?? true,
              let directory = try? ProfileStore(environment: environment).directory,
              ContactBook.isPassphraseLocked(in: directory),
              isatty(STDIN_FILENO) == 1,
              let text = ask("Passphrase of the contact store in \(directory): "), !text.isEmpty
        else { return }
        setenv(ContactBook.passphraseVariable, text, 1)
    }

    /// A new passphrase for `parley init --passphrase`: `$PARLEY_PASSPHRASE`, else asked
    /// twice on the terminal.
    static func newPassphrase() throws -> String {
        let text = try readNewPassphrase()
        guard text.count >= 8 else {
            throw CLIError.failed("the passphrase is too short; use at least 8 characters (a few words is best)")
        }
        return text
    }

    private static func readNewPassphrase() throws -> String {
        if let text = ProcessInfo.processInfo.environment[ContactBook.passphraseVariable], !text.isEmpty { return text }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError.failed("--passphrase needs a passphrase: set \(ContactBook.passphraseVariable), or run in a terminal to be asked")
        }
        guard let first = ask("New passphrase for the contact store: "), !first.isEmpty else {
            throw CLIError.failed("no passphrase given")
        }
        guard ask("The same passphrase again: ") == first else {
            throw CLIError.failed("the two passphrases differ; run `parley init` again")
        }
        return first
    }

    /// Reads a line from the terminal without echo.
    private static func ask(_ prompt: String) -> String? {
        guard let pointer = getpass(prompt) else { return nil }
        return String(cString: pointer)
    }
}
