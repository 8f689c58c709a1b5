import Foundation
import ParleyEngine

/// The short human summaries of `parley send` and `parley receive`.
enum CallSummary {
    private static func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

    static func text(_ r: SendReport) -> String {
        var lines = ["Parley \(r.parleyVersion) send to \(r.destination) — \(r.completed ? "completed" : "STOPPED: \(r.error ?? "")")",
                     "  SRTP \(r.srtpSuite), \(f(r.mediaSeconds, 2)) s of media in \(f(r.durationSeconds, 2)) s; SDP \(r.sdp)"]
        for s in r.streams {
            lines.append("")
            lines.append("\(s.kind.capitalized)  \(s.codec) pt \(s.payloadType) ssrc \(String(format: "%08x", s.ssrc)) -> \(s.destination)")
            lines.append("  sent        \(s.framesEncoded) frames" + (s.keyFramesEncoded.map { " (\($0) key)" } ?? "")
                + ", \(s.packetsSent) packets, \(s.bytesSent) bytes" + (s.retransmittedPackets > 0 ? ", \(s.retransmittedPackets) resent" : "")
                + (s.transportFailures > 0 ? ", \(s.transportFailures) send failures" : ""))
            var rtcp = "  RTCP        \(s.rtcp.reportsSent) reports sent, \(s.rtcp.receiverReportsReceived) RR received"
            if let rtt = s.rtcp.roundTripTime { rtcp += ", RTT \(f(rtt * 1000, 2)) ms" }
            if let lost = s.rtcp.remotePacketsLost { rtcp += ", receiver lost \(lost)" }
            if let jitter = s.rtcp.remoteJitter { rtcp += ", jitter \(f(jitter * 1000, 2)) ms" }
            if s.rtcp.nackPacketsReceived > 0 || s.rtcp.pliReceived > 0 { rtcp += ", NACK \(s.rtcp.nackPacketsReceived), PLI \(s.rtcp.pliReceived)" }
            lines.append(rtcp)
        }
        if let capture = r.capture { lines.append(""); lines.append("Wrote \(capture)") }
        return lines.joined(separator: "\n")
    }

    static func text(_ r: ReceiveReport) -> String {
        var lines = ["Parley \(r.parleyVersion) receive — \(r.completed ? "completed" : "STOPPED: \(r.error ?? "")") (\(r.stopReason))",
                     "  SRTP \(r.srtpSuite), \(f(r.durationSeconds, 2)) s from the first packet to the last; SDP \(r.sdp)"]
        for s in r.streams {
            lines.append("")
            lines.append("\(s.kind.capitalized)  \(s.codec) pt \(s.payloadType)" + (s.ssrc.map { " ssrc \(String(format: "%08x", $0))" } ?? "")
                + " on \(s.localEndpoint)" + (s.remote.map { " from \($0)" } ?? ""))
            lines.append("  packets     \(s.packetsReceived) received, \(s.packetsLost) lost, jitter \(f(s.jitter * 1000, 2)) ms")
            var frames = "  frames      \(s.framesDecoded) decoded"
            if let c = s.framesConcealed { frames += ", \(c) concealed" }
            frames += ", \(s.decodeErrors) decode errors"
            if let d = s.durationSeconds { frames += ", \(f(d, 2)) s" }
            if let w = s.width, let h = s.height { frames += ", \(w)x\(h)" }
            lines.append(frames)
            let srtp = s.srtp
            if srtp.dropped > 0 {
                lines.append("  refused     \(srtp.srtpAuthenticationFailures) SRTP authentication, \(srtp.srtpReplayFailures) replay, "
                    + "\(srtp.srtpMalformedPackets + srtp.srtpOtherFailures) malformed/other, \(srtp.unknownPayloadType) unknown payload type")
            }
            lines.append("  RTCP        \(s.rtcp.senderReportsReceived) SR received, \(s.rtcp.reportsSent) reports sent, PLI \(s.rtcp.pliSent)"
                + (s.rtcp.goodbyesReceived > 0 ? ", BYE" : ""))
        }
        lines.append("")
        let written = [r.outputs.audio, r.outputs.video, r.outputs.capture, r.outputs.report].compactMap { $0 }
        lines.append("Wrote " + written.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
