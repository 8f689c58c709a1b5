import Foundation
import ParleyEngine

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var drawn = false

    init(label: String) {
        self.label = label
        enabled = isatty(STDERR_FILENO) != 0
    }

    func update(_ progress: LoopbackProgress) {
        guard enabled else { return }
        var line = "\r\(label) "
        if let fraction = progress.fraction {
            let width = 30
            let filled = Int((fraction * Double(width)).rounded(.down))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            line += String(format: "%3.0f%% ", fraction * 100)
        }
        line += String(format: "%.1f", progress.seconds)
        if let total = progress.totalSeconds { line += String(format: "/%.1f", total) }
        line += " s  audio \(progress.audioFrames)  video \(progress.videoFrames) frames"
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        drawn = true
    }

    /// Prints a line on stderr (a stats line), erasing the bar first; the next update
    /// redraws it.
    func printLine(_ line: String) {
        if enabled, drawn {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drawn = false
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        drawn = false
    }
}
