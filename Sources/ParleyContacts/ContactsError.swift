/// What can go wrong with the profile, invitations, contacts and their store. Messages say
/// what happened and what to do; none of them ever carries key material.
public enum ContactsError: Error, Equatable, CustomStringConvertible {
    /// A file of the profile or contact store could not be read or written.
    case storage(path: String, reason: String)
    /// The store's contents are not what Parley wrote (damaged, or not a Parley file).
    case corruptStore(path: String, reason: String)
    /// An invitation or acceptance that cannot be used.
    case invalidInvitation(String)
    /// Anything else, with its own message.
    case other(String)
    /// An encrypted store that does not open with the passphrase or key file given: the
    /// key is wrong, or the store was altered.
    case wrongKey(path: String)

    public var description: String {
        switch self {
        case .storage(let path, let reason):
            return "\(path): \(reason)"
        case .corruptStore(let path, let reason):
            return "\(path): the store is damaged (\(reason)); restore it from a backup or start a new profile"
        case .invalidInvitation(let reason):
            return "invitation refused: \(reason)"
        case .other(let message):
            return message
        case .wrongKey(let path):
            return "\(path): wrong passphrase or damaged store; check the passphrase or key file and try again"
        }
    }
}
