import Foundation

extension ContactBook.Contact {
    /// The short id commands show and accept: the first 4 bytes of the contact id
    /// (the invitation id), as 8 lowercase hex digits.
    public var shortID: String {
        hex(Array((Data(base64Encoded: id).map { Array($0) } ?? []).prefix(4)))
    }

    /// The index of the current root (0 for stores written before rotation existed).
    public var currentKeyIndex: UInt32 { keyIndex ?? 0 }
}

extension ContactBook {
    /// The index in `contacts` of the contact named by `nameOrID`: its short id
    /// (`Contact.shortID`, any case) or its display name (exact; else ignoring case).
    /// Surrounding whitespace is ignored.
    ///
    /// - Throws: `.contactNotFound` if nothing matches, `.contactAmbiguous` (naming the
    ///   matches' short ids) if several contacts do at the first step that matches any.
    public func resolve(_ nameOrID: String) throws(ContactsError) -> Int {
        let query = nameOrID.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { throw ContactsError.contactNotFound(nameOrID) }
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
