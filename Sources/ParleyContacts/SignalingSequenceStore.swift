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
/// rotates). Only one store at a time may use a file: two processes sharing one would
/// reuse numbers. Not thread-safe; use from one task.
///
/// File format (12 bytes): "PSQ1" || limit (u64 big-endian). Sequence numbers start at 1.
public final class SignalingSequenceStore {
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
    public init(path: String, reserveBlock: UInt64 = SignalingSequenceStore.defaultReserveBlock) throws(ContactsError) {
        guard reserveBlock > 0 else {
            throw ContactsError.other("a signaling sequence reservation block must be at least 1")
        }
        self.path = path
        self.reserveBlock = reserveBlock
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
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: newLimit >> UInt64(shift))) }
            try DurableFile.write(bytes, to: path)
            reservedLimit = newLimit
        }
        nextSequence = sequence + 1
        return sequence
    }
}
