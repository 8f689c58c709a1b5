import Foundation

/// Finds the fixtures that `parley loopback` uses when given no input: `$PARLEY_FIXTURES`,
/// else a `Fixtures/` folder above the executable (a build tree inside the repository),
/// else the repository this binary was built from.
enum BundledFixtures {
    static let speech = "speech-48k-mono.wav"
    static let video = "motion-640x360.ivf"

    static func directory() throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PARLEY_FIXTURES"], !env.isEmpty {
            candidates.append(env)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("Fixtures").path)
            dir.deleteLastPathComponent()
        }
        var source = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { source.deleteLastPathComponent() }
        candidates.append(source.appendingPathComponent("Fixtures").path)
        for candidate in candidates
        where FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent(speech)) {
            return candidate
        }
        throw CLIError.fixturesNotFound(searched: candidates)
    }
}
