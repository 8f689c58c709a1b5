import Foundation

/// The local identity: a display name and nothing else that identifies a person (no phone
/// number, no e-mail). Stored as `profile.json` in the profile directory.
public struct Profile: Codable, Equatable, Sendable {
    /// The most bytes (UTF-8) of a display name.
    public static let maximumNameBytes = 64

    public var displayName: String
    public var created: Date
    /// A supervised profile's guardian: their Ed25519 public key, base64.
    public var supervisedBy: String?
    /// The key of the issuer whose entitlements this profile trusts, base64.
    public var issuerKey: String?
    /// This profile's random 32-byte identifier, unpadded base64url: the subject of its
    /// guardian's approvals and the licensee of its licenses. Shared only with the guardian
    /// and the license issuer, never put in invitations. Profiles made before it existed
    /// have none until `ProfileStore.identifier()` makes one.
    public var identifier: String?

    public init(
        displayName: String, created: Date = Date(), supervisedBy: String? = nil, issuerKey: String? = nil,
        identifier: String? = nil
    ) {
        self.displayName = displayName
        self.created = created
        self.supervisedBy = supervisedBy
        self.issuerKey = issuerKey
        self.identifier = identifier
    }

    /// Checks a display name: not empty or blank, at most 64 UTF-8 bytes, no control
    /// characters. Returns it unchanged.
    public static func validate(name: String) throws(ContactsError) -> String {
        guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ContactsError.other("the display name is empty; give one with --name NAME")
        }
        let bytes = name.utf8.count
        guard bytes <= maximumNameBytes else {
            throw ContactsError.other(
                "the display name is \(bytes) bytes long; use at most \(maximumNameBytes) bytes (UTF-8)")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ContactsError.other("the display name contains control characters; use printable text")
        }
        return name
    }
}

/// The profile directory: `$PARLEY_HOME`, else `~/.parley`, or one given explicitly.
/// Directories are created with mode 0700, files with mode 0600.
public struct ProfileStore: Sendable {
    public static let profileFileName = "profile.json"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The store at `$PARLEY_HOME`, or `$HOME/.parley`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ContactsError) {
        self.directory = try Self.defaultDirectory(environment: environment)
    }

    /// `$PARLEY_HOME` if set and not empty, else `$HOME/.parley`.
    public static func defaultDirectory(environment: [String: String]) throws(ContactsError) -> String {
        if let home = environment["PARLEY_HOME"], !home.isEmpty { return home }
        if let home = environment["HOME"], !home.isEmpty { return DurableFile.join(home, ".parley") }
        throw ContactsError.other("neither PARLEY_HOME nor HOME is set; set PARLEY_HOME to the profile directory")
    }

    /// `directory/profile.json`.
    public var profilePath: String { DurableFile.join(directory, Self.profileFileName) }

    /// True if a profile exists here.
    public var exists: Bool { DurableFile.exists(profilePath) }

    /// Creates a new profile named `name`, with a fresh random identifier, optionally
    /// supervised by a guardian and trusting a license issuer (Ed25519 public keys, base64
    /// or base64url; see `Profile.validatePublicKey`).
    ///
    /// - Throws: `.other` for an empty, blank or over-long name, a key that is not an
    ///   Ed25519 public key, or if a profile already exists here; `.storage` if it cannot
    ///   be written.
    @discardableResult
    public func create(
        name: String, created: Date = Date(), supervisedBy: String? = nil, issuerKey: String? = nil
    ) throws(ContactsError) -> Profile {
        // Whole seconds: what the ISO 8601 file keeps, so the returned value equals a reload.
        let seconds = Date(timeIntervalSince1970: created.timeIntervalSince1970.rounded(.down))
        let guardian = try supervisedBy.map { key throws(ContactsError) in
            try Profile.validatePublicKey(key, what: "the guardian key (--supervised-by)", source: "`parley guardian key` prints it on the guardian's side")
        }
        let issuer = try issuerKey.map { key throws(ContactsError) in
            try Profile.validatePublicKey(key, what: "the license issuer key (--issuer-key)", source: "the issuer gives it out")
        }
        let profile = Profile(
            displayName: try Profile.validate(name: name), created: seconds, supervisedBy: guardian, issuerKey: issuer,
            identifier: ParleyURI.base64URLEncode(try Profile.newIdentifier()))
        guard !exists else {
            throw ContactsError.other("a profile already exists in \(directory); use it, or remove that directory first")
        }
        do {
            try save(profile, replacing: false)
        } catch {
            if exists {  // created by someone else meanwhile
                throw ContactsError.other("a profile already exists in \(directory); use it, or remove that directory first")
            }
            throw error
        }
        return profile
    }

    /// Replaces the stored profile (atomically).
    public func save(_ profile: Profile) throws(ContactsError) {
        try save(profile, replacing: true)
    }

    private func save(_ profile: Profile, replacing: Bool) throws(ContactsError) {
        _ = try Profile.validate(name: profile.displayName)
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            data = try encoder.encode(profile)
        } catch {
            throw ContactsError.other("cannot encode the profile: \(error)")
        }
        try DurableFile.createDirectory(directory)
        try DurableFile.write(Array(data) + [0x0A], to: profilePath, mode: 0o600, replacing: replacing)
    }

    /// The stored profile.
    ///
    /// - Throws: `.other` if there is none (run `parley init`), `.storage` if it cannot be
    ///   read, `.corruptStore` if it is not a valid profile.
    public func load() throws(ContactsError) -> Profile {
        guard exists else {
            throw ContactsError.other("no profile in \(directory); create one with `parley init --name NAME`")
        }
        let bytes = try DurableFile.read(profilePath, limit: 1 << 20)
        let profile: Profile
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            profile = try decoder.decode(Profile.self, from: Data(bytes))
        } catch {
            throw ContactsError.corruptStore(path: profilePath, reason: "not a valid profile file")
        }
        do {
            _ = try Profile.validate(name: profile.displayName)
        } catch {
            throw ContactsError.corruptStore(path: profilePath, reason: "\(error)")
        }
        if let identifier = profile.identifier, Profile.identifierBytes(identifier) == nil {
            throw ContactsError.corruptStore(
                path: profilePath, reason: "its identifier is not \(Profile.identifierLength) bytes of base64url")
        }
        return profile
    }
}
