import ParleySecurity

/// Reads fixed fields from an invitation or acceptance, refusing short input.
struct InvitationReader {
    private let bytes: [UInt8]
    private(set) var offset = 0
    /// Builds the error for a short or malformed message.
    private let refuse: (String) -> ContactsError

    init(_ bytes: [UInt8], refuse: @escaping (String) -> ContactsError) {
        self.bytes = bytes
        self.refuse = refuse
    }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int, _ what: String) throws(ContactsError) -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw refuse("it is cut short (\(what) missing); copy the whole code again")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func byte(_ what: String) throws(ContactsError) -> UInt8 {
        try take(1, what)[0]
    }

    mutating func uint64(_ what: String) throws(ContactsError) -> UInt64 {
        try take(8, what).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
    }

    func expectEnd() throws(ContactsError) {
        guard remaining == 0 else {
            throw refuse("it has \(remaining) unexpected trailing bytes; copy exactly the code you were given")
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// Runs a ParleySecurity call, turning its error into a `ContactsError` that says what failed.
func contactsSecurity<T>(
    _ what: String, _ body: () throws(SecurityError) -> T
) throws(ContactsError) -> T {
    do {
        return try body()
    } catch {
        throw ContactsError.other("\(what) failed: \(error)")
    }
}

/// Constant-time comparison of public byte strings of equal length (false otherwise).
func bytesEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// Big-endian-free `now` in whole Unix seconds.
func unixSeconds(_ seconds: Double) -> Int64 {
    guard seconds.isFinite else { return seconds > 0 ? Int64.max : Int64.min }
    if seconds >= Double(Int64.max) { return Int64.max }
    if seconds <= Double(Int64.min) { return Int64.min }
    return Int64(seconds.rounded(.down))
}

/// Overwrites a byte array that held secret bytes with zeros.
func wipeBytes(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { buffer in
        for index in buffer.indices { buffer[index] = 0 }
    }
}
