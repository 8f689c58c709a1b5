import ArgumentParser
import Foundation
import ParleyContacts

/// `parley init --name NAME [--supervised-by KEY] [--issuer-key KEY]`: a local profile
/// with a display name only (and, optionally, a guardian and a license issuer).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the local profile: a display name, no phone number, no e-mail.",
        discussion: """
            Creates the profile in $PARLEY_HOME (default ~/.parley): profile.json, the key \
            file store.key and the encrypted contact store contacts.store, all mode 0600 in a \
            0700 directory. With --passphrase there is no key file: the store's key comes \
            from your passphrase (Argon2id), read from $PARLEY_PASSPHRASE or asked for in a \
            terminal, by this and every later command. The profile gets a random 32-byte identifier, printed here and by \
            `parley license show`: give it only to your guardian or your license issuer (it \
            is never put in invitations).

            --supervised-by makes a supervised profile: it accepts a contact only with the \
            guardian's signed approval (the guardian's `parley guardian key` prints the key; \
            `parley contacts approve` makes approvals). --issuer-key sets the key whose \
            licenses this profile trusts for group calls of more than 2 people (`parley \
            license`). Keys are Ed25519 public keys in base64 or base64url.

            Examples:
              parley init --name Alice
              PARLEY_PASSPHRASE='correct horse battery staple' parley init --name Alice --passphrase
              parley init --name Kid --supervised-by 6n0jOeGAUk7pAmnSf6j5hNmfzp+o9pxHMYcC3gnXT7o=
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("Your display name, as your contacts will see it (1...64 bytes).", valueName: "NAME"))
    var name: String

    // Unconditional parsing: a base64url key may start with "-".
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Make a supervised profile: the guardian's public key (`parley guardian key` prints it).", valueName: "GUARDIAN_PUBKEY"))
    var supervisedBy: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Trust licenses signed by this issuer public key.", valueName: "ISSUER_PUBKEY"))
    var issuerKey: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Lock the contact store with a passphrase (Argon2id) instead of the key file store.key: taken from $PARLEY_PASSPHRASE, or asked for twice in a terminal. Every later command then needs it the same way."))
    var passphrase = false

    func run() throws {
        logging.bootstrap()
        var secret: String?
        if passphrase { secret = try PassphrasePrompt.newPassphrase() }
        let store = try ProfileStore()
        let profile = try store.create(name: name, supervisedBy: supervisedBy, issuerKey: issuerKey)
        try ContactBook.create(in: store.directory, passphrase: secret)
        print("Created the profile of \(profile.displayName) in \(store.directory)")
        if secret != nil {
            print("The contact store is locked with your passphrase (no key file): keep it safe, it cannot be recovered.")
        }
        print("Profile identifier: \(profile.identifier ?? "") (give it only to your guardian or license issuer)")
        if let guardian = profile.supervisedBy {
            print("Supervised by the guardian key \(guardian): contacts need the guardian's approval (`parley contacts approve`).")
        }
        if let issuer = profile.issuerKey {
            print("Trusts licenses signed by the issuer key \(issuer) (`parley license install`).")
        }
        print("Next: `parley invite` makes an invitation for one correspondent.")
    }
}
