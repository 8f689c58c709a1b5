import Foundation
import Glibc
import Testing
@testable import ParleyContacts

/// A real crash: this test binary is run again as a child whose only job is to call
/// `DurableFile.write` in a loop (big files, alternating contents); the parent kills it
/// with SIGKILL mid-write and checks that the file is one complete version.
@Suite struct StoreKillTests {
    static let childVariable = "PARLEY_STORE_KILL_CHILD_PATH"
    static let size = 4 << 20

    static func content(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: size) }

    /// Does nothing in a normal run; in the child, writes until killed.
    @Test func childWriterLoop() throws {
        guard let path = ProcessInfo.processInfo.environment[Self.childVariable] else { return }
        var byte: UInt8 = 1
        while true {
            byte = byte == 1 ? 2 : 1
            try DurableFile.write(Self.content(byte), to: path)
        }
    }

    @Test func killedWriterLeavesACompleteFile() throws {
        let scratch = StoreScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.file("profile.json")
        try DurableFile.write(Self.content(0), to: path)
        var killedMidWrite = 0
        var sawNewContent = false
        for round in 0..<3 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            child.arguments = ["--testing-library", "swift-testing", "--filter", "childWriterLoop"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Round 0: kill during the first write. Later rounds: after at least one
            // complete write, during the next one.
            let prefix = DurableFile.temporaryPrefix(for: path)
            let deadline = Date().addingTimeInterval(30)
            func firstByte() -> UInt8? { FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 1) }?.first }
            if round > 0 {
                let before = firstByte()
                while firstByte() == before && Date() < deadline && child.isRunning { usleep(1000) }
            }
            while !scratch.entries().contains(where: { $0.hasPrefix(prefix) }) && Date() < deadline && child.isRunning {
                usleep(500)
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal, "round \(round): the child was not killed")
            if scratch.entries().contains(where: { $0.hasPrefix(prefix) }) { killedMidWrite += 1 }
            let bytes = try DurableFile.read(path)
            if bytes.first != 0 { sawNewContent = true }
            #expect(bytes.count == Self.size, "round \(round)")
            #expect(Set(bytes).count == 1, "round \(round): mixed contents")
        }
        #expect(killedMidWrite > 0, "no kill landed during a write")
        #expect(sawNewContent, "the child never completed a write")
        // The next write succeeds and removes the dead writers' temporary files.
        try DurableFile.write([7], to: path)
        #expect(try DurableFile.read(path) == [7])
        #expect(scratch.entries() == ["profile.json"])
    }
}
