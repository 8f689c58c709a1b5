/// The one-line stats summary of a sending side (`parley send --stats-interval`): what went
/// out in the interval and what the receiver's RTCP reports say came through.
///
///     t=2.0s sent: audio 100 pkts 31 kbit/s | video 60 pkts 792 kbit/s, 3 resent | remote: lost 1.2% jitter 3.1ms RTT 2.0ms
public enum SenderSummaryLine {
    public static func format(_ current: StatsSample, previous: StatsSample?) -> String {
        let seconds = max(1e-9, current.timestamp - (previous?.timestamp ?? 0))
        var parts: [String] = []
        for stream in current.outbound {
            let before = previous?.outbound.first { $0.ssrc == stream.ssrc }
            let packets = stream.packetsSent - (before?.packetsSent ?? 0)
            let bytes = stream.bytesSent - (before?.bytesSent ?? 0)
            let resent = stream.retransmittedPacketsSent - (before?.retransmittedPacketsSent ?? 0)
            var text = "\(stream.kind) \(packets) pkts \(Int((Double(bytes * 8) / seconds / 1000).rounded())) kbit/s"
            if resent > 0 { text += ", \(resent) resent" }
            parts.append(text)
        }
        var line = "t=\(String(format1: current.timestamp))s sent: " + (parts.isEmpty ? "nothing" : parts.joined(separator: " | "))
        if let remote = current.remoteInbound.first {
            line += " | remote: lost \(String(format1: remote.fractionLost * 100))%"
            line += " jitter \(String(format1: remote.jitter * 1000))ms"
            if let rtt = remote.roundTripTime { line += " RTT \(String(format1: rtt * 1000))ms" }
        }
        return line
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 value: Double) {
        guard value.isFinite else { self = "-"; return }
        let tenths = (value * 10).rounded()
        let sign = tenths < 0 ? "-" : ""
        let magnitude = Int(abs(tenths))
        self = "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }
}
