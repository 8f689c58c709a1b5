import ArgumentParser
import Foundation
import ParleyContacts

/// `parley init --name NAME`: a local profile with a display name only.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the local profile: a display name, no phone number, no e-mail.",
        discussion: """
            Creates the profile in $PARLEY_HOME (default ~/.parley): profile.json, the key \
            file store.key and the encrypted contact store contacts.store, all mode 0600 in a \
            0700 directory.

            Example:
              parley init --name Alice
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Your display name, as your contacts will see it (1...64 bytes).", valueName: "NAME"))
    var name: String

    func run() throws {
        logging.bootstrap()
        let store = try ProfileStore()
        let profile = try store.create(name: name)
        try ContactBook.create(in: store.directory)
        print("Created the profile of \(profile.displayName) in \(store.directory)")
        print("Next: `parley invite` makes an invitation for one correspondent.")
    }
}
