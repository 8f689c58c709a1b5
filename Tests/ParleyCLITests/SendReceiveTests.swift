import Foundation
import ParleyTestSupport
import Testing

/// `parley send` → `parley receive` over UDP on 127.0.0.1, both as subprocesses.
@Suite(.serialized)
struct SendReceiveTests {
    @Test(arguments: ["aes-gcm", "aes-cm-hmac-sha1-80"])
    func sendToReceiveAudioAndVideo(suite: String) throws {
        let dir = try CallTestSupport.scratch("sendrecv")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir)
        let y4m = try CallTestSupport.movingY4M(in: dir)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let out = dir.appendingPathComponent("rx")
        let send = try RunningProcess.parley(["send", "--audio", wav.path, "--video", y4m.path, "--to", "127.0.0.1:\(port)",
                                              "--sdp", sdp.path, "--suite", suite, "--start-delay", "1", "--json",
                                              "--stats-interval", "1s"])
        #expect(CallTestSupport.waitForFile(sdp), "parley send wrote no SDP")
        let stats = dir.appendingPathComponent("stats.jsonl")
        let receive = try ParleyExecutable.run(["receive", "--sdp", sdp.path, "--out", out.path, "--wait", "6", "--idle", "3", "--json",
                                                "--stats-interval", "1s", "--stats-json", stats.path])
        let sent = send.finish(timeout: 10)
        #expect(sent.status == 0, "send: \(sent.stderr)")
        #expect(receive.status == 0, "receive: \(receive.stderr)")

        let report = try CallTestSupport.json(out.appendingPathComponent("report.json"))
        #expect(report["completed"] as? Bool == true)
        #expect(report["stopReason"] as? String == "bye")
        let streams = CallTestSupport.streams(report)
        let audio = try #require(streams["audio"])
        let video = try #require(streams["video"])
        for stream in [audio, video] {
            for key in ["packetsReceived", "packetsLost", "jitter", "framesDecoded", "decodeErrors", "srtp", "rtcp"] {
                #expect(stream[key] != nil, "report.json streams lack \(key)")
            }
            let srtp = try #require(stream["srtp"] as? [String: Any])
            #expect(srtp["srtpAuthenticationFailures"] as? Int == 0)
            #expect(srtp["srtpReplayFailures"] as? Int == 0)
            #expect(stream["decodeErrors"] as? Int == 0)
            #expect(stream["packetsLost"] as? Int == 0)
        }
        let (seconds, rms) = try CallTestSupport.wavDurationAndRMS(out.appendingPathComponent("received.wav"))
        #expect(abs(seconds - 2.5) <= 0.25, "received \(seconds) s of audio, sent 2.5 s")
        #expect(rms > 0.05, "received audio RMS \(rms)")
        // The sender's live stats: what went out each second and what RTCP says came through.
        let sendLines = sent.stderr.split(separator: "\n").filter { $0.hasPrefix("t=") }
        #expect(sendLines.count >= 2, "send stats: \(sent.stderr)")
        #expect(sendLines.allSatisfy { $0.contains("sent: audio") && $0.contains("| video") })
        // The last line shows the receiver's view exactly when a receiver report reached the
        // sender (whether one arrives within a 2.5 s call depends on RTCP's randomized
        // interval, so the report says which case this run is).
        let sendReport = try #require(try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])
        let reported = CallTestSupport.streams(sendReport).values.contains { stream in
            let rtcp = stream["rtcp"] as? [String: Any]
            return rtcp?["roundTripTime"] != nil || rtcp?["remoteFractionLost"] != nil
        }
        #expect(sendLines.last?.contains("| remote: lost") == reported, "report says receiver reports: \(reported)")
        // Live stats: a line a second on stderr, the same samples in the JSON-lines file.
        let statLines = receive.stderr.split(separator: "\n").filter { $0.hasPrefix("t=") }
        #expect(statLines.count >= 2, "stats lines: \(receive.stderr)")
        #expect(statLines.allSatisfy { $0.contains("audio: recv") && $0.contains("video:") && $0.contains("MOS") })
        let samples = try String(contentsOf: stats, encoding: .utf8).split(separator: "\n")
        #expect(samples.count == statLines.count)
        let lastSample = try #require(try JSONSerialization.jsonObject(with: Data(samples.last!.utf8)) as? [String: Any])
        let lastAudio = try #require((lastSample["inboundAudio"] as? [[String: Any]])?.first)
        #expect(lastAudio["packetsReceived"] as? Int == audio["packetsReceived"] as? Int)
        let frames = try CallTestSupport.y4mFrameCount(out.appendingPathComponent("received.y4m"))
        #expect(frames >= 36, "decoded \(frames) of 45 video frames")
        #expect(video["framesDecoded"] as? Int == frames)

        // The sender's report: what it sent and what the receiver's RTCP said.
        let sendStreams = CallTestSupport.streams(sendReport)
        #expect(sendStreams["audio"]?["packetsSent"] as? Int == audio["packetsReceived"] as? Int)
        #expect(sendStreams["video"]?["packetsSent"] as? Int == video["packetsReceived"] as? Int)
        // The SDP names the suite and carries the key; the key is never printed.
        let sdpText = try String(contentsOf: sdp, encoding: .utf8)
        #expect(sdpText.contains(suite == "aes-gcm" ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80"))
        let b64 = Data(try CallTestSupport.sdpKey(sdpText)).base64EncodedString()
        #expect(!sent.stdout.contains(b64) && !sent.stderr.contains(b64) && !receive.stdout.contains(b64) && !receive.stderr.contains(b64))
    }

    @Test func receiveWithTheJitterBufferPlaysThePacedStreamOnTheWallClock() throws {
        let dir = try CallTestSupport.scratch("sendrecv-jb")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let out = dir.appendingPathComponent("rx")
        let stats = dir.appendingPathComponent("stats.jsonl")
        let send = try RunningProcess.parley(["send", "--audio", wav.path, "--to", "127.0.0.1:\(port)",
                                              "--sdp", sdp.path, "--start-delay", "1", "--json"])
        #expect(CallTestSupport.waitForFile(sdp), "parley send wrote no SDP")
        let receive = try ParleyExecutable.run(["receive", "--sdp", sdp.path, "--out", out.path, "--wait", "6", "--idle", "2",
                                                "--jitter-buffer", "--stats-json", stats.path, "--json"])
        let sent = send.finish(timeout: 10)
        #expect(sent.status == 0, "send: \(sent.stderr)")
        #expect(receive.status == 0, "receive: \(receive.stderr)")
        // The playout clock ran from the first packet until the stream stopped: about the
        // length sent, plus the buffer's start delay, not the idle wait.
        let (seconds, rms) = try CallTestSupport.wavDurationAndRMS(out.appendingPathComponent("received.wav"))
        #expect(seconds >= 2.3 && seconds <= 3.2, "played \(seconds) s for 2.5 s sent")
        #expect(rms > 0.05)
        let lines = try String(contentsOf: stats, encoding: .utf8).split(separator: "\n")
        let lastLine = try #require(lines.last)
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
        let audio = try #require((last["inboundAudio"] as? [[String: Any]])?.first)
        #expect((audio["jitterBufferEmittedCount"] as? Int ?? 0) > 48_000, "the jitter buffer played the audio")
        #expect((audio["jitterBufferDelay"] as? Double ?? 0) > 0)
    }

    @Test func aSenderThatVanishesMidCallEndsTheReceiveCleanlyWithItsStatsSaved() throws {
        let dir = try CallTestSupport.scratch("sendrecv-vanish")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir, seconds: 6)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let out = dir.appendingPathComponent("rx")
        let stats = dir.appendingPathComponent("stats.jsonl")
        let send = try RunningProcess.parley(["send", "--audio", wav.path, "--to", "127.0.0.1:\(port)",
                                              "--sdp", sdp.path, "--start-delay", "0.5"])
        #expect(CallTestSupport.waitForFile(sdp), "parley send wrote no SDP")
        let receive = try RunningProcess.parley(["receive", "--sdp", sdp.path, "--out", out.path, "--wait", "6", "--idle", "1.5",
                                                 "--stats-interval", "500ms", "--stats-json", stats.path, "--json"])
        Thread.sleep(forTimeInterval: 2.5)
        send.kill()  // the peer vanishes: no BYE, no more packets
        _ = send.finish(timeout: 5)
        let received = receive.finish(timeout: 15)
        #expect(received.status == 0, "receive: \(received.stderr)")
        let report = try CallTestSupport.json(out.appendingPathComponent("report.json"))
        #expect(report["completed"] as? Bool == true)
        #expect(report["stopReason"] as? String == "idle", "ended by the idle timeout, not a BYE")
        let (seconds, _) = try CallTestSupport.wavDurationAndRMS(out.appendingPathComponent("received.wav"))
        #expect(seconds > 0.5 && seconds < 3.5, "kept what arrived: \(seconds) s")
        // Every stats line is complete and parses, the last one taken after the stop.
        let lines = try String(contentsOf: stats, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
    }

    @Test func wrongKeyIsCountedAsAuthenticationFailures() throws {
        let dir = try CallTestSupport.scratch("wrongkey")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir, seconds: 1.5)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let send = try RunningProcess.parley(["send", "--audio", wav.path, "--to", "127.0.0.1:\(port)", "--sdp", sdp.path, "--start-delay", "1"])
        #expect(CallTestSupport.waitForFile(sdp))
        var text = try String(contentsOf: sdp, encoding: .utf8)
        let key = try CallTestSupport.sdpKey(text)
        let wrong = key.map { $0 ^ 0x5A }
        text = text.replacingOccurrences(of: Data(key).base64EncodedString(), with: Data(wrong).base64EncodedString())
        let edited = dir.appendingPathComponent("wrong.sdp")
        try text.write(to: edited, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("rx")
        let receive = try ParleyExecutable.run(["receive", "--sdp", edited.path, "--out", out.path, "--wait", "6", "--idle", "1.5"])
        _ = send.finish(timeout: 10)
        #expect(receive.status == 1, "a receive that decrypted nothing must fail cleanly: \(receive.stderr)")
        #expect(receive.stderr.hasPrefix("parley: error: "))
        #expect(receive.stderr.contains("authentication failed") && receive.stderr.contains("a=crypto"), "\(receive.stderr)")
        let report = try CallTestSupport.json(out.appendingPathComponent("report.json"))
        #expect(report["completed"] as? Bool == false)
        let audio = try #require(CallTestSupport.streams(report)["audio"])
        let srtp = try #require(audio["srtp"] as? [String: Any])
        #expect((srtp["srtpAuthenticationFailures"] as? Int ?? 0) >= 50, "\(srtp)")
        #expect(audio["packetsReceived"] as? Int == 0)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("received.wav").path))
    }

    @Test func sendPcapShowsLosslessRTPStreamsInTshark() throws {
        try #require(RunningProcess.isInstalled("tshark"), "tshark is missing: run Tools/install-deps test")
        let dir = try CallTestSupport.scratch("pcap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir, seconds: 2)
        let y4m = try CallTestSupport.movingY4M(in: dir, frames: 30)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let pcap = dir.appendingPathComponent("sent.pcap")
        let send = try ParleyExecutable.run(["send", "--audio", wav.path, "--video", y4m.path, "--to", "127.0.0.1:\(port)",
                                             "--sdp", sdp.path, "--pcap", pcap.path])
        #expect(send.status == 0, "\(send.stderr)")
        let ssrcs = CallTestSupport.sdpSSRCs(try String(contentsOf: sdp, encoding: .utf8))
        #expect(ssrcs.count == 2)
        let tshark = try RunningProcess("tshark", ["-r", pcap.path, "-d", "udp.port==\(port),rtp", "-d", "udp.port==\(port + 2),rtp",
                                                   "-q", "-z", "rtp,streams"]).finish(timeout: 30)
        #expect(tshark.status == 0, "\(tshark.stderr)")
        // Rows: start end srcIP srcPort dstIP dstPort SSRC payload pkts lost (pct) …
        var found: [UInt32: (packets: Int, lost: Int)] = [:]
        for line in tshark.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 10, f[6].hasPrefix("0x"), let ssrc = UInt32(f[6].dropFirst(2), radix: 16),
                  let packets = Int(f[8]), let lost = Int(f[9]) else { continue }
            found[ssrc] = (packets, lost)
        }
        for ssrc in ssrcs {
            let row = try #require(found[ssrc], "tshark shows no RTP stream with SSRC \(ssrc):\n\(tshark.stdout)")
            #expect(row.lost == 0 && row.packets >= 25, "SSRC \(ssrc): \(row)")
        }
    }

    @Test func badArgumentsAndSDPsAreClearErrors() throws {
        let dir = try CallTestSupport.scratch("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir, seconds: 0.2)
        let sdp = dir.appendingPathComponent("out.sdp")
        func refused(_ arguments: [String], _ words: [String]) throws {
            let r = try ParleyExecutable.run(arguments)
            #expect(r.status != 0, "\(arguments): \(r.stderr)")
            #expect(r.stderr.hasPrefix("parley: error: "), "\(arguments): \(r.stderr)")
            for word in words { #expect(r.stderr.contains(word), "\(arguments) should mention \(word): \(r.stderr)") }
        }
        try refused(["send", "--audio", wav.path, "--to", "localhost", "--sdp", sdp.path], ["--to", "A.B.C.D:PORT"])
        try refused(["send", "--audio", wav.path, "--to", "127.0.0.1:5004", "--sdp", sdp.path, "--key", "AAAA"], ["28"])
        #expect(!FileManager.default.fileExists(atPath: sdp.path), "a refused send must not write its SDP")
        let missing = dir.appendingPathComponent("missing.sdp").path
        try refused(["receive", "--sdp", missing, "--out", dir.appendingPathComponent("o").path], ["no such file"])
        let bad = dir.appendingPathComponent("bad.sdp")
        try "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio x RTP/SAVP 111\n".write(to: bad, atomically: true, encoding: .utf8)
        try refused(["receive", "--sdp", bad.path], ["line 6"])
        let plain = dir.appendingPathComponent("plain.sdp")
        try "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n".write(to: plain, atomically: true, encoding: .utf8)
        try refused(["receive", "--sdp", plain.path], ["only receives SRTP", "a=crypto"])
        let pcmu = dir.appendingPathComponent("pcmu.sdp")
        try "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 5004 RTP/SAVP 0\na=rtpmap:0 PCMU/8000\n".write(to: pcmu, atomically: true, encoding: .utf8)
        try refused(["receive", "--sdp", pcmu.path], ["opus"])
        // A port in use.
        let port = try CallTestSupport.freePortPair()
        let holder = try RunningProcess.parley(["receive", "--sdp", plainKeyed(dir, port: port).path, "--out", dir.appendingPathComponent("h").path, "--wait", "4"])
        Thread.sleep(forTimeInterval: 0.5)
        try refused(["receive", "--sdp", plainKeyed(dir, port: port).path, "--out", dir.appendingPathComponent("h2").path], ["\(port)", "choose another port"])
        holder.kill()
        _ = holder.finish(timeout: 2)
    }

    private func plainKeyed(_ dir: URL, port: UInt16) throws -> URL {
        let url = dir.appendingPathComponent("keyed-\(port).sdp")
        let key = Data((0..<30).map { UInt8($0) }).base64EncodedString()
        try "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio \(port) RTP/SAVP 111\na=rtpmap:111 opus/48000/2\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key)\n"
            .write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
