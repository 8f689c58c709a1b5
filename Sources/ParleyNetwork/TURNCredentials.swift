/// Placeholder until the TURN REST credentials land (username and password for TURN).
public struct TURNCredentials: Sendable, Equatable, Codable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}
