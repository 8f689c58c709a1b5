import CSodium

// libsodium declares its pointer parameters nonnull; an empty Swift array may have no
// base address. These give every call a valid pointer: the array's own, or a one-byte
// dummy when it is empty (the call is then told the length is 0).

extension Array where Element == UInt8 {
    /// Calls `body` with a non-null pointer to the bytes.
    func withBytePointer<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return body(base) }
            var dummy: UInt8 = 0
            return withUnsafePointer(to: &dummy) { body($0) }
        }
    }

    /// Calls `body` with a non-null writable pointer to the bytes.
    mutating func withMutableBytePointer<R>(_ body: (UnsafeMutablePointer<UInt8>) -> R) -> R {
        withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { return body(base) }
            var dummy: UInt8 = 0
            return withUnsafeMutablePointer(to: &dummy) { body($0) }
        }
    }
}

extension SecretBytes {
    /// Calls `body` with a non-null pointer to the secret bytes.
    func withBytePointer<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        withUnsafeBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Calls `body` with a non-null writable pointer to the secret bytes.
    func withMutableBytePointer<R>(_ body: (UnsafeMutablePointer<UInt8>) -> R) -> R {
        withUnsafeMutableBytes { raw in body(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
    }
}
