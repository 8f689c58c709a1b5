import Foundation
import ParleyEngine
#if canImport(Glibc)
import Glibc
#endif

/// The call's live view. On a terminal: a compact panel redrawn in place every second —
/// who is in the call, who speaks, loss, jitter, RTT, MOS and bitrates per peer, and the
/// SAS. Elsewhere (a file, a pipe): one plain line per second.
final class CallPanel {
    private let sas: String?
    private let isTerminal: Bool
    private var previous: DirectCallProgress?
    private var height = 0

    /// `sas`: the five words of a 1:1 call (nil in a group call).
    init(sas: String?, terminal: Bool = CallPanel.standardOutputIsTerminal) {
        self.sas = sas
        isTerminal = terminal
    }

    static var standardOutputIsTerminal: Bool {
        isatty(1) != 0 && ProcessInfo.processInfo.environment["TERM"].map { $0 != "dumb" } ?? false
    }

    func show(_ progress: DirectCallProgress) {
        defer { previous = progress }
        guard isTerminal else {
            print(progress.line)
            return
        }
        let lines = Self.render(progress, previous: previous, sas: sas)
        // Back to the panel's first line, clear to the end of the screen, draw again.
        var text = height > 0 ? "\u{1B}[\(height)F\u{1B}[J" : ""
        text += lines.joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        height = lines.count
    }

    /// The panel's lines (bitrates from the difference with `previous`).
    static func render(_ progress: DirectCallProgress, previous: DirectCallProgress?, sas: String?) -> [String] {
        let f = DirectCallProgress.format
        let elapsed = max(0.001, progress.seconds - (previous?.seconds ?? 0))
        func rate(_ now: Int, _ before: Int?) -> String {
            guard let before else { return "-" }
            return f(Double(now - before) * 8 / elapsed / 1000, 0, 0)
        }
        var state = "in call"
        if progress.held { state = "ON HOLD" } else if progress.muted { state = "MUTED" }
        var lines = ["parley call  \(f(progress.seconds, 0, 0)) s  \(state)  sent \(progress.audioFramesSent) audio"
            + (progress.videoFramesSent.map { " + \($0) video frames" } ?? "")]
        if let sas { lines.append("SAS: \(sas)") }
        let header = ["", "peer", "loss", "jitter", "RTT", "MOS", "in kb/s", "out kb/s", "video"]
        var rows = [header]
        for peer in progress.peers {
            let before = previous?.peers.first { $0.name == peer.name }
            let total = peer.packetsReceived + max(0, peer.packetsLost)
            let loss = total > 0 ? Double(peer.packetsLost) / Double(total) * 100 : 0
            rows.append([
                peer.speaking ? "▶" : " ",
                peer.name,
                peer.open ? "\(f(loss, 1, 0)) %" : "gone",
                peer.open ? "\(f(peer.jitter * 1000, 1, 0)) ms" : "",
                peer.roundTripTime.map { "\(f($0 * 1000, 0, 0)) ms" } ?? "-",
                peer.mos.map { f($0, 2, 0) } ?? "-",
                rate(peer.bytesReceived, before?.bytesReceived),
                rate(peer.bytesSent, before?.bytesSent),
                peer.framesDecoded.map { "\($0) frames" } ?? "-",
            ])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            lines.append(row.enumerated().map { i, cell in
                i <= 1 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
        return lines
    }
}
