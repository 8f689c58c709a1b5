import ArgumentParser
import Foundation
import ParleyCodecs
import ParleyEngine
import ParleyMedia
import ParleyNetwork
import ParleySecurity

enum FileLoopbackVersion {
    static let string = FileLoopback.parleyVersion
}

/// `parley version`: Parley's version and the C libraries it runs on, read from the
/// libraries themselves — the proof that all eight link and load.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print Parley's version and the versions of the C libraries it uses."
    )

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let libraries: [(String, String)] = [
            ("libopus", CodecLibraries.opusVersion),
            ("libvpx", CodecLibraries.vpxVersion),
            ("libsrtp2", SecurityLibraries.srtpVersion),
            ("libsodium", SecurityLibraries.sodiumVersion),
            ("libqrencode", SecurityLibraries.qrencodeVersion),
            ("libnice", NetworkLibraries.niceVersion),
            ("alsa-lib", MediaLibraries.alsaVersion),
            ("speexdsp", MediaLibraries.speexdspAvailable ? "resampler available" : "resampler FAILED"),
        ]
        if json {
            var object: [String: Any] = ["parley": FileLoopback.parleyVersion]
            object["libraries"] = Dictionary(uniqueKeysWithValues: libraries)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("parley \(FileLoopback.parleyVersion)")
            for (name, version) in libraries {
                print("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(version)")
            }
        }
    }
}
