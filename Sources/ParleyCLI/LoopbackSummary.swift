import Foundation
import ParleyEngine

/// The one-screen human summary of a loopback report.
enum LoopbackSummary {
    static func text(_ r: LoopbackReport) -> String {
        var lines: [String] = []
        func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        lines.append("Parley \(r.parleyVersion) loopback — \(r.completed ? "completed" : "STOPPED: \(r.error ?? "")")")
        if let a = r.audio {
            lines.append("")
            lines.append("Audio  \(r.inputs.audio ?? "")")
            lines.append("  source      \(a.sourceSampleRate) Hz, \(a.sourceChannels) ch, \(a.sourceSampleFormat) -> Opus \(a.sampleRate) Hz, \(a.channels) ch, \(a.frameDurationMilliseconds) ms frames")
            lines.append("  frames      \(a.framesEncoded) encoded, \(a.framesDecoded) decoded, \(f(a.durationSeconds, 2)) s" + (a.dtx ? ", \(a.discontinuousPackets) DTX" : ""))
            lines.append("  bitrate     \(f(a.bitrate / 1000)) kbit/s (target \(a.targetBitrate / 1000) kbit/s), packets \(f(a.packetSizeBytes.mean, 0)) B mean, \(f(a.packetSizeBytes.max, 0)) B max")
            lines.append("  CPU         encode \(f(a.encodeMicrosecondsPerFrame, 0)) µs/frame, decode \(f(a.decodeMicrosecondsPerFrame, 0)) µs/frame")
            if let j = a.jitterBuffer {
                lines.append("  delay       \(f(a.alignment.delayMilliseconds, 2)) ms mouth to ear by cross-correlation (codec \(f(a.codecDelayMilliseconds, 2)) ms + network + jitter buffer), correlation \(f(a.alignment.correlation, 3))")
                lines.append("  jitter buf  mean \(f(j.meanDelayMilliseconds, 1)) ms (target \(f(j.meanTargetDelayMilliseconds, 1)) ms); stretched -\(j.removedSamplesForAcceleration)/+\(j.insertedSamplesForDeceleration) samples; \(a.concealedFrames) frames concealed, \(j.fecPacketsRecovered) recovered by FEC, \(j.packetsDiscarded) late")
            } else {
                lines.append("  delay       \(f(a.alignment.delayMilliseconds, 2)) ms by cross-correlation (codec lookahead \(f(a.codecDelayMilliseconds, 2)) ms), correlation \(f(a.alignment.correlation, 3))")
            }
        }
        if let v = r.video {
            lines.append("")
            lines.append("Video  \(r.inputs.video ?? "")")
            lines.append("  stream      \(v.width)x\(v.height) \(f(v.frameRate, 2)) fps \(v.source.uppercased()) -> \(v.codec), cpu-used \(v.cpuUsed), \(v.threads) thread\(v.threads == 1 ? "" : "s")")
            lines.append("  frames      \(v.framesEncoded) encoded (\(v.keyFramesEncoded) key), \(v.framesDecoded) decoded")
            lines.append("  bitrate     \(f(v.bitrateKbps)) kbit/s (target \(v.targetBitrateKbps) kbit/s), frames \(f(v.frameSizeBytes.mean / 1000, 1)) kB mean, \(f(v.frameSizeBytes.max / 1000, 1)) kB max")
            lines.append("  CPU         encode \(f(v.encodeMillisecondsPerFrame, 2)) ms/frame, decode \(f(v.decodeMillisecondsPerFrame, 2)) ms/frame")
            if v.threads > 1, v.framesEncoded > 0 {
                let perFrame = { (seconds: Double) in f(seconds * 1000 / Double(v.framesEncoded), 2) }
                lines.append("              with libvpx's worker threads: encode \(perFrame(v.encodeProcessCPUSeconds)) ms/frame, decode \(perFrame(v.decodeProcessCPUSeconds)) ms/frame")
            }
            lines.append("  PSNR-Y      mean \(f(v.psnrY.mean, 2)) dB, min \(f(v.psnrY.min, 2)) dB   (YUV mean \(f(v.psnr.mean, 2)) dB)")
            lines.append("  SSIM        mean \(f(v.ssim.mean, 4)), min \(f(v.ssim.min, 4))")
        }
        if let t = r.transport {
            lines.append("")
            let sent = t.streams.map(\.packetsSent).reduce(0, +)
            let retransmitted = t.streams.map(\.retransmittedPackets).reduce(0, +)
            if let n = t.network {
                let s = n.statistics
                lines.append("Transport  RTP over SRTP (\(t.srtpSuite)), in process, emulated network \(n.profile) (seed \(n.seed))")
                lines.append("  network     \(s.packetsSent) sent, \(s.packetsLost) lost (random \(s.lostRandom), burst \(s.lostBurst), queue \(s.lostQueue), blackout \(s.lostBlackout), trace \(s.lostTrace)), \(s.packetsDuplicated) duplicated; delay mean \(f(n.meanDelay * 1000, 1)) ms, max \(f(s.maximumDelay * 1000, 1)) ms")
            } else {
                lines.append("Transport  RTP over SRTP (\(t.srtpSuite)), in process, perfect link")
            }
            lines.append("  packets     \(sent) sent\(retransmitted > 0 ? " (+\(retransmitted) resent)" : ""), \(t.receiver.packetsReceived) received, \(t.receiver.dropped) dropped; \(f(t.wireBitrate / 1000)) kbit/s on the wire")
            lines.append("  RTCP        \(t.rtcp.reportsSent) reports sent, \(t.rtcp.senderReportsReceived) SR received, NACK \(t.rtcp.nackPacketsReceived) (\(t.rtcp.retransmissionsSent) resent), PLI \(t.rtcp.pliReceived)" + (t.rtcp.roundTripTime.map { String(format: ", RTT %.1f ms", $0 * 1000) } ?? ""))
            if let k = t.keys {
                lines.append("  keys        per-SSRC from the call key schedule of \(k.caller) and \(k.callee)'s contact session (call \(k.callID.prefix(8)))")
                lines.append("  SAS         \(k.shortAuthenticationString)")
            }
            if t.receiver.dropped > 0 {
                lines.append("  drops       SRTP auth \(t.receiver.srtpAuthenticationFailures), replay \(t.receiver.srtpReplayFailures), malformed \(t.receiver.srtpMalformedPackets + t.receiver.malformedRTPPackets), unknown PT \(t.receiver.unknownPayloadType)")
            }
        }
        lines.append("")
        lines.append("Ran \(f(r.realtimeFactor, 1))x real time (\(f(r.wallSeconds, 2)) s).")
        var outputs = [r.outputs.audio, r.outputs.video, r.outputs.encodedVideo, r.outputs.capture, r.outputs.stats].compactMap { $0 }
        outputs.append(r.outputs.report)
        lines.append("Wrote " + outputs.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }
}
