import ArgumentParser
import Foundation
import ParleyContacts
import ParleySecurity

/// `parley invite`: a fresh, signed, expiring invitation for one correspondent.
struct InviteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invite",
        abstract: "Make an invitation for one correspondent: a parley: code and its QR code.",
        discussion: """
            Each invitation has its own fresh per-contact keys (Ed25519 and X25519) and a \
            random id, so two invitations cannot be linked to each other or to you. It is \
            signed, expires, and names the relay to answer through. Prints the parley: URI \
            and its QR code; --png also writes the QR code as a PNG. The secrets stay in the \
            encrypted contact store until the invitation is accepted or expires.

            Examples:
              parley invite
              parley invite --expires 2h --png invite.png --relay 127.0.0.1:7400
            """
    )

    @OptionGroup var logging: LoggingOptions

    @Option(name: .long, help: ArgumentHelp("How long the invitation is valid: 90s, 30m, 24h, 7d.", valueName: "DURATION"))
    var expires: String = "24h"

    @Option(name: .long, help: ArgumentHelp(
        "The relay the invitee answers through (default: `parley config` relay, else 127.0.0.1:7400).", valueName: "HOST:PORT"))
    var relay: String?

    @Option(name: .long, help: ArgumentHelp("Also write the QR code to this PNG file.", valueName: "FILE"))
    var png: String?

    @Flag(name: .long, help: "Print only the parley: URI.")
    var uriOnly = false

    func run() throws {
        logging.bootstrap()
        guard let seconds = Self.parseDuration(expires) else {
            throw CLIError.invalidValue(option: "--expires", value: expires, expected: "give a duration such as 90s, 30m, 24h or 7d")
        }
        let store = try ProfileStore()
        let profile = try store.load()
        let relay = try self.relay ?? NetworkConfig.load(store.directory).relay ?? "127.0.0.1:7400"
        let (invitation, secrets) = try Invitation.create(relayHint: relay, expiresIn: .seconds(seconds))
        let contacts = ContactBook.store(in: store.directory)
        var book: ContactBook = try contacts.load()
        book.add(invitation, secrets: secrets)
        try contacts.save(book)
        secrets.wipe()
        let code = try QRCode.encode(invitation.uri)
        if let png { try QRCodeRenderer.writePNG(code, to: png) }
        if uriOnly {
            print(invitation.uri)
            return
        }
        print(QRCodeRenderer.terminal(code), terminator: "")
        print(invitation.uri)
        let expiry = Date(timeIntervalSince1970: TimeInterval(invitation.expiry))
        print("Invitation from \(profile.displayName) for one correspondent, valid until \(ISO8601DateFormatter().string(from: expiry)); answer through \(relay).")
        if let png { print("QR code written to \(png)") }
    }

    /// Seconds in `90s`, `30m`, `24h`, `7d` (or a bare number of seconds).
    static func parseDuration(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        var scale: Int64 = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Int64(digits), value > 0, value <= 365 * 86_400 / scale else { return nil }
        return value * scale
    }
}
