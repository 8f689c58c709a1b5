import Foundation
import Testing
@testable import ParleyContacts
import ParleySecurity

private struct Payload: Codable, Equatable {
    var names: [String]
    var counter: Int
    var when: Date
}

private let sample = Payload(names: ["Ada", "Grace", "Émilie"], counter: 42, when: Date(timeIntervalSince1970: 1_700_000_000))

@Suite struct StoreEncryptedTests {
    @Test func roundTripWithPassphrase() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = EncryptedStore(path: scratch.file("contacts.store"), key: .passphrase("correct horse battery staple"))
        try store.save(sample)
        #expect(try store.load(Payload.self) == sample)
        #expect(storeFileMode(store.path) == 0o600)
        let bytes = try DurableFile.read(store.path)
        #expect(Array(bytes.prefix(8)) == Array("PARLEYS1".utf8))
        #expect(!String(decoding: bytes, as: UTF8.self).contains("Grace"))
        #expect(scratch.entries() == ["contacts.store"])
    }

    @Test func wrongPassphraseIsAClearError() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("contacts.store")
        try EncryptedStore(path: path, key: .passphrase("right")).save(sample)
        #expect(throws: ContactsError.wrongKey(path: path)) {
            try EncryptedStore(path: path, key: .passphrase("wrong")).load(Payload.self)
        }
        #expect(ContactsError.wrongKey(path: path).description.contains("wrong passphrase or damaged store"))
        // A key file cannot open a passphrase store either.
        let keyPath = scratch.file("key")
        try EncryptedStore.createKeyFile(at: keyPath)
        #expect(throws: ContactsError.self) { try EncryptedStore(path: path, key: .keyFile(path: keyPath)).load(Payload.self) }
    }

    @Test func roundTripWithKeyFileInBothAlgorithms() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let keyPath = scratch.file("store.key")
        try EncryptedStore.createKeyFile(at: keyPath)
        #expect(storeFileMode(keyPath) == 0o600)
        #expect(try DurableFile.read(keyPath).count == 32)
        #expect(throws: ContactsError.self) { try EncryptedStore.createKeyFile(at: keyPath) }
        for algorithm in AEAD.Algorithm.allCases where algorithm.isAvailable {
            let store = EncryptedStore(path: scratch.file("s-\(algorithm)"), key: .keyFile(path: keyPath), algorithm: algorithm)
            try store.save(sample)
            #expect(try store.load(Payload.self) == sample)
            #expect(storeFileMode(store.path) == 0o600)
        }
        // Another key file does not open it.
        let otherKey = scratch.file("other.key")
        try EncryptedStore.createKeyFile(at: otherKey)
        let path = scratch.file("s-\(AEAD.Algorithm.xChaCha20Poly1305)")
        #expect(throws: ContactsError.wrongKey(path: path)) {
            try EncryptedStore(path: path, key: .keyFile(path: otherKey)).load(Payload.self)
        }
        // A key file of the wrong size is refused with its size.
        let shortKey = scratch.file("short.key")
        try DurableFile.write([1, 2, 3], to: shortKey)
        #expect(throws: ContactsError.storage(path: shortKey, reason: "a key file holds 32 bytes, this one 3")) {
            try EncryptedStore(path: path, key: .keyFile(path: shortKey)).load(Payload.self)
        }
    }

    @Test func eachSaveUsesNewNonceAndSalt() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let keyPath = scratch.file("k")
        try EncryptedStore.createKeyFile(at: keyPath)
        let store = EncryptedStore(path: scratch.file("s"), key: .keyFile(path: keyPath))
        try store.save(sample)
        let first = try DurableFile.read(store.path)
        try store.save(sample)
        let second = try DurableFile.read(store.path)
        #expect(first.count == second.count)
        #expect(Array(first[10..<26]) != Array(second[10..<26]))  // salt
        #expect(Array(first[27...]) != Array(second[27...]))  // nonce and ciphertext
    }

    @Test func everySingleByteFlipIsRefused() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let keyPath = scratch.file("k")
        try EncryptedStore.createKeyFile(at: keyPath)
        for algorithm in AEAD.Algorithm.allCases where algorithm.isAvailable {
            let store = EncryptedStore(path: scratch.file("s"), key: .keyFile(path: keyPath), algorithm: algorithm)
            try store.save(sample)
            let original = try DurableFile.read(store.path)
            for index in original.indices {
                for mask: UInt8 in [0x01, 0x80, 0xFF] {
                    var damaged = original
                    damaged[index] ^= mask
                    #expect(throws: ContactsError.self, "flip \(mask) at \(index)") { try store.open(damaged) }
                }
            }
            // Through the file too, for a header byte and a ciphertext byte.
            for index in [3, original.count - 1] {
                var damaged = original
                damaged[index] ^= 0x01
                try DurableFile.write(damaged, to: store.path)
                #expect(throws: ContactsError.self) { try store.load(Payload.self) }
            }
        }
    }

    @Test func passphraseStoreRefusesFlipsInSaltAndNonce() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = EncryptedStore(path: scratch.file("s"), key: .passphrase("pw"), algorithm: .xChaCha20Poly1305)
        try store.save(sample)
        let original = try DurableFile.read(store.path)
        // Magic, version, KDF, AEAD id: refused before any key is derived.
        for index in Array(0..<10) + [26] {
            var damaged = original
            damaged[index] ^= 0x01
            #expect(throws: ContactsError.self) { try store.open(damaged) }
        }
        // One salt byte, one nonce byte, one ciphertext byte, the last tag byte.
        for index in [10, 25, 27, 50, 51, original.count - 1] {
            var damaged = original
            damaged[index] ^= 0x01
            #expect(throws: ContactsError.wrongKey(path: store.path)) { try store.open(damaged) }
        }
    }

    @Test func truncationAtEveryLengthIsRefused() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let keyPath = scratch.file("k")
        try EncryptedStore.createKeyFile(at: keyPath)
        let store = EncryptedStore(path: scratch.file("s"), key: .keyFile(path: keyPath))
        try store.save(sample)
        let original = try DurableFile.read(store.path)
        for length in 0..<original.count {
            #expect(throws: ContactsError.self, "length \(length)") { try store.open(Array(original.prefix(length))) }
        }
        // Short of the header: a corrupt store with a reason.
        #expect {
            try store.open(Array(original.prefix(20)))
        } throws: { error in
            guard case .corruptStore(_, let reason) = error as? ContactsError else { return false }
            return reason.contains("cut short")
        }
        // Extra bytes are refused too.
        #expect(throws: ContactsError.self) { try store.open(original + [0]) }
        // An empty or foreign file through load().
        try DurableFile.write([], to: store.path)
        #expect(throws: ContactsError.self) { try store.load(Payload.self) }
        try DurableFile.write(Array("{\"names\":[]}".utf8), to: store.path)
        #expect {
            try store.load(Payload.self)
        } throws: { error in
            guard case .corruptStore(_, let reason) = error as? ContactsError else { return false }
            return reason.contains("not a Parley store")
        }
    }

    @Test func failedSaveKeepsPreviousStore() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let keyPath = scratch.file("k")
        try EncryptedStore.createKeyFile(at: keyPath)
        let store = EncryptedStore(path: scratch.file("s"), key: .keyFile(path: keyPath))
        try store.save(sample)
        let broken = EncryptedStore(path: store.path, key: .keyFile(path: scratch.file("missing.key")))
        #expect(throws: ContactsError.self) { try broken.save(Payload(names: [], counter: 0, when: Date())) }
        #expect(try store.load(Payload.self) == sample)
        #expect(scratch.entries() == ["k", "s"])
    }

    @Test func missingStoreIsAStorageError() {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = EncryptedStore(path: scratch.file("none"), key: .passphrase("x"))
        #expect(!store.exists)
        #expect(throws: ContactsError.self) { try store.load(Payload.self) }
    }
}
