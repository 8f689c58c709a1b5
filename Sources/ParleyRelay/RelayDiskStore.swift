/// The relay's mailboxes on disk (`parley relay --store DIR`): one directory per mailbox,
/// one small file per envelope, one file for the claim binding (formats in
/// `RelayStoreRecord`). Every change is a crash-safe atomic write or an unlink followed
/// by a directory `fsync`, so a restart loses nothing that was answered OK, and a torn
/// or damaged file is reported and skipped on load, never trusted.
///
/// ```
/// DIR/lock                                   advisory lock: one relay per store
/// DIR/<mailbox id, 32 hex>/claim             the mailbox's claim key
/// DIR/<mailbox id, 32 hex>/<id, 16 hex>.env  one envelope (or a delivered record)
/// ```
///
/// Not thread-safe by itself: `MailboxStore` calls it from one serial queue.
final class RelayDiskStore: @unchecked Sendable {
    let directory: String
    private var lockDescriptor: Int32?

    /// The largest envelope file read on load (header, the largest envelope, checksum).
    static let readLimit = RelayStoreRecord.envelopeHeaderLength + RelayFrame.maxLength + 4

    /// Opens (creating if needed) and locks the store directory.
    init(directory: String) throws(RelayError) {
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard !path.isEmpty else { throw RelayError.store(path: directory, reason: "empty path") }
        self.directory = path
        if try RelayStoreFile.createDirectory(path) {
            try RelayStoreFile.syncDirectory(RelayStoreFile.parentDirectory(of: path))
        }
        lockDescriptor = try RelayStoreFile.lock(RelayStoreFile.join(path, "lock"))
    }

    /// Releases the lock (the server stopped).
    func close() {
        if let fd = lockDescriptor { RelayStoreFile.unlock(fd) }
        lockDescriptor = nil
    }

    deinit { close() }

    struct LoadedMailbox {
        var owner: [UInt8]?
        var records: [RelayStoreRecord] = []
    }

    struct LoadReport {
        var mailboxes: [MailboxID: LoadedMailbox] = [:]
        /// "path: reason" for each file skipped as damaged or unknown.
        var skipped: [String] = []
        var expiredRemoved = 0
    }

    /// Reads every mailbox. Expired records and leftover temporary files are removed;
    /// damaged files are reported in `skipped` and left in place for inspection.
    func load(wallNowMilliseconds: UInt64) throws(RelayError) -> LoadReport {
        var report = LoadReport()
        for name in try RelayStoreFile.list(directory) {
            let path = RelayStoreFile.join(directory, name)
            if name == "lock" { continue }
            if name.hasPrefix(RelayStoreFile.temporaryPrefix) {
                try? RelayStoreFile.remove(path)
                continue
            }
            guard let mailbox = MailboxID(hex: name), RelayStoreFile.isDirectory(path) else {
                report.skipped.append("\(path): not a mailbox directory")
                continue
            }
            var loaded = LoadedMailbox()
            var kept = 0
            let names: [String]
            do { names = try RelayStoreFile.list(path) } catch {
                report.skipped.append("\(path): \(error)")
                continue
            }
            for file in names {
                let filePath = RelayStoreFile.join(path, file)
                if file.hasPrefix(RelayStoreFile.temporaryPrefix) {
                    try? RelayStoreFile.remove(filePath)
                    continue
                }
                kept += 1
                if file == RelayStoreRecord.claimName {
                    let data: [UInt8]
                    do { data = try RelayStoreFile.read(filePath, limit: 64) } catch {
                        report.skipped.append("\(filePath): \(reasonOf(error)); the mailbox is unbound until its next claim")
                        continue
                    }
                    switch RelayStoreRecord.decodeClaim(data) {
                    case .success(let key): loaded.owner = key
                    case .failure(let problem):
                        report.skipped.append("\(filePath): \(problem.reason); the mailbox is unbound until its next claim")
                    }
                    continue
                }
                guard file.hasSuffix(RelayStoreRecord.envelopeSuffix) else {
                    report.skipped.append("\(filePath): not an envelope file")
                    continue
                }
                let data: [UInt8]
                do { data = try RelayStoreFile.read(filePath, limit: Self.readLimit) } catch {
                    report.skipped.append("\(filePath): \(reasonOf(error))")
                    continue
                }
                switch RelayStoreRecord.decode(data) {
                case .failure(let problem):
                    report.skipped.append("\(filePath): \(problem.reason)")
                case .success(let record):
                    guard RelayStoreRecord.fileName(envelopeID: record.envelopeID) == file else {
                        report.skipped.append("\(filePath): holds envelope \(record.envelopeID), not the one its name says")
                        continue
                    }
                    if record.wallExpiryMilliseconds <= wallNowMilliseconds {
                        try? RelayStoreFile.remove(filePath)
                        report.expiredRemoved += 1
                        kept -= 1
                    } else {
                        loaded.records.append(record)
                    }
                }
            }
            if kept == 0 {
                RelayStoreFile.removeEmptyDirectory(path)
            } else if loaded.owner != nil || !loaded.records.isEmpty {
                loaded.records.sort { $0.envelopeID < $1.envelopeID }
                report.mailboxes[mailbox] = loaded
            }
        }
        if report.expiredRemoved > 0 { try? RelayStoreFile.syncDirectory(directory) }
        return report
    }

    private func reasonOf(_ error: RelayError) -> String {
        if case .store(_, let reason) = error { return reason }
        return error.description
    }

    func mailboxDirectory(_ mailbox: MailboxID) -> String {
        RelayStoreFile.join(directory, mailbox.description)
    }

    private func ensureMailboxDirectory(_ mailbox: MailboxID) throws(RelayError) -> String {
        let path = mailboxDirectory(mailbox)
        if try RelayStoreFile.createDirectory(path) { try RelayStoreFile.syncDirectory(directory) }
        return path
    }

    /// Writes (or replaces) one envelope or delivered record, durably.
    func write(_ record: RelayStoreRecord, mailbox: MailboxID) throws(RelayError) {
        let path = try ensureMailboxDirectory(mailbox)
        try RelayStoreFile.write(record.encoded(), to: RelayStoreFile.join(path, RelayStoreRecord.fileName(envelopeID: record.envelopeID)))
    }

    /// Replaces several records, then syncs the directory once.
    func write(_ records: [RelayStoreRecord], mailbox: MailboxID) throws(RelayError) {
        guard !records.isEmpty else { return }
        let path = try ensureMailboxDirectory(mailbox)
        for record in records {
            try RelayStoreFile.write(
                record.encoded(), to: RelayStoreFile.join(path, RelayStoreRecord.fileName(envelopeID: record.envelopeID)),
                syncDirectory: false)
        }
        try RelayStoreFile.syncDirectory(path)
    }

    func writeClaim(publicKey: [UInt8], mailbox: MailboxID) throws(RelayError) {
        let path = try ensureMailboxDirectory(mailbox)
        try RelayStoreFile.write(RelayStoreRecord.encodeClaim(publicKey: publicKey), to: RelayStoreFile.join(path, RelayStoreRecord.claimName))
    }

    /// Removes envelope files (missing ones are fine), then syncs the directory once.
    func remove(envelopeIDs: [UInt64], mailbox: MailboxID) throws(RelayError) {
        guard !envelopeIDs.isEmpty else { return }
        let path = mailboxDirectory(mailbox)
        guard RelayStoreFile.isDirectory(path) else { return }
        for id in envelopeIDs {
            try RelayStoreFile.remove(RelayStoreFile.join(path, RelayStoreRecord.fileName(envelopeID: id)))
        }
        try RelayStoreFile.syncDirectory(path)
    }
}
