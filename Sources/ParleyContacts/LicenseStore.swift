import Foundation
import ParleySecurity

/// The profile's installed paid-tier license: `license.token` in the profile directory
/// (the `parley-license:` text, mode 0600, written atomically). Only a license that
/// verifies against the profile's issuer key, for this profile's identifier and not
/// expired, is installed.
public struct LicenseStore: Sendable {
    public static let fileName = "license.token"

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `directory/license.token`.
    public var path: String { DurableFile.join(directory, Self.fileName) }

    /// True if a license is installed.
    public var exists: Bool { DurableFile.exists(path) }

    /// Checks the license `text` for `profile` (whose identifier is `identifier`) and
    /// installs it, replacing any installed one.
    ///
    /// - Throws: `ContactsError.licenseInstallRefused` with `.noIssuerConfigured`,
    ///   `.damaged`, `.wrongIssuer`, `.anotherLicensee` or `.expired` (nothing is written);
    ///   `.other` for a damaged issuer key in the profile; `.storage` if it cannot be written.
    @discardableResult
    public func install(text: String, profile: Profile, identifier: [UInt8], now: Date = Date()) throws(ContactsError) -> Entitlement {
        let entitlement: Entitlement
        do throws(ContactsError) {
            entitlement = try Entitlement.parse(text: text)
            guard let issuerText = profile.issuerKey else { throw ContactsError.invalidLicense(.noIssuerConfigured) }
            let issuerKey = try CallPolicy.publicKey(base64: issuerText, what: "license issuer key")
            try entitlement.verify(issuerPublicKey: issuerKey, licensee: identifier, now: now)
        } catch {
            if case .invalidLicense(let problem) = error { throw ContactsError.licenseInstallRefused(problem) }
            throw error
        }
        try DurableFile.write(Array((entitlement.text + "\n").utf8), to: path, mode: 0o600)
        return entitlement
    }

    /// The installed license's text, or nil if none is installed.
    public func loadText() throws(ContactsError) -> String? {
        guard exists else { return nil }
        let bytes = try DurableFile.read(path, limit: 4096)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the installed license is worth to `profile` at `now`.
    public enum Status: Equatable, Sendable {
        /// None is installed (calls of up to two people need none).
        case none
        /// Installed and valid.
        case valid(Entitlement)
        /// Installed but unusable (read if it could be), and why.
        case invalid(Entitlement?, LicenseProblem)
    }

    /// The installed license, checked as a call would check it (signature against the
    /// profile's issuer key, licensee, expiry).
    ///
    /// - Throws: `.storage` if the file cannot be read, `.other` for a damaged issuer key in
    ///   the profile.
    public func status(profile: Profile, identifier: [UInt8], now: Date = Date()) throws(ContactsError) -> Status {
        guard let text = try loadText() else { return .none }
        let entitlement: Entitlement
        do {
            entitlement = try Entitlement.parse(text: text)
        } catch {
            if case .invalidLicense(let problem) = error { return .invalid(nil, problem) }
            throw error
        }
        guard let issuerText = profile.issuerKey else { return .invalid(entitlement, .noIssuerConfigured) }
        let issuerKey = try CallPolicy.publicKey(base64: issuerText, what: "license issuer key")
        do {
            try entitlement.verify(issuerPublicKey: issuerKey, licensee: identifier, now: now)
        } catch {
            if case .invalidLicense(let problem) = error { return .invalid(entitlement, problem) }
            throw error
        }
        return .valid(entitlement)
    }
}

extension LicenseProblem {
    /// The problem of a license offered for installation (rather than an installed one).
    public var installDescription: String {
        switch self {
        case .missing:
            return "there is no license in what was given"
        case .noIssuerConfigured:
            return "this profile has no license issuer key configured, so no license can be checked; give the issuer's public key when creating the profile (`parley init --name NAME --issuer-key ISSUER_PUBKEY`) or set \"issuerKey\" (base64) in profile.json"
        case .damaged(let reason):
            return "it is damaged or was altered (\(reason)); copy the whole license again"
        case .wrongIssuer:
            return "it is signed by another issuer than the one this profile trusts (\"issuerKey\" in profile.json); ask that issuer for the license"
        case .anotherLicensee:
            return "it was issued for another profile; give the issuer this profile's identifier (`parley license show` prints it) and install the license issued for it"
        case .expired(let at):
            return "it expired at \(ContactsError.utcTimestamp(at)) (Unix time \(at)); ask the issuer for a new one"
        case .tooSmall(let maximum):
            return "it allows at most \(maximum) participants"
        }
    }
}
