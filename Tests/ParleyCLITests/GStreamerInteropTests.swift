import Foundation
import ParleyTestSupport
import Testing

/// GStreamer (gst-launch-1.0, srtpenc/srtpdec) as the other side of a Parley call, both
/// ways, with both SRTP suites. GStreamer is installed by `Tools/install-deps test`; a
/// machine without it fails these tests rather than skipping them.
@Suite(.serialized)
struct GStreamerInteropTests {
    struct Suite: Sendable, CustomTestStringConvertible {
        var cli: String
        var sdp: String
        var keyLength: Int
        var cipher: String
        var auth: String
        var testDescription: String { sdp }
    }

    static let suites = [
        Suite(cli: "aes-cm-hmac-sha1-80", sdp: "AES_CM_128_HMAC_SHA1_80", keyLength: 30, cipher: "aes-128-icm", auth: "hmac-sha1-80"),
        Suite(cli: "aes-gcm", sdp: "AEAD_AES_128_GCM", keyLength: 28, cipher: "aes-128-gcm", auth: "null"),
    ]

    static func requireGStreamer() throws {
        try #require(RunningProcess.isInstalled("gst-launch-1.0"),
                     "GStreamer is missing (gst-launch-1.0 not in PATH): run Tools/install-deps test")
        for element in ["srtpenc", "srtpdec", "rtpopuspay", "rtpvp8depay", "opusenc", "vp8enc", "wavenc", "y4menc"] {
            let r = try RunningProcess("gst-inspect-1.0", ["--exists", element]).finish(timeout: 20)
            try #require(r.status == 0, "GStreamer element \(element) is missing: run Tools/install-deps test")
        }
    }

    /// parley send → gst-launch-1.0 udpsrc ! srtpdec ! depay ! decode ! wavenc / y4menc.
    @Test(arguments: suites)
    func parleySendsGStreamerReceives(suite: Suite) throws {
        try Self.requireGStreamer()
        let dir = try CallTestSupport.scratch("gst-rx")
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = try CallTestSupport.toneWAV(in: dir)
        let y4m = try CallTestSupport.movingY4M(in: dir)
        let port = try CallTestSupport.freePortPair()
        let sdp = dir.appendingPathComponent("call.sdp")
        let send = try RunningProcess.parley(["send", "--audio", wav.path, "--video", y4m.path, "--to", "127.0.0.1:\(port)",
                                              "--sdp", sdp.path, "--suite", suite.cli, "--start-delay", "2.5"])
        try #require(CallTestSupport.waitForFile(sdp), "parley send wrote no SDP")
        let text = try String(contentsOf: sdp, encoding: .utf8)
        let key = CallTestSupport.hex(try CallTestSupport.sdpKey(text))
        let ssrcs = CallTestSupport.sdpSSRCs(text)
        try #require(ssrcs.count == 2)
        func caps(media: String, pt: Int, rate: Int, name: String, ssrc: UInt32) -> String {
            "application/x-srtp,media=\(media),payload=(int)\(pt),clock-rate=(int)\(rate),encoding-name=\(name),ssrc=(uint)\(ssrc),"
                + "srtp-key=(buffer)\(key),srtp-cipher=\(suite.cipher),srtp-auth=\(suite.auth),srtcp-cipher=\(suite.cipher),srtcp-auth=\(suite.auth)"
        }
        let outWAV = dir.appendingPathComponent("gst.wav")
        let outY4M = dir.appendingPathComponent("gst.y4m")
        // srtpdec sends the SRTCP that shares the port (rtcp-mux) to its rtcp_src: link it.
        let pipeline = "udpsrc port=\(port) address=127.0.0.1 caps=\"\(caps(media: "audio", pt: 111, rate: 48000, name: "OPUS", ssrc: ssrcs[0]))\" "
            + "! srtpdec name=a a.rtp_src ! rtpopusdepay ! opusdec ! audioconvert ! wavenc ! filesink location=\(outWAV.path) a.rtcp_src ! fakesink async=false "
            + "udpsrc port=\(port + 2) address=127.0.0.1 caps=\"\(caps(media: "video", pt: 96, rate: 90000, name: "VP8", ssrc: ssrcs[1]))\" "
            + "! srtpdec name=v v.rtp_src ! rtpvp8depay ! vp8dec ! videoconvert ! video/x-raw,format=I420 ! y4menc ! filesink location=\(outY4M.path) v.rtcp_src ! fakesink async=false"
        // The test process may hand its children SIGINT blocked or ignored; gst-launch needs
        // it (with -e, SIGINT becomes EOS), so restore it before exec.
        let unblock = "import os, signal, shlex, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT]); "
            + "signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('gst-launch-1.0', ['gst-launch-1.0', '-e'] + shlex.split(sys.argv[1]))"
        let gst = try RunningProcess("python3", ["-c", unblock, pipeline])
        let sent = send.finish(timeout: 12)
        #expect(sent.status == 0, "send: \(sent.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        // -e: SIGINT sends EOS, so wavenc writes its final header. srtpdec does not pass EOS
        // to its rtcp_src branch, so gst-launch may then wait forever: kill it after the EOS.
        gst.interrupt()
        let r = gst.finish(timeout: 3)
        let (seconds, rms) = try CallTestSupport.wavDurationAndRMS(outWAV)
        #expect(abs(seconds - 2.5) <= 0.25, "GStreamer decoded \(seconds) s of audio, sent 2.5 s; \(r.stdout) \(r.stderr)")
        #expect(rms > 0.05, "GStreamer's audio RMS \(rms)")
        let frames = try CallTestSupport.y4mFrameCount(outY4M)
        #expect(frames >= 36, "GStreamer decoded \(frames) of 45 video frames")
    }

    /// gst-launch-1.0 … ! srtpenc ! udpsink → parley receive with a hand-written SDP.
    @Test(arguments: suites)
    func gstreamerSendsParleyReceives(suite: Suite) throws {
        try Self.requireGStreamer()
        let dir = try CallTestSupport.scratch("gst-tx")
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = try CallTestSupport.freePortPair()
        let key = (0..<suite.keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let b64 = Data(key).base64EncodedString()
        // Payload types other than Parley's own: found by a=rtpmap.
        let sdp = dir.appendingPathComponent("gst.sdp")
        try """
            v=0
            o=- 1 1 IN IP4 127.0.0.1
            s=GStreamer
            c=IN IP4 127.0.0.1
            t=0 0
            m=audio \(port) RTP/SAVP 100
            a=rtpmap:100 OPUS/48000/2
            a=crypto:1 \(suite.sdp) inline:\(b64)
            m=video \(port + 2) RTP/SAVP 97
            a=rtpmap:97 VP8/90000
            a=crypto:1 \(suite.sdp) inline:\(b64)

            """.write(to: sdp, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("rx")
        let receive = try RunningProcess.parley(["receive", "--sdp", sdp.path, "--out", out.path, "--wait", "8", "--idle", "1.5", "--json"])
        Thread.sleep(forTimeInterval: 0.5)
        let srtp = "srtpenc key=\(CallTestSupport.hex(key)) rtp-cipher=\(suite.cipher) rtp-auth=\(suite.auth) rtcp-cipher=\(suite.cipher) rtcp-auth=\(suite.auth)"
        let gst = try RunningProcess("gst-launch-1.0", [
            "audiotestsrc", "num-buffers=100", "samplesperbuffer=960", "is-live=true", "!", "audio/x-raw,rate=48000,channels=1", "!",
            "opusenc", "!", "rtpopuspay", "pt=100", "!"] + srtp.split(separator: " ").map(String.init) + [
            "!", "udpsink", "host=127.0.0.1", "port=\(port)",
            "videotestsrc", "num-buffers=45", "is-live=true", "!", "video/x-raw,width=160,height=96,framerate=30/1", "!",
            "vp8enc", "deadline=1", "!", "rtpvp8pay", "pt=97", "!"] + srtp.split(separator: " ").map(String.init) + [
            "!", "udpsink", "host=127.0.0.1", "port=\(port + 2)",
        ]).finish(timeout: 12)
        #expect(gst.status == 0, "gst-launch: \(gst.stderr)")
        let r = receive.finish(timeout: 8)
        #expect(r.status == 0, "receive: \(r.stderr)")
        let report = try CallTestSupport.json(out.appendingPathComponent("report.json"))
        #expect(report["srtpSuite"] as? String == suite.sdp)
        let streams = CallTestSupport.streams(report)
        for kind in ["audio", "video"] {
            let stream = try #require(streams[kind])
            let counters = try #require(stream["srtp"] as? [String: Any])
            #expect(counters["srtpAuthenticationFailures"] as? Int == 0, "\(kind): \(counters)")
            #expect(stream["decodeErrors"] as? Int == 0)
        }
        let (seconds, rms) = try CallTestSupport.wavDurationAndRMS(out.appendingPathComponent("received.wav"))
        #expect(abs(seconds - 2.0) <= 0.2, "received \(seconds) s of audio, GStreamer sent 2.0 s")
        #expect(rms > 0.05, "received audio RMS \(rms)")
        let frames = try CallTestSupport.y4mFrameCount(out.appendingPathComponent("received.y4m"))
        #expect(frames >= 36, "decoded \(frames) of GStreamer's 45 video frames")
    }
}
