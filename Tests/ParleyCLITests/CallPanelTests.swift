@testable import ParleyCLI
import ParleyEngine
import Testing

@Suite("The live call panel and the control commands")
struct CallPanelTests {
    static func progress(seconds: Double, received: Int, sent: Int, speaking: Bool = true, open: Bool = true) -> DirectCallProgress {
        DirectCallProgress(
            seconds: seconds, audioFramesSent: 50 * Int(seconds), videoFramesSent: nil, muted: false, held: false,
            peers: [
                DirectCallProgress.Peer(name: "3f2a Bob", open: true, packetsReceived: 95, packetsLost: 5, jitter: 0.0042,
                                        roundTripTime: 0.031, mos: 4.12, bytesReceived: received, bytesSent: sent,
                                        framesDecoded: 60, speaking: speaking),
                DirectCallProgress.Peer(name: "9c1d Carol", open: open, packetsReceived: 100, packetsLost: 0, jitter: 0.001,
                                        roundTripTime: nil, mos: nil, bytesReceived: 0, bytesSent: 0, framesDecoded: nil, speaking: false),
            ])
    }

    @Test("a row per peer with who speaks, loss, jitter, RTT, MOS and bitrates from the last second; the SAS on top")
    func panelRows() {
        let first = Self.progress(seconds: 1, received: 4_000, sent: 8_000)
        let second = Self.progress(seconds: 2, received: 8_000, sent: 16_000)
        let lines = CallPanel.render(second, previous: first, sas: "fox basket alley camera bucket")
        #expect(lines[0].hasPrefix("parley call  2 s  in call  sent 100 audio"))
        #expect(lines[1] == "SAS: fox basket alley camera bucket")
        let bob = lines.first { $0.contains("Bob") } ?? ""
        #expect(bob.hasPrefix("▶"), "\(bob)")
        for part in ["5.0 %", "4.2 ms", "31 ms", "4.12", " 32 ", " 64 ", "60 frames"] { #expect(bob.contains(part), "\(part) in \(bob)") }
        let carol = lines.first { $0.contains("Carol") } ?? ""
        #expect(!carol.hasPrefix("▶") && carol.contains(" - "), "\(carol)")
        // Columns line up: every row has the same width up to the last column.
        #expect(Set(lines.dropFirst(2).map { $0.count }).count <= 2, "\(lines)")
        let gone = CallPanel.render(Self.progress(seconds: 3, received: 0, sent: 0, open: false), previous: nil, sas: nil)
        #expect(gone.contains { $0.contains("Carol") && $0.contains("gone") } && !gone.contains { $0.hasPrefix("SAS") })
    }

    @Test("not a terminal: the plain line")
    func plainLine() {
        let line = Self.progress(seconds: 2, received: 1, sent: 1).line
        #expect(line.hasPrefix("  2.0 s  sent 100") && line.contains("| 3f2a Bob:  received 95  lost 5  jitter 4.2 ms  RTT 31.0 ms"), "\(line)")
        #expect(line.contains("| 9c1d Carol:  received 100"), "\(line)")
    }

    @Test("control commands parse, and bad ones say what is wrong")
    func controlCommands() throws {
        #expect(try ControlChannel.parse(#"{"command": "mute", "id": 3}"#) == .init(id: "3", command: .mute))
        #expect(try ControlChannel.parse(#"{"command":"add","contact":"Carol"}"#).command == .add(contact: "Carol"))
        for (text, message) in [("[1]", "not a JSON object"), (#"{"id": 1}"#, "no \"command\""), (#"{"command": "fly"}"#, "unknown command 'fly'"),
                                (#"{"command": "add"}"#, "add needs a \"contact\"")] {
            #expect(throws: (any Error).self) { try ControlChannel.parse(text) }
            do { _ = try ControlChannel.parse(text) } catch { #expect("\(error)".contains(message), "\(error)") }
        }
    }
}
