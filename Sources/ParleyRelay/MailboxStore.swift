import Dispatch
import Foundation
import NIOCore

/// The relay's mailboxes, in memory behind a lock (every locked section is short), and
/// optionally on disk (`RelayDiskStore`, written from one serial queue, never on an event
/// loop).
///
/// A deposit is checked against every limit and its room reserved under the lock; with a
/// disk store its file is then written and `fsync`ed on the I/O queue, and only after that
/// does it become visible to FETCH and is OK answered. A refused or failed deposit leaves
/// nothing behind, in memory or on disk.
final class MailboxStore: @unchecked Sendable {
    typealias Configuration = RelayServer.Configuration

    /// Bookkeeping charged per envelope against `maxTotalBytes`, besides its bytes, so that
    /// a flood of tiny envelopes cannot hold more memory than the cap says.
    static let envelopeOverhead = 64

    struct Stored {
        var id: UInt64
        var bytes: [UInt8]
        /// `configuration.clock` seconds.
        var expiry: Double
        var wallExpiryMilliseconds: UInt64
        var depositID: UInt64?

        var record: RelayStoreRecord {
            RelayStoreRecord(envelopeID: id, wallExpiryMilliseconds: wallExpiryMilliseconds, depositID: depositID, delivered: false, bytes: bytes)
        }
    }

    /// A delivered (acknowledged) envelope's deposit id, remembered until its expiry.
    struct Delivered {
        var envelopeID: UInt64
        var expiry: Double
        var wallExpiryMilliseconds: UInt64
    }

    struct Mailbox {
        var owner: [UInt8]?
        /// The claim binding being written to disk, if any.
        var ownerWrite: EventLoopFuture<String?>?
        var envelopes: [Stored] = []
        /// Bytes of stored and reserved envelopes.
        var bytes = 0
        /// Deposits whose files are being written.
        var reserved = 0
        var pending: [UInt64: EventLoopFuture<String?>] = [:]
        var delivered: [UInt64: Delivered] = [:]

        var isEmpty: Bool { owner == nil && envelopes.isEmpty && reserved == 0 && delivered.isEmpty }

        func knows(depositID: UInt64) -> Bool {
            delivered[depositID] != nil || envelopes.contains { $0.depositID == depositID }
        }
    }

    /// What the store holds (for `RelayServer.statistics()`).
    struct Totals {
        var mailboxes = 0
        var envelopes = 0
        var envelopeBytes = 0
        var chargedBytes = 0
    }

    private let lock = NSLock()
    private var mailboxes: [MailboxID: Mailbox] = [:]
    private var nextID: UInt64 = 1
    /// Envelope bytes plus `envelopeOverhead` each, stored and reserved.
    private var chargedBytes = 0
    private var envelopeCount = 0
    private var lastFullSweep = -Double.infinity
    private let configuration: Configuration
    private let disk: RelayDiskStore?
    private let io = DispatchQueue(label: "parley.relay.store")

    init(configuration: Configuration, disk: RelayDiskStore? = nil) {
        self.configuration = configuration
        self.disk = disk
        nextID = max(1, saturatingUInt64(configuration.wallClock() * 1_000_000))
    }

    private var wallNowMilliseconds: UInt64 { saturatingUInt64(configuration.wallClock() * 1000) }

    private func log(_ level: RelayLogLevel, _ message: String) { configuration.log?(level, message) }

    // MARK: Loading

    /// Fills the store from disk; returns a one-line summary.
    func load() throws(RelayError) -> String {
        guard let disk else { return "" }
        let report = try disk.load(wallNowMilliseconds: wallNowMilliseconds)
        for problem in report.skipped { log(.warning, "store: skipped \(problem)") }
        let now = configuration.clock()
        let wallNow = Double(wallNowMilliseconds) / 1000
        var envelopes = 0
        lock.withLock {
            for (id, loaded) in report.mailboxes {
                var box = Mailbox()
                box.owner = loaded.owner
                for record in loaded.records {
                    let expiry = now + (Double(record.wallExpiryMilliseconds) / 1000 - wallNow)
                    nextID = max(nextID, record.envelopeID &+ 1)
                    if record.delivered {
                        if let depositID = record.depositID {
                            box.delivered[depositID] = Delivered(
                                envelopeID: record.envelopeID, expiry: expiry, wallExpiryMilliseconds: record.wallExpiryMilliseconds)
                        }
                        continue
                    }
                    box.envelopes.append(Stored(
                        id: record.envelopeID, bytes: record.bytes, expiry: expiry,
                        wallExpiryMilliseconds: record.wallExpiryMilliseconds, depositID: record.depositID))
                    box.bytes += record.bytes.count
                    chargedBytes += record.bytes.count + Self.envelopeOverhead
                    envelopeCount += 1
                    envelopes += 1
                }
                mailboxes[id] = box
            }
        }
        let skipped = report.skipped.count
        return "loaded \(envelopes) envelope\(envelopes == 1 ? "" : "s") in \(report.mailboxes.count) mailbox\(report.mailboxes.count == 1 ? "" : "es")"
            + (report.expiredRemoved > 0 ? ", removed \(report.expiredRemoved) expired" : "")
            + (skipped > 0 ? ", skipped \(skipped) damaged or unknown file\(skipped == 1 ? "" : "s") (see the log)" : "")
    }

    // MARK: Expiry

    /// Drops expired envelopes and delivered records of one mailbox; returns their envelope ids.
    private func expire(_ box: inout Mailbox, now: Double) -> [UInt64] {
        var removed: [UInt64] = []
        if box.envelopes.contains(where: { $0.expiry <= now }) {
            var kept: [Stored] = []
            for stored in box.envelopes {
                guard stored.expiry <= now else {
                    kept.append(stored)
                    continue
                }
                removed.append(stored.id)
                box.bytes -= stored.bytes.count
                chargedBytes -= stored.bytes.count + Self.envelopeOverhead
                envelopeCount -= 1
            }
            box.envelopes = kept
        }
        for (depositID, delivered) in box.delivered where delivered.expiry <= now {
            box.delivered[depositID] = nil
            removed.append(delivered.envelopeID)
        }
        return removed
    }

    /// Puts a mailbox back, or forgets it if nothing is left in it. Call under the lock.
    private func update(_ id: MailboxID, _ box: Mailbox) {
        guard box.isEmpty else {
            mailboxes[id] = box
            return
        }
        // Forgotten: its directory goes too, if empty (queued after its last file removal,
        // and before any later write, which recreates it).
        if mailboxes.removeValue(forKey: id) != nil, let disk {
            io.async { RelayStoreFile.removeEmptyDirectory(disk.mailboxDirectory(id)) }
        }
    }

    /// Removes files of envelopes gone from memory. Call under the lock (keeps disk
    /// operations in the order of the memory changes).
    private func removeFiles(_ ids: [UInt64], mailbox: MailboxID) {
        guard let disk, !ids.isEmpty else { return }
        io.async { [configuration] in
            do { try disk.remove(envelopeIDs: ids, mailbox: mailbox) } catch {
                configuration.log?(.warning, "store: \(error)")
            }
        }
    }

    /// Removes every expired envelope (the periodic sweep); returns how many were removed.
    @discardableResult
    func sweep() -> Int {
        let now = configuration.clock()
        return lock.withLock { sweepLocked(now: now) }
    }

    /// `sweep` under the lock.
    @discardableResult
    private func sweepLocked(now: Double) -> Int {
        var count = 0
        for (id, var box) in mailboxes {
            let before = box.envelopes.count
            let removed = expire(&box, now: now)
            guard !removed.isEmpty else { continue }
            count += before - box.envelopes.count
            removeFiles(removed, mailbox: id)
            update(id, box)
        }
        return count
    }

    // MARK: Requests

    /// Nil on success, or the reason for refusing; completes on `loop` once durable.
    func deposit(mailbox: MailboxID, envelope: [UInt8], ttl: UInt32, depositID: UInt64?, on loop: EventLoop) -> EventLoopFuture<String?> {
        guard envelope.count <= configuration.maxEnvelopeBytes else { return loop.makeSucceededFuture("envelope too large") }
        guard ttl > 0 else { return loop.makeSucceededFuture("ttl must be positive") }
        let now = configuration.clock()
        let ttl = min(ttl, configuration.maxTTL)
        let (sum, overflow) = wallNowMilliseconds.addingReportingOverflow(UInt64(ttl) * 1000)
        let wallExpiry = overflow ? UInt64.max : sum
        let charge = envelope.count + Self.envelopeOverhead
        let disk = self.disk
        lock.lock()
        let isNew = mailboxes[mailbox] == nil
        var box = mailboxes[mailbox] ?? Mailbox()
        let expired = expire(&box, now: now)
        removeFiles(expired, mailbox: mailbox)
        func answer(_ reason: String?) -> EventLoopFuture<String?> {
            update(mailbox, box)
            lock.unlock()
            return loop.makeSucceededFuture(reason)
        }
        if let depositID {
            if box.knows(depositID: depositID) { return answer(nil) }
            if let pending = box.pending[depositID] {
                lock.unlock()
                return pending.hop(to: loop)
            }
        }
        if isNew && mailboxes.count >= configuration.maxMailboxes { return answer("relay full") }
        if box.envelopes.count + box.reserved >= configuration.maxEnvelopesPerMailbox { return answer("mailbox full") }
        if box.bytes + envelope.count > configuration.maxBytesPerMailbox { return answer("mailbox full") }
        if chargedBytes + charge > configuration.maxTotalBytes {
            // Expired envelopes elsewhere may hold the room: sweep now (at most once a second).
            if now - lastFullSweep >= 1 {
                lastFullSweep = now
                sweepLocked(now: now)
            }
            if chargedBytes + charge > configuration.maxTotalBytes { return answer("relay full") }
        }
        let stored = Stored(id: nextID, bytes: envelope, expiry: now + Double(ttl), wallExpiryMilliseconds: wallExpiry, depositID: depositID)
        nextID &+= 1
        box.bytes += envelope.count
        chargedBytes += charge
        guard let disk else {
            box.envelopes.append(stored)
            envelopeCount += 1
            mailboxes[mailbox] = box
            configuration.recorder?.stored(mailbox, envelope)
            lock.unlock()
            return loop.makeSucceededFuture(nil)
        }
        // Reserve the room, write, then commit (or give the room back).
        let promise = loop.makePromise(of: String?.self)
        box.reserved += 1
        if let depositID { box.pending[depositID] = promise.futureResult }
        mailboxes[mailbox] = box
        io.async { [self] in
            let failure: Error?
            do { try disk.write(stored.record, mailbox: mailbox); failure = nil } catch { failure = error }
            lock.withLock {
                guard var box = mailboxes[mailbox] else { return }
                box.reserved -= 1
                if let depositID { box.pending[depositID] = nil }
                if failure == nil {
                    let index = box.envelopes.lastIndex { $0.id < stored.id }.map { $0 + 1 } ?? 0
                    box.envelopes.insert(stored, at: index)
                    envelopeCount += 1
                    configuration.recorder?.stored(mailbox, envelope)
                } else {
                    box.bytes -= envelope.count
                    chargedBytes -= charge
                }
                update(mailbox, box)
            }
            if let failure { log(.error, "store: deposit not stored: \(failure)") }
            promise.succeed(failure == nil ? nil : "store write failed")
        }
        lock.unlock()
        return promise.futureResult
    }

    /// Binds on first claim; nil on success; completes on `loop` once durable.
    func claim(mailbox: MailboxID, publicKey: [UInt8], on loop: EventLoop) -> EventLoopFuture<String?> {
        lock.lock()
        let isNew = mailboxes[mailbox] == nil
        var box = mailboxes[mailbox] ?? Mailbox()
        if let owner = box.owner {
            lock.unlock()
            guard owner == publicKey else { return loop.makeSucceededFuture("mailbox claimed by another key") }
            return box.ownerWrite?.hop(to: loop) ?? loop.makeSucceededFuture(nil)
        }
        if isNew && mailboxes.count >= configuration.maxMailboxes {
            lock.unlock()
            return loop.makeSucceededFuture("relay full")
        }
        box.owner = publicKey
        guard let disk else {
            mailboxes[mailbox] = box
            lock.unlock()
            return loop.makeSucceededFuture(nil)
        }
        let promise = loop.makePromise(of: String?.self)
        box.ownerWrite = promise.futureResult
        mailboxes[mailbox] = box
        io.async { [self] in
            let failure: Error?
            do { try disk.writeClaim(publicKey: publicKey, mailbox: mailbox); failure = nil } catch { failure = error }
            lock.withLock {
                guard var box = mailboxes[mailbox] else { return }
                box.ownerWrite = nil
                if failure != nil, box.owner == publicKey { box.owner = nil }
                update(mailbox, box)
            }
            if let failure { log(.error, "store: claim not stored: \(failure)") }
            promise.succeed(failure == nil ? nil : "store write failed")
        }
        lock.unlock()
        return promise.futureResult
    }

    /// Envelopes fitting one frame, and whether more remain.
    func fetch(mailbox: MailboxID, budget: Int) -> ([RelayEnvelope], Bool) {
        let now = configuration.clock()
        return lock.withLock {
            guard var box = mailboxes[mailbox] else { return ([], false) }
            removeFiles(expire(&box, now: now), mailbox: mailbox)
            update(mailbox, box)
            var result: [RelayEnvelope] = []
            var used = 0
            for stored in box.envelopes {
                let size = 12 + stored.bytes.count
                if used + size > budget { return (result, true) }
                used += size
                result.append(RelayEnvelope(id: stored.id, bytes: stored.bytes))
            }
            return (result, false)
        }
    }

    /// Deletes acknowledged envelopes (their deposit ids are remembered until expiry);
    /// completes on `loop` once durable.
    func ack(mailbox: MailboxID, ids: Set<UInt64>, on loop: EventLoop) -> EventLoopFuture<Void> {
        let now = configuration.clock()
        lock.lock()
        defer { lock.unlock() }
        guard var box = mailboxes[mailbox] else { return loop.makeSucceededVoidFuture() }
        var removed = expire(&box, now: now)
        var delivered: [RelayStoreRecord] = []
        var kept: [Stored] = []
        for stored in box.envelopes {
            guard ids.contains(stored.id) else {
                kept.append(stored)
                continue
            }
            box.bytes -= stored.bytes.count
            chargedBytes -= stored.bytes.count + Self.envelopeOverhead
            envelopeCount -= 1
            if let depositID = stored.depositID {
                box.delivered[depositID] = Delivered(envelopeID: stored.id, expiry: stored.expiry, wallExpiryMilliseconds: stored.wallExpiryMilliseconds)
                var record = stored.record
                record.delivered = true
                record.bytes = []
                delivered.append(record)
            } else {
                removed.append(stored.id)
            }
        }
        box.envelopes = kept
        // Remember at most this many delivered deposit ids per mailbox; forget the oldest.
        let cap = max(16, 4 * configuration.maxEnvelopesPerMailbox)
        if box.delivered.count > cap {
            let oldest = box.delivered.sorted { $0.value.expiry < $1.value.expiry }.prefix(box.delivered.count - cap)
            for (depositID, record) in oldest {
                box.delivered[depositID] = nil
                removed.append(record.envelopeID)
                delivered.removeAll { $0.envelopeID == record.envelopeID }
            }
        }
        update(mailbox, box)
        guard let disk, !(removed.isEmpty && delivered.isEmpty) else { return loop.makeSucceededVoidFuture() }
        let promise = loop.makePromise(of: Void.self)
        io.async { [configuration, delivered, removed] in
            do {
                try disk.write(delivered, mailbox: mailbox)
                try disk.remove(envelopeIDs: removed, mailbox: mailbox)
            } catch {
                configuration.log?(.warning, "store: acknowledged envelopes may come back after a restart: \(error)")
            }
            promise.succeed(())
        }
        return promise.futureResult
    }

    /// Stored envelopes not yet expired (for tests).
    func count(mailbox: MailboxID) -> Int {
        let now = configuration.clock()
        return lock.withLock { mailboxes[mailbox]?.envelopes.filter { $0.expiry > now }.count ?? 0 }
    }

    /// What is held right now, expired or not (a sweep or a request removes the expired).
    func totals() -> Totals {
        lock.withLock {
            Totals(
                mailboxes: mailboxes.count, envelopes: envelopeCount,
                envelopeBytes: mailboxes.values.reduce(0) { $0 + $1.envelopes.reduce(0) { $0 + $1.bytes.count } },
                chargedBytes: chargedBytes)
        }
    }

    /// Waits until every queued disk write is done.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            io.async { continuation.resume() }
        }
    }
}
