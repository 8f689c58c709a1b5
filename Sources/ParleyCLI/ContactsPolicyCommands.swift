import ArgumentParser
import Foundation
import ParleyContacts
import ParleySecurity

// The policy side of contacts: guardian approvals, blocking, the pre-call check and
// paid-tier licenses. See design.md, "Keys": only approved contacts may call; a supervised
// profile accepts contacts only with a guardian's signed approval; group calls beyond two
// people need a license signed by the issuer's key; refusals happen before any media flows.

/// Shared formatting.
enum PolicyText {
    static func date(_ unix: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }

    static func key(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func name(_ contact: ContactBook.Contact) -> String {
        "\(contact.shortID) (\(contact.displayName ?? "name unknown"))"
    }

    static func seconds(_ text: String, option: String) throws -> Int64 {
        guard let seconds = InviteCommand.parseDuration(text) else {
            throw CLIError.invalidValue(option: option, value: text, expected: "give a duration such as 90s, 30m, 24h or 365d (at most 365d)")
        }
        return seconds
    }
}

// MARK: - parley accept on a supervised profile

/// The supervised check of `parley accept`, before anything is sent or stored.
enum SupervisedAccept {
    /// The guardian approval to keep with the acceptance of `invitation`: nil for a profile
    /// that is not supervised. A supervised profile without `text` gets the approval
    /// request printed and an error; a bad approval is an error.
    static func approval(for invitation: Invitation, given text: String?, store: ProfileStore) throws -> ContactApproval? {
        guard let supervision = try Supervision.of(store) else {
            if text != nil {
                throw CLIError.failed("this profile is not supervised, so it needs no guardian approval; run `parley accept URI` without --approval")
            }
            return nil
        }
        guard let text else {
            let request = try supervision.request(contactKey: invitation.signingKey)
            print("This profile is supervised: accepting a contact needs your guardian's approval first.")
            print("Hand this approval request to your guardian:")
            print(request.text)
            print("Your guardian runs `parley contacts approve parley-approval-request:…` and gives you back a parley-approval: code.")
            print("Then run (before the invitation expires at \(PolicyText.date(invitation.expiry))):")
            print("  parley accept \(invitation.uri) --approval parley-approval:…")
            fflush(nil)  // before the error on stderr, also when stdout is a pipe
            throw CLIError.failed("not accepted: this supervised profile needs its guardian's approval of the contact; nothing was sent or stored")
        }
        let approval = try ContactApproval.parse(text: text)
        try supervision.verify(approval, contactKey: invitation.signingKey)
        return approval
    }
}

/// The policy lines `parley contacts list` prints under a contact.
struct ContactPolicyNotes {
    let supervision: Supervision?

    init(store: ProfileStore) throws {
        supervision = try Supervision.of(store)
    }

    func notes(for contact: ContactBook.Contact) -> [String] {
        var lines: [String] = []
        if contact.isBlocked {
            lines.append("blocked: their calls are refused (`parley contacts unblock \(contact.shortID)` undoes it)")
        }
        guard let supervision else { return lines }
        guard let problem = supervision.problem(of: contact) else {
            if let text = contact.approval, let approval = try? ContactApproval.parse(text: text) {
                lines.append("approved by your guardian until \(PolicyText.date(approval.expiry))")
            }
            return lines
        }
        if problem == .missing {
            lines.append("awaiting your guardian's approval: calls are refused until it is installed")
        } else {
            lines.append("guardian approval not valid: \(problem)")
        }
        if let key = try? contact.peerSigningPublicKey(),
            let request = try? supervision.request(contactKey: key, contactName: contact.displayName)
        {
            lines.append("hand your guardian this request, then run `parley contacts approve parley-approval:…` with their answer:")
            lines.append("  " + request.text)
        }
        return lines
    }
}

// MARK: - parley guardian

/// `parley guardian key`: the guardian's signing key.
struct GuardianCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guardian",
        abstract: "The guardian's side of supervised profiles: the key that signs approvals.",
        discussion: """
            A supervised profile (`parley init --supervised-by GUARDIAN_PUBKEY`) accepts a \
            contact only with its guardian's signed approval. The guardian makes a key once \
            with `parley guardian key`, gives the public key to the supervised profile, and \
            answers its approval requests with `parley contacts approve`.
            """,
        subcommands: [Key.self]
    )

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Print the guardian public key, making the key pair first if there is none.",
            discussion: """
                The key pair is kept in $PARLEY_HOME/guardian.key (mode 0600, written \
                atomically; no profile is needed). Keep that file private and backed up: it \
                signs your approvals. Give the printed public key to the supervised profile.

                Example:
                  parley guardian key
                  parley init --name Kid --supervised-by <the printed key>   # on the supervised side
                """)
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            let path = (store.directory as NSString).appendingPathComponent(SigningKeyFile.guardianFileName)
            let (keyPair, created) = try SigningKeyFile.loadOrCreate(at: path, purpose: .guardian)
            print("Guardian public key: \(PolicyText.key(keyPair.publicKey))")
            if created {
                print("Created the guardian key in \(path) (mode 0600); keep it private and backed up: it signs your approvals.")
            }
            print("Give it to the supervised profile: parley init --name NAME --supervised-by \(PolicyText.key(keyPair.publicKey))")
        }
    }
}

// MARK: - parley contacts approve / request / block / unblock / check

extension ContactsCommand {
    /// The policy subcommands of `parley contacts`.
    static let policySubcommands: [ParsableCommand.Type] = [
        ApproveContact.self, RequestApproval.self, BlockContact.self, UnblockContact.self, CheckContact.self,
    ]

    struct ApproveContact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Guardian: answer an approval request. Supervised profile: install the answer.",
            discussion: """
                Takes one of two codes:

                parley-approval-request:… (on the guardian's side). A supervised profile \
                printed it for one contact (`parley accept` or `parley contacts list` does). \
                It must name your guardian key ($PARLEY_HOME/guardian.key, from `parley \
                guardian key`). Prints who it is for and the signed parley-approval: code to \
                give back, valid for --expires.

                parley-approval:… (on the supervised side). Checks it is your guardian's, for \
                this profile and one of your contacts, and not expired, then installs it into \
                that contact: its calls are allowed from then on. For an invitation you have \
                not accepted yet, give it to `parley accept URI --approval` instead.

                Examples:
                  # the guardian answers a request:
                  parley contacts approve parley-approval-request:AQ… --expires 90d
                  # the supervised profile installs the answer:
                  parley contacts approve parley-approval:AQ…
                """)
        @OptionGroup var logging: LoggingOptions

        @Argument(help: ArgumentHelp("A parley-approval-request: (guardian) or a parley-approval: (supervised profile).", valueName: "CODE"))
        var code: String

        @Option(name: .long, help: ArgumentHelp("Guardian: how long the approval is valid (90s, 30m, 24h, 365d).", valueName: "DURATION"))
        var expires: String = "365d"

        func run() throws {
            logging.bootstrap()
            let text = code.trimmingCharacters(in: .whitespacesAndNewlines)
            let lower = text.lowercased()
            if lower.hasPrefix(ApprovalRequest.textPrefix) {
                try answer(text)
            } else if lower.hasPrefix(ContactApproval.textPrefix) {
                try install(text)
            } else {
                throw CLIError.failed(
                    "'\(text.prefix(30))…' is neither a parley-approval-request: (the guardian answers it) nor a parley-approval: (the supervised profile installs it); paste the whole code")
            }
        }

        /// The guardian's side.
        private func answer(_ text: String) throws {
            let seconds = try PolicyText.seconds(expires, option: "--expires")
            let request = try ApprovalRequest.parse(text: text)
            let store = try ProfileStore()
            let path = (store.directory as NSString).appendingPathComponent(SigningKeyFile.guardianFileName)
            guard FileManager.default.fileExists(atPath: path) else {
                throw CLIError.failed(
                    "there is no guardian key in \(store.directory); run this where `parley guardian key` made the key the supervised profile was set up with (set PARLEY_HOME to that directory)")
            }
            let guardian = try SigningKeyFile.load(from: path, purpose: .guardian)
            let approval = try request.approve(with: guardian, expiresIn: .seconds(seconds))
            let who = request.contactName.map { "\"\($0)\"" } ?? "a contact whose name the supervised profile does not know"
            let fingerprint = request.contactKey.prefix(8).map { String(format: "%02x", $0) }.joined()
            print("Approving \(who) (contact key \(fingerprint)…) for the supervised profile \(Profile.identifierText(request.subject)).")
            if let note = request.note { print("Note from the supervised profile: \(note)") }
            print("Valid until \(PolicyText.date(approval.expiry)). Give this approval to the supervised profile:")
            print(approval.text)
            print("They run `parley accept URI --approval parley-approval:…` or, for an established contact, `parley contacts approve parley-approval:…`.")
        }

        /// The supervised side.
        private func install(_ text: String) throws {
            let store = try ProfileStore()
            _ = try store.load()
            guard let supervision = try Supervision.of(store) else {
                throw CLIError.failed("this profile is not supervised, so its contacts need no guardian approval")
            }
            let approval = try ContactApproval.parse(text: text)
            let contacts = ContactBook.store(in: store.directory)
            var book: ContactBook = try contacts.load()
            let contact = try book.installApproval(approval, supervision: supervision)
            try contacts.save(book)
            print("Installed your guardian's approval of \(PolicyText.name(contact)), valid until \(PolicyText.date(approval.expiry)).")
        }
    }

    struct RequestApproval: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Supervised profile: print the approval request for a contact or an invitation.",
            discussion: """
                Prints the parley-approval-request: code to hand your guardian, for an \
                established contact (by the id or name `parley contacts list` prints) or for \
                an invitation you want to accept (its parley: URI), with an optional note.

                Examples:
                  parley contacts request 64d2c571 --note "Grandma, from the family dinner"
                  parley contacts request parley:AQ…
                """)
        @OptionGroup var logging: LoggingOptions

        @Argument(help: ArgumentHelp("A contact's id or name, or a parley: invitation URI.", valueName: "CONTACT_OR_URI"))
        var contact: String

        @Option(name: .long, help: ArgumentHelp("A note for your guardian (at most 200 bytes).", valueName: "TEXT"))
        var note: String?

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            _ = try store.load()
            guard let supervision = try Supervision.of(store) else {
                throw CLIError.failed("this profile is not supervised, so its contacts need no guardian approval")
            }
            let request: ApprovalRequest
            if contact.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("parley:") {
                let invitation = try Invitation.parse(uri: contact)
                request = try supervision.request(contactKey: invitation.signingKey, note: note)
            } else {
                let book: ContactBook = try ContactBook.store(in: store.directory).load()
                let found = book.contacts[try book.contactIndex(matching: contact)]
                request = try supervision.request(contactKey: try found.peerSigningPublicKey(), contactName: found.displayName, note: note)
            }
            print(request.text)
        }
    }

    struct BlockContact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block",
            abstract: "Block a contact: their calls are refused before any media flows.",
            discussion: """
                Names the contact by the id `parley contacts list` prints, or by a display \
                name only one contact has. `parley contacts unblock` undoes it.

                Example:
                  parley contacts block 64d2c571
                """)
        @OptionGroup var logging: LoggingOptions
        @Argument(help: ArgumentHelp("The contact's id or name.", valueName: "NAME_OR_ID"))
        var contact: String

        func run() throws {
            logging.bootstrap()
            try setBlocked(true, contact)
        }
    }

    struct UnblockContact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unblock",
            abstract: "Unblock a contact: their calls are allowed again.",
            discussion: """
                Example:
                  parley contacts unblock 64d2c571
                """)
        @OptionGroup var logging: LoggingOptions
        @Argument(help: ArgumentHelp("The contact's id or name.", valueName: "NAME_OR_ID"))
        var contact: String

        func run() throws {
            logging.bootstrap()
            try setBlocked(false, contact)
        }
    }

    static func setBlocked(_ blocked: Bool, _ query: String) throws {
        let store = try ProfileStore()
        _ = try store.load()
        let contacts = ContactBook.store(in: store.directory)
        var book: ContactBook = try contacts.load()
        let contact = try book.setBlocked(blocked, contact: query)
        try contacts.save(book)
        if blocked {
            print("Blocked \(PolicyText.name(contact)): their calls are refused before any media flows.")
        } else {
            print("Unblocked \(PolicyText.name(contact)): their calls are allowed again.")
        }
    }

    struct CheckContact: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Say whether a call with a contact would be allowed, and if not why.",
            discussion: """
                Runs the check every call runs before any media flows: a contact, not \
                blocked, approved by the guardian if this profile is supervised, and for more \
                than 2 participants a valid license allowing that many. Prints "allowed", or \
                the reason on stderr with exit status 1.

                Examples:
                  parley contacts check 64d2c571
                  parley contacts check Bob --participants 3
                """)
        @OptionGroup var logging: LoggingOptions
        @Argument(help: ArgumentHelp("The contact's id or name.", valueName: "NAME_OR_ID"))
        var contact: String

        @Option(name: .long, help: ArgumentHelp("People in the call, you included.", valueName: "N"))
        var participants: Int = 2

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            _ = try store.load()
            let book: ContactBook = try ContactBook.store(in: store.directory).load()
            let found = book.contacts[try book.contactIndex(matching: contact)]
            try CallPolicy.checkBeforeCall(directory: store.directory, contactIDs: [found.id], participants: participants)
            print("allowed: a call of \(participants) people with \(PolicyText.name(found))")
        }
    }
}

// MARK: - parley license

/// `parley license`: the paid-tier license for group calls of more than two people.
struct LicenseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "Install or show the paid-tier license that group calls of more than 2 people need.",
        discussion: """
            A license is a parley-license: code signed by the issuer whose public key the \
            profile trusts (`parley init --issuer-key`), for this profile's identifier, with \
            a maximum number of participants (3 to 8) and an expiry. Calls of up to 2 people \
            need none. `issue` and `issuer-key` are the issuer's tools.
            """,
        subcommands: [Install.self, Show.self, Issue.self, IssuerKey.self],
        defaultSubcommand: Show.self
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Check a license and install it into this profile.",
            discussion: """
                Checks the signature against the profile's issuer key, that it is for this \
                profile's identifier and not expired, then stores it in \
                $PARLEY_HOME/license.token (mode 0600, atomically), replacing any other.

                Example:
                  parley license install parley-license:AQ…
                """)
        @OptionGroup var logging: LoggingOptions
        @Argument(help: ArgumentHelp("The parley-license: code from the issuer.", valueName: "TOKEN"))
        var token: String

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            let identifier = try store.identifier()
            let profile = try store.load()
            let license = try LicenseStore(directory: store.directory).install(text: token, profile: profile, identifier: identifier)
            print("Installed the license: group calls of up to \(license.maximumParticipants) people until \(PolicyText.date(license.expiry)).")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show this profile's identifier and its license: limit, expiry, valid or why not.",
            discussion: """
                Examples:
                  parley license show
                  parley license show --json
                """)
        @OptionGroup var logging: LoggingOptions
        @Flag(name: .long, help: "Print JSON.")
        var json = false

        struct Report: Encodable {
            var identifier: String
            var issuerKeyConfigured: Bool
            var freeParticipants: Int
            var installed: Bool
            var valid: Bool
            var licensee: String?
            var licenseeIsThisProfile: Bool?
            var maximumParticipants: Int?
            var expiry: String?
            var expiryUnix: Int64?
            var problem: String?
        }

        func run() throws {
            logging.bootstrap()
            let store = try ProfileStore()
            let identifier = try store.identifier()
            let profile = try store.load()
            let status = try LicenseStore(directory: store.directory).status(profile: profile, identifier: identifier)
            var report = Report(
                identifier: Profile.identifierText(identifier), issuerKeyConfigured: profile.issuerKey != nil,
                freeParticipants: CallPolicy.freeParticipants, installed: false, valid: false)
            var license: Entitlement?
            switch status {
            case .none: break
            case .valid(let entitlement):
                report.installed = true
                report.valid = true
                license = entitlement
            case .invalid(let entitlement, let problem):
                report.installed = true
                report.problem = "\(problem)"
                license = entitlement
            }
            if let license {
                report.licensee = Profile.identifierText(license.licensee)
                report.licenseeIsThisProfile = license.licensee == identifier
                report.maximumParticipants = license.maximumParticipants
                report.expiry = PolicyText.date(license.expiry)
                report.expiryUnix = license.expiry
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            print("Profile identifier: \(report.identifier) (give it to the license issuer)")
            if !report.issuerKeyConfigured {
                print("No license issuer key is configured: licenses cannot be checked (`parley init --issuer-key`, or \"issuerKey\" in profile.json).")
            }
            guard report.installed else {
                print("No license installed: calls of up to \(CallPolicy.freeParticipants) people need none; group calls need one (`parley license install`).")
                return
            }
            if let license {
                let whose = license.licensee == identifier ? "this profile" : "another profile (\(report.licensee ?? ""))"
                print("License for \(whose): group calls of up to \(license.maximumParticipants) people until \(report.expiry ?? "").")
            }
            print(report.valid ? "Status: valid" : "Status: not valid: \(report.problem ?? "")")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issuer: sign a license for a profile identifier; prints the parley-license: code.",
            discussion: """
                Example:
                  parley license issue --issuer-key-file issuer.key --licensee <identifier> --max-participants 4 --expires 30d
                """)
        @OptionGroup var logging: LoggingOptions

        @Option(name: .long, help: ArgumentHelp("The issuer key file made by `parley license issuer-key`.", valueName: "FILE"))
        var issuerKeyFile: String

        // Unconditional: a base64url identifier may start with "-".
        @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("The licensee's profile identifier (`parley license show` prints it).", valueName: "ID"))
        var licensee: String

        @Option(name: .long, help: ArgumentHelp("Most people in a call (3 to 8).", valueName: "N"))
        var maxParticipants: Int

        @Option(name: .long, help: ArgumentHelp("How long the license is valid (90s, 30m, 24h, 30d, at most 365d).", valueName: "DURATION"))
        var expires: String = "30d"

        func run() throws {
            logging.bootstrap()
            let seconds = try PolicyText.seconds(expires, option: "--expires")
            guard let identifier = Profile.identifierBytes(licensee) else {
                throw CLIError.invalidValue(
                    option: "--licensee", value: String(licensee.prefix(60)),
                    expected: "give the licensee's 32-byte profile identifier in base64url, as `parley license show` prints it")
            }
            let issuer = try SigningKeyFile.load(from: issuerKeyFile, purpose: .issuer)
            let license = try Entitlement.create(
                issuerKey: issuer, licensee: identifier, maximumParticipants: maxParticipants, expiresIn: .seconds(seconds))
            print(license.text)
        }
    }

    struct IssuerKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issuer-key",
            abstract: "Issuer: make a license issuer key pair file; prints its public key.",
            discussion: """
                Writes the key pair to a new file (mode 0600; an existing file is never \
                replaced). Profiles trust it with `parley init --issuer-key <public key>`.

                Example:
                  parley license issuer-key --out issuer.key
                """)
        @OptionGroup var logging: LoggingOptions

        @Option(name: .long, help: ArgumentHelp("The new key file.", valueName: "FILE"))
        var out: String

        func run() throws {
            logging.bootstrap()
            let keyPair = try SigningKeyFile.create(at: out, purpose: .issuer)
            print("Issuer public key: \(PolicyText.key(keyPair.publicKey))")
            print("Created \(out) (mode 0600); keep it secret: it signs licenses.")
            print("Profiles trust it with: parley init --name NAME --issuer-key \(PolicyText.key(keyPair.publicKey))")
        }
    }
}
