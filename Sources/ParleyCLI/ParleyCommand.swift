import ArgumentParser

public struct ParleyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "End-to-end encrypted peer-to-peer audio/video calls, and the tools to measure them.",
        subcommands: [BenchCommand.self]
    )
    public init() {}
}
