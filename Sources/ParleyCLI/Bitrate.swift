import ArgumentParser
import Foundation

/// A bitrate on the command line: `32000`, `32k`, `1.5M` (bits per second).
struct Bitrate: ExpressibleByArgument, CustomStringConvertible {
    var bitsPerSecond: Int

    init(bitsPerSecond: Int) { self.bitsPerSecond = bitsPerSecond }

    init?(argument: String) {
        var text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        for suffix in ["bps", "bit/s", "b/s"] where text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        var scale = 1.0
        if text.hasSuffix("k") { scale = 1e3; text.removeLast() } else if text.hasSuffix("m") { scale = 1e6; text.removeLast() }
        guard let value = Double(text), value.isFinite, value >= 0, value * scale < Double(Int32.max) else { return nil }
        bitsPerSecond = Int((value * scale).rounded())
    }

    var description: String {
        bitsPerSecond % 1000 == 0 ? "\(bitsPerSecond / 1000)k" : "\(bitsPerSecond)"
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
