#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The next send sequence number of one signaling direction, persisted so that a sequence
/// number (and so an AEAD nonce, which is derived from it) is never used twice under the
/// same key, even across crashes and restarts.
///
/// The file holds a *reservation limit*: every sequence number below it may already have
/// been used; none at or above it has. Before handing out a number at or past the limit,
/// the store durably writes (with `DurableFile`: temp file, fsync, rename, directory fsync)
/// a new limit `number + reserveBlock`, and only then returns the number. A crash at any
/// point therefore leaves a limit above every number ever used; the next process starts
/// at that limit. At most `reserveBlock - 1` numbers are skipped per restart, and the disk
/// is written once per `reserveBlock` messages.
///
/// One file per contact and direction key (the keys come from the contact root, not the
/// session, so the sequence continues across sessions; start a new file when the root
/// rotates): `ContactBook.sequencePath` names it
/// `$PARLEY_HOME/signaling/<contact id hex>-<key index>-<direction>.seq`. Only one store at
/// a time may use a file: two processes sharing one would reuse numbers. With
/// `exclusive: true` the store holds an advisory lock (`flock`) on `<path>.lock` for its
/// lifetime and refuses to open while another holds it. Not thread-safe; use from one task.
///
/// File format (12 bytes): "PSQ1" || limit (u64 big-endian). Sequence numbers start at 1.
public final class SignalingSequenceStore {
    private var lockDescriptor: Int32 = -1

    /// The default number of sequence numbers reserved per disk write.
    public static let defaultReserveBlock: UInt64 = 64
    static let magic = Array("PSQ1".utf8)
    static let fileLength = 12

    public let path: String
    public let reserveBlock: UInt64
    /// The number `next()` will return.
    public private(set) var nextSequence: UInt64
    /// Persisted limit: numbers below it are reserved (may have been used).
    public private(set) var reservedLimit: UInt64

    /// Opens (or, if `path` does not exist, starts) the sequence file. Nothing is written
    /// until the first `next()`.
    ///
    /// - Throws: `ContactsError.storage` if the file cannot be read,
    ///   `.corruptStore` if it is not a sequence file, `.other` for a `reserveBlock` of 0.
    /// - Parameter exclusive: hold `<path>.lock` (see above) while this store lives.
    /// - Throws: also `.storage` if `exclusive` and another store holds the lock.
    public init(
        path: String, reserveBlock: UInt64 = SignalingSequenceStore.defaultReserveBlock, exclusive: Bool = false
    ) throws(ContactsError) {
        guard reserveBlock > 0 else {
            throw ContactsError.other("a signaling sequence reservation block must be at least 1")
        }
        self.path = path
        self.reserveBlock = reserveBlock
        if exclusive {
            try DurableFile.createDirectory(DurableFile.parentDirectory(of: path))
            let lockPath = path + ".lock"
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw ContactsError.storage(path: lockPath, reason: "cannot open the lock file (errno \(errno))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                throw ContactsError.storage(
                    path: lockPath,
                    reason: "another Parley process (a call or a sync) is using this contact's signaling keys; try again when it ends")
            }
            lockDescriptor = fd
        }
        if DurableFile.exists(path) {
            let bytes = try DurableFile.read(path, limit: 4096)
            guard bytes.count == Self.fileLength, Array(bytes[0..<4]) == Self.magic else {
                throw ContactsError.corruptStore(path: path, reason: "not a Parley signaling sequence file")
            }
            var limit: UInt64 = 0
            for byte in bytes[4..<12] { limit = limit << 8 | UInt64(byte) }
            guard limit >= 1 else {
                throw ContactsError.corruptStore(path: path, reason: "sequence limit 0")
            }
            nextSequence = limit
            reservedLimit = limit
        } else {
            nextSequence = 1
            reservedLimit = 1
        }
    }

    deinit {
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// A sequence number never returned before for this file, larger than all earlier ones.
    /// It is durably reserved on disk before it is returned.
    ///
    /// - Throws: `ContactsError.storage` if the reservation cannot be written (the number
    ///   is then not used), `.other` if the 64-bit sequence space is exhausted.
    public func next() throws(ContactsError) -> UInt64 {
        let sequence = nextSequence
        guard sequence < UInt64.max else {
            throw ContactsError.other("the signaling sequence numbers of this contact are exhausted; re-add the contact")
        }
        if sequence >= reservedLimit {
            let (limit, overflow) = sequence.addingReportingOverflow(reserveBlock)
            let newLimit = overflow ? UInt64.max : limit
            var bytes = Self.magic
            bytes.appendBigEndian(newLimit)
            try DurableFile.write(bytes, to: path)
            reservedLimit = newLimit
        }
        nextSequence = sequence + 1
        return sequence
    }
}
