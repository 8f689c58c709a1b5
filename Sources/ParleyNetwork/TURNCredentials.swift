import Foundation

/// Time-limited TURN credentials in the "TURN REST API" scheme
/// (draft-uberti-behave-turn-rest; coturn's `--use-auth-secret --static-auth-secret=SECRET`):
/// username = "<unix expiry timestamp>:<user>",
/// password = base64(HMAC-SHA1(key: SECRET, message: username)).
/// The server recomputes the password from the username and rejects it once the
/// timestamp has passed, so the secret itself never leaves the server side.
public struct TURNCredentials: Sendable, Equatable, Codable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Credentials for `user` that the TURN server accepts until `expiresAt`
    /// (whole seconds, rounded down).
    public static func rest(secret: String, user: String, expiresAt: Date) -> TURNCredentials {
        let username = "\(unixSeconds(expiresAt.timeIntervalSince1970)):\(user)"
        let mac = HMACSHA1.authenticate(key: Array(secret.utf8), message: Array(username.utf8))
        return TURNCredentials(username: username, password: Data(mac).base64EncodedString())
    }

    /// Credentials for `user` valid for `seconds` from `now`.
    public static func rest(secret: String, user: String, validFor seconds: Double, now: Date = Date()) -> TURNCredentials {
        rest(secret: secret, user: user, expiresAt: now.addingTimeInterval(seconds))
    }

    /// Seconds since 1970, rounded down and clamped to Int64 (NaN is 0), so odd dates
    /// give an expired or far-future timestamp instead of a crash.
    static func unixSeconds(_ t: Double) -> Int64 {
        guard !t.isNaN else { return 0 }
        let limit = 9.2e18  // just under Int64.max, exactly representable as a Double
        return Int64(min(max(t.rounded(.down), -limit), limit))
    }
}
