import Foundation
import Glibc
import Testing
@testable import ParleyContacts

@Suite struct StoreDurableFileTests {
    @Test func writeCreatesFileWithMode0600AndReadsBack() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("a.bin")
        try DurableFile.write([1, 2, 3], to: path)
        #expect(try DurableFile.read(path) == [1, 2, 3])
        #expect(storeFileMode(path) == 0o600)
    }

    @Test func writeReplacesContentAndLeavesNoTemporaryFiles() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("state.json")
        try DurableFile.write(Array(repeating: 7, count: 100_000), to: path)
        try DurableFile.write(Array("short".utf8), to: path)
        #expect(try DurableFile.read(path) == Array("short".utf8))
        try DurableFile.write([], to: path)
        #expect(try DurableFile.read(path) == [])
        #expect(scratch.entries() == ["state.json"])
    }

    @Test func createsMissingDirectoriesWithMode0700() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("one/two/file")
        try DurableFile.write([9], to: path)
        #expect(storeFileMode(scratch.file("one")) == 0o700)
        #expect(storeFileMode(scratch.file("one/two")) == 0o700)
        #expect(try DurableFile.read(path) == [9])
    }

    /// What a writer killed mid-write leaves behind: its temporary file, complete or half
    /// written, next to the untouched target. The target still reads whole, and the next
    /// write succeeds and removes the dead writer's leftovers.
    @Test func killedWriterLeavesPreviousContentReadable() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("profile.json")
        let complete = Array(#"{"displayName":"Ada"}"#.utf8)
        try DurableFile.write(complete, to: path)

        // A process id that is not running: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let deadPID = child.processIdentifier
        let prefix = DurableFile.temporaryPrefix(for: path)
        let halfWritten = scratch.file(prefix + "\(deadPID).1a2b")
        let emptyOne = scratch.file(prefix + "\(deadPID).3c4d")
        _ = FileManager.default.createFile(atPath: halfWritten, contents: Data(#"{"displayNa"#.utf8))
        _ = FileManager.default.createFile(atPath: emptyOne, contents: Data())
        // A temporary of a live writer (this process's parent) must be left alone.
        let liveOne = scratch.file(prefix + "\(getppid()).5e6f")
        _ = FileManager.default.createFile(atPath: liveOne, contents: Data([1]))

        #expect(try DurableFile.read(path) == complete)

        let next = Array(#"{"displayName":"Grace"}"#.utf8)
        try DurableFile.write(next, to: path)
        #expect(try DurableFile.read(path) == next)
        #expect(!FileManager.default.fileExists(atPath: halfWritten))
        #expect(!FileManager.default.fileExists(atPath: emptyOne))
        #expect(FileManager.default.fileExists(atPath: liveOne))
    }

    /// A real kill: a shell loop writes into a temporary file next to the target and is
    /// killed with SIGKILL mid-write; the target is intact.
    @Test func sigkilledChildMidWriteLeavesTargetIntact() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("profile.json")
        let complete = Array(repeating: UInt8(ascii: "x"), count: 4096)
        try DurableFile.write(complete, to: path)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        let temporary = DurableFile.temporaryPrefix(for: path)
        child.arguments = ["-c", "t=\"$1/\(temporary)$$.9999\"; while :; do echo partial >> \"$t\"; done", "sh", scratch.path]
        try child.run()
        usleep(100_000)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(scratch.entries().count == 2)  // the target and the killed writer's temporary
        #expect(try DurableFile.read(path) == complete)
        try DurableFile.write([1], to: path)
        #expect(scratch.entries() == ["profile.json"])
        #expect(try DurableFile.read(path) == [1])
    }

    @Test func createOnlyNeverReplaces() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("once")
        try DurableFile.write([1], to: path, replacing: false)
        #expect {
            try DurableFile.write([2], to: path, replacing: false)
        } throws: { error in
            guard case .storage(_, let reason) = error as? ContactsError else { return false }
            return reason.contains("File exists")
        }
        #expect(try DurableFile.read(path) == [1])
        #expect(storeFileMode(path) == 0o600)
        #expect(scratch.entries() == ["once"])
    }

    @Test func failuresAreStorageErrorsWithPathAndReason() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        #expect {
            try DurableFile.read(scratch.file("missing"))
        } throws: { error in
            guard case .storage(let path, let reason) = error as? ContactsError else { return false }
            return path.hasSuffix("missing") && reason.contains("No such file")
        }
        // The parent is a file, so the directory cannot be made.
        try DurableFile.write([1], to: scratch.file("plain"))
        #expect(throws: ContactsError.self) { try DurableFile.write([1], to: scratch.file("plain/child")) }
        // A read-only directory: cannot create the temporary; nothing is left behind.
        let locked = scratch.file("locked")
        mkdir(locked, 0o500)
        defer { chmod(locked, 0o700) }
        if getuid() != 0 {
            #expect(throws: ContactsError.self) { try DurableFile.write([1], to: locked + "/f") }
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: locked)) ?? ["?"]).isEmpty)
        }
        // A directory where the file should be: rename fails, the temporary is removed.
        mkdir(scratch.file("dir"), 0o700)
        _ = FileManager.default.createFile(atPath: scratch.file("dir/inside"), contents: Data([1]))
        #expect(throws: ContactsError.self) { try DurableFile.write([1], to: scratch.file("dir")) }
        #expect(!scratch.entries().contains { $0.contains(".tmp.") })
        #expect(throws: ContactsError.self) { try DurableFile.read(scratch.file("dir")) }
    }
}
