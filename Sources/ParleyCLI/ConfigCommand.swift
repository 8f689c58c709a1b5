import ArgumentParser
import Foundation
import ParleyContacts
import ParleyNetwork

/// The profile's network settings (`config.json` in the profile directory, mode 0600):
/// the STUN and TURN servers calls use, and the relay new invitations name. Command-line
/// options override them.
struct NetworkConfig: Codable, Equatable {
    var stun: String?
    var turn: String?
    /// The TURN server's shared secret (TURN REST credentials are made from it per call).
    var turnSecret: String?
    var turnUser: String?
    var turnPassword: String?
    var relay: String?

    static let keys = ["stun", "turn", "turn-secret", "turn-user", "turn-password", "relay"]

    static func path(_ directory: String) -> String { (directory as NSString).appendingPathComponent("config.json") }

    static func load(_ directory: String) throws -> NetworkConfig {
        let path = path(directory)
        guard DurableFile.exists(path) else { return NetworkConfig() }
        do {
            return try JSONDecoder().decode(NetworkConfig.self, from: Data(try DurableFile.read(path, limit: 1 << 16)))
        } catch {
            throw CLIError.failed("\(path) is damaged (\(error)); fix it or remove it and set the values again with `parley config set`")
        }
    }

    func save(_ directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DurableFile.write(Array(try encoder.encode(self)), to: Self.path(directory), mode: 0o600)
    }

    /// Sets `key` (checked) to `value`, nil to unset.
    mutating func set(_ key: String, _ value: String?) throws {
        if let value {
            switch key {
            case "stun", "turn":
                _ = try ICEServer(parsing: value)
            case "relay":
                _ = try RelayExchange.endpoint(value)
            default:
                guard !value.isEmpty else { throw CLIError.invalidValue(option: key, value: value, expected: "give a non-empty value") }
            }
        }
        switch key {
        case "stun": stun = value
        case "turn": turn = value
        case "turn-secret": turnSecret = value
        case "turn-user": turnUser = value
        case "turn-password": turnPassword = value
        case "relay": relay = value
        default:
            throw CLIError.invalidValue(option: "KEY", value: key, expected: "one of \(Self.keys.joined(separator: ", "))")
        }
    }

    /// What `show` prints: secrets as set/not set only.
    var lines: [String] {
        [
            "stun           \(stun ?? "(not set)")",
            "turn           \(turn ?? "(not set)")",
            "turn-secret    \(turnSecret == nil ? "(not set)" : "(set)")",
            "turn-user      \(turnUser ?? "(not set)")",
            "turn-password  \(turnPassword == nil ? "(not set)" : "(set)")",
            "relay          \(relay ?? "(not set)")",
        ]
    }
}

/// `parley config show|set|unset`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "The profile's network settings: STUN and TURN servers, the relay.",
        discussion: """
            Kept in config.json in the profile directory (mode 0600). `parley call` and \
            `parley listen` use stun, turn and its credentials unless given on the command \
            line; `parley invite` names the relay unless --relay is given. turn-secret is the \
            TURN server's shared secret (coturn --static-auth-secret): each call makes \
            time-limited TURN REST credentials from it; or give turn-user and turn-password.

            Keys: stun, turn, turn-secret, turn-user, turn-password, relay.

            Examples:
              parley config set stun 192.0.2.10:3478
              parley config set turn 192.0.2.10:3478
              parley config set turn-secret 'the shared secret'
              parley config set relay relay.example.org:7400
              parley config show
              parley config unset turn-secret
            """,
        subcommands: [Show.self, Set.self, Unset.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the settings (secrets as set or not set).")
        func run() throws {
            let store = try ProfileStore()
            _ = try store.load()
            let config = try NetworkConfig.load(store.directory)
            for line in config.lines { print(line) }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set one key.")
        @Argument(help: ArgumentHelp("stun, turn, turn-secret, turn-user, turn-password or relay.", valueName: "KEY")) var key: String
        @Argument(help: ArgumentHelp("The value: A.B.C.D[:PORT] for stun and turn, HOST:PORT for relay.", valueName: "VALUE"))
        var value: String
        func run() throws {
            let store = try ProfileStore()
            _ = try store.load()
            var config = try NetworkConfig.load(store.directory)
            try config.set(key, value)
            try config.save(store.directory)
            print("Set \(key).")
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove one key.")
        @Argument(help: ArgumentHelp("The key to remove.", valueName: "KEY")) var key: String
        func run() throws {
            let store = try ProfileStore()
            _ = try store.load()
            var config = try NetworkConfig.load(store.directory)
            try config.set(key, nil)
            try config.save(store.directory)
            print("Unset \(key).")
        }
    }
}
