import Foundation
import Testing
@testable import ParleyContacts

@Suite struct ProfileTests {
    @Test func createThenLoad() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.file("home/.parley"))
        #expect(!store.exists)
        let created = try store.create(name: "Ada Lovelace")
        let loaded = try store.load()
        #expect(loaded == created)
        #expect(loaded.displayName == "Ada Lovelace")
        #expect(loaded.supervisedBy == nil && loaded.issuerKey == nil)
        #expect(abs(loaded.created.timeIntervalSinceNow) < 60)
        #expect(storeFileMode(store.profilePath) == 0o600)
        #expect(storeFileMode(store.directory) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["profile.json"])
    }

    @Test func saveKeepsOptionalKeys() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        var profile = try store.create(name: "Kid")
        profile.supervisedBy = "bWFkZSB1cCBndWFyZGlhbiBrZXk="
        profile.issuerKey = "aXNzdWVy"
        try store.save(profile)
        #expect(try store.load() == profile)
    }

    @Test func refusesEmptyAndBlankNames() {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        for name in ["", "   ", "\n\t"] {
            #expect(throws: ContactsError.self) { try store.create(name: name) }
        }
        #expect(throws: ContactsError.self) { try store.create(name: "bell\u{7}") }
        #expect(!store.exists)
    }

    @Test func refusesNamesOver64Bytes() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        #expect(throws: ContactsError.self) { try store.create(name: String(repeating: "a", count: 65)) }
        // 33 two-byte characters: 33 characters but 66 bytes.
        #expect(throws: ContactsError.self) { try store.create(name: String(repeating: "é", count: 33)) }
        #expect(!store.exists)
        try store.create(name: String(repeating: "é", count: 32))
        #expect(try store.load().displayName.utf8.count == 64)
    }

    @Test func refusesExistingProfile() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        try store.create(name: "First")
        #expect(throws: ContactsError.self) { try store.create(name: "Second") }
        #expect(try store.load().displayName == "First")
    }

    @Test func loadWithoutProfileOrCorruptProfileIsAClearError() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let store = ProfileStore(directory: scratch.path)
        #expect {
            try store.load()
        } throws: { error in
            "\(error)".contains("parley init --name NAME")
        }
        try DurableFile.write(Array("{\"displayName\":".utf8), to: store.profilePath)
        #expect(throws: ContactsError.corruptStore(path: store.profilePath, reason: "not a valid profile file")) {
            try store.load()
        }
    }

    @Test func directoryFromEnvironment() throws {
        #expect(try ProfileStore(environment: ["PARLEY_HOME": "/x/p", "HOME": "/home/u"]).directory == "/x/p")
        #expect(try ProfileStore(environment: ["HOME": "/home/u"]).directory == "/home/u/.parley")
        #expect(try ProfileStore(environment: ["PARLEY_HOME": "", "HOME": "/home/u/"]).directory == "/home/u/.parley")
        #expect(throws: ContactsError.self) { try ProfileStore(environment: [:]) }
    }
}
