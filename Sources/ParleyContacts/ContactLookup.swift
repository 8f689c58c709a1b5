import Foundation

extension ContactBook.Contact {
    /// The index of the current root (0 for stores written before rotation existed).
    public var currentKeyIndex: UInt32 { keyIndex ?? 0 }
}

extension ContactBook {
    /// The index in `contacts` of the contact named by `nameOrID`: its full id (base64),
    /// its short id (`Contact.shortID`, the first 4 bytes of the id in hex, any case) or its
    /// display name (exact; else ignoring case). Surrounding whitespace is ignored.
    /// (`contactIndex(matching:)` is the same lookup.)
    ///
    /// - Throws: `.contactNotFound` if nothing matches, `.contactAmbiguous` (naming the
    ///   matches' short ids) if several contacts do at the first step that matches any.
    public func resolve(_ nameOrID: String) throws(ContactsError) -> Int {
        let query = nameOrID.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { throw ContactsError.contactNotFound(nameOrID) }
        if let index = contacts.firstIndex(where: { $0.id == query }) { return index }
        let lowered = query.lowercased()
        let exact = contacts.indices.filter {
            contacts[$0].shortID == lowered || contacts[$0].displayName == query
        }
        let matches = exact.isEmpty
            ? contacts.indices.filter { contacts[$0].displayName?.lowercased() == lowered }
            : exact
        guard let first = matches.first else { throw ContactsError.contactNotFound(query) }
        guard matches.count == 1 else {
            throw ContactsError.contactAmbiguous(query, matches: matches.map { contacts[$0].shortID })
        }
        return first
    }
}
