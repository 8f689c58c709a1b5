import Foundation
import Testing
import ParleyRTP

/// An offer as Chrome writes it (DTLS-SRTP, BUNDLE, data channel), by hand.
let chromeOffer = """
v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1 2
a=extmap-allow-mixed
a=msid-semantic: WMS stream1
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:F7gI
a=ice-pwd:x9cml/YzichV2+XlhiMu8g
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=sendrecv
a=msid:stream1 audiotrack1
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6
a=ssrc:3570614608 msid:stream1 audiotrack1
m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:F7gI
a=ice-pwd:x9cml/YzichV2+XlhiMu8g
a=ice-options:trickle
a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F
a=setup:actpass
a=mid:1
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:stream1 videotrack1
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:98 VP9/90000
a=rtcp-fb:98 transport-cc
a=rtcp-fb:98 nack pli
a=fmtp:98 profile-id=0
a=rtpmap:99 rtx/90000
a=fmtp:99 apt=98
a=ssrc-group:FID 1111 2222
a=ssrc:1111 cname:4TOk42mSjXCkVIa6
a=ssrc:2222 cname:4TOk42mSjXCkVIa6
m=application 9 UDP/DTLS/SCTP webrtc-datachannel
c=IN IP4 0.0.0.0
a=ice-ufrag:F7gI
a=mid:2
a=sctp-port:5000
a=max-message-size:262144

""".replacingOccurrences(of: "\n", with: "\r\n")

/// What `ffmpeg -i in.wav -c:a libopus -f rtp -srtp_out_suite … srtp://…` prints as its SDP.
let ffmpegSDP = """
v=0
o=- 0 0 IN IP4 127.0.0.1
s=No Name
c=IN IP4 127.0.0.1
t=0 0
a=tool:libavformat 61.7.100
m=audio 5004 RTP/AVP 97
b=AS:64
a=rtpmap:97 opus/48000/2
a=fmtp:97 sprop-stereo=1
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR

"""

@Suite struct SDPParseTests {
    @Test func chromeOfferFields() throws {
        let sdp = try SessionDescription.parse(chromeOffer)
        #expect(sdp.version == 0)
        #expect(sdp.origin == SDPOrigin(username: "-", sessionId: 4611731400430051336, sessionVersion: 2,
                                        netType: "IN", addrType: "IP4", address: "127.0.0.1"))
        #expect(sdp.sessionName == "-")
        #expect(sdp.connection == nil)
        #expect(sdp.timing == SDPTiming(start: 0, stop: 0))
        #expect(sdp.attribute("group")?.value == "BUNDLE 0 1 2")
        #expect(sdp.attribute("extmap-allow-mixed") == SDPAttribute("extmap-allow-mixed"))
        #expect(sdp.media.count == 3)

        let audio = sdp.media[0]
        #expect(audio.kind == .audio)
        #expect(audio.port == 9)
        #expect(audio.proto == "UDP/TLS/RTP/SAVPF")
        #expect(audio.formats == [111, 63, 9, 0, 8, 13, 110, 126])
        #expect(audio.connection == SDPConnection(address: "0.0.0.0"))
        #expect(audio.rtcp == SDPRTCPAttribute(port: 9, connection: SDPConnection(address: "0.0.0.0")))
        #expect(audio.rtcpMux)
        #expect(audio.direction == .sendrecv)
        #expect(audio.mid == "0")
        #expect(audio.rtpmaps[111] == SDPRTPMap.opus)
        #expect(audio.rtpmaps[0] == SDPRTPMap(encodingName: "PCMU", clockRate: 8000))
        #expect(audio.rtpmaps.count == 8)
        #expect(audio.payloadType(encoding: "OPUS", clockRate: 48000) == 111)
        let opus = try #require(audio.fmtps[111])
        #expect(opus.minPTime == 10)
        #expect(opus.useInbandFEC == true)
        #expect(opus.stereo == nil)
        #expect(audio.fmtps[63]?.parameters == [.init("111/111", nil)])
        #expect(audio.rtcpFeedback == [.transportCC(111)])
        #expect(audio.extmaps.map(\.id) == [1, 2, 3, 4])
        #expect(audio.extensionID(for: SDPExtmap.audioLevelURI) == 1)
        #expect(audio.extensionID(for: SDPExtmap.transportWideCCURI) == 3)
        #expect(audio.ssrcs == [.cname(3570614608, "4TOk42mSjXCkVIa6"),
                                SDPSSRCAttribute(ssrc: 3570614608, attribute: "msid", value: "stream1 audiotrack1")])
        #expect(audio.cname == "4TOk42mSjXCkVIa6")
        #expect(audio.crypto.isEmpty)
        #expect(audio.otherAttributes.map(\.name) == ["ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup", "msid"])
        #expect(audio.otherAttribute("ice-ufrag")?.value == "F7gI")
        #expect(audio.otherAttribute("fingerprint")?.value?.hasPrefix("sha-256 D2:FA") == true)

        let video = sdp.media[1]
        #expect(video.kind == .video)
        #expect(video.formats == [96, 97, 98, 99])
        #expect(video.rtpmaps[96] == SDPRTPMap.vp8)
        #expect(video.rtpmaps[98] == SDPRTPMap.vp9)
        #expect(video.fmtps[98]?.vp9ProfileID == 0)
        #expect(video.fmtps[97]?["apt"] == "96")
        #expect(video.feedback(for: 96) == [.googREMB(96), .transportCC(96), .fir(96), .nack(96), .pli(96)])
        #expect(video.feedback(for: 98) == [.transportCC(98), .pli(98)])
        #expect(video.ssrcs.map(\.ssrc) == [1111, 2222])
        #expect(video.otherAttributes.map(\.name).contains("ssrc-group"))
        #expect(video.otherAttributes.map(\.name).contains("rtcp-rsize"))

        let data = sdp.media[2]
        #expect(data.kind == .other("application"))
        #expect(data.proto == "UDP/DTLS/SCTP")
        #expect(data.formats.isEmpty)
        #expect(data.nonRTPFormats == ["webrtc-datachannel"])
        #expect(data.mid == "2")
        #expect(data.otherAttribute("sctp-port")?.value == "5000")
    }

    @Test func chromeOfferSurvivesReserialization() throws {
        let sdp = try SessionDescription.parse(chromeOffer)
        let text = sdp.serialized()
        #expect(try SessionDescription.parse(text) == sdp)
        // Every input line is written back (perhaps in another place among known lines).
        let written = Set(text.split(separator: "\r\n").map(String.init))
        for line in chromeOffer.split(separator: "\r\n") {
            #expect(written.contains(String(line)), "\(line) is missing")
        }
        #expect(text.split(separator: "\r\n").count == chromeOffer.split(separator: "\r\n").count)
    }

    @Test func ffmpegSDPFields() throws {
        let sdp = try SessionDescription.parse(ffmpegSDP)
        #expect(sdp.origin == SDPOrigin())
        #expect(sdp.sessionName == "No Name")
        #expect(sdp.connection == SDPConnection(address: "127.0.0.1"))
        #expect(sdp.attribute("tool")?.value == "libavformat 61.7.100")
        #expect(sdp.media.count == 1)
        let audio = sdp.media[0]
        #expect(audio.kind == .audio && audio.port == 5004 && audio.proto == "RTP/AVP" && audio.formats == [97])
        #expect(audio.bandwidths == [SDPBandwidth(type: "AS", value: 64)])
        #expect(audio.rtpmaps[97] == SDPRTPMap(encodingName: "opus", clockRate: 48000, channels: 2))
        #expect(audio.fmtps[97]?.spropStereo == true)
        #expect(audio.crypto.count == 1)
        #expect(audio.crypto[0].suite == .aesCM128HmacSHA1_80)
        #expect(audio.crypto[0].keyAndSalt.count == 30)
        #expect(sdp.connection(for: audio)?.address == "127.0.0.1")
        #expect(sdp.direction(for: audio) == .sendrecv)
        // ffmpeg's order is the canonical one: the text comes back byte for byte, in CRLF.
        #expect(sdp.serialized() == ffmpegSDP.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test func lineEndingsBlankLinesAndTrailingWhitespace() throws {
        let lf = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nt=0 0\nm=audio 5004 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n"
        let messy = "\u{FEFF}v=0  \r\n\r\no=- 1 1 IN IP4 10.0.0.1\t\r\n\n  s=x\r\nt=0 0 \r\n\r\nm=audio 5004 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2   "
        let a = try SessionDescription.parse(lf)
        let b = try SessionDescription.parse(messy)
        #expect(a == b)
        #expect(a.media[0].rtpmaps[111] == .opus)
        #expect(a.serialized().hasSuffix("a=rtpmap:111 opus/48000/2\r\n"))
        #expect(everyLineEndsInCRLF(a.serialized()))
    }

    @Test func emptySessionNameIsWrittenWithASpace() throws {
        let sdp = try SessionDescription.parse("v=0\r\no=- 0 0 IN IP4 1.2.3.4\r\ns= \r\nt=0 0\r\n")
        #expect(sdp.sessionName == "")
        #expect(sdp.serialized().contains("\r\ns= \r\n"))
        #expect(try SessionDescription.parse(sdp.serialized()) == sdp)
    }

    @Test func unknownLinesSurviveInPlace() throws {
        let text = [
            "v=0",
            "o=alice 2890844526 2890842807 IN IP4 198.51.100.1",
            "s=Call",
            "i=A call about SDP",
            "u=http://example.com/call",
            "e=alice@example.com",
            "c=IN IP4 198.51.100.1",
            "t=0 0",
            "r=604800 3600 0 90000",
            "a=tool:hand",
            "x=an unknown line type",
            "m=audio 49170 RTP/SAVP 111",
            "i=voice",
            "c=IN IP4 198.51.100.2",
            "k=prompt",
            "a=mid:a",
            "a=ice-ufrag:abcd",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=x-custom:1 2 3",
            "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1",
            "a=ssrc:42 cname:alice",
            "not an sdp line at all",
            "m=video 49172 RTP/AVPF 96",
            "a=rtpmap:96 VP8/90000",
            "y=0123456789",
            "a=rtcp-fb:96 nack",
        ]
        let joined = text.joined(separator: "\r\n") + "\r\n"
        let sdp = try SessionDescription.parse(joined)
        #expect(sdp.otherLines.map(\.text) == ["i=A call about SDP", "u=http://example.com/call", "e=alice@example.com",
                                                "r=604800 3600 0 90000", "x=an unknown line type"])
        #expect(sdp.media[0].otherLines.map(\.text) == ["i=voice", "k=prompt", "a=ice-ufrag:abcd", "a=x-custom:1 2 3",
                                                         "not an sdp line at all"])
        #expect(sdp.media[0].otherAttributes == [SDPAttribute("ice-ufrag", "abcd"), SDPAttribute("x-custom", "1 2 3")])
        #expect(sdp.media[1].otherLines == [SDPLine("y=0123456789", position: 1)])
        #expect(sdp.media[0].fmtps[111]?.stereo == true)
        // The input is in canonical order, so every line comes back where it was.
        #expect(sdp.serialized() == joined)
        #expect(try SessionDescription.parse(sdp.serialized()) == sdp)
    }

    @Test func linesOutOfCanonicalOrderKeepTheirNeighbourhood() throws {
        // ice-ufrag sits after two known lines (c=, a=rtpmap) and stays after two known lines.
        let sdp = try SessionDescription.parse(
            "v=0\no=- 0 0 IN IP4 1.1.1.1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nc=IN IP4 1.1.1.1\na=ice-ufrag:u\na=sendonly\n")
        #expect(sdp.media[0].otherLines == [SDPLine("a=ice-ufrag:u", position: 2)])
        #expect(sdp.media[0].lines() == ["m=audio 1 RTP/AVP 0", "c=IN IP4 1.1.1.1", "a=sendonly", "a=ice-ufrag:u",
                                         "a=rtpmap:0 PCMU/8000"])
        #expect(try SessionDescription.parse(sdp.serialized()) == sdp)
    }

    @Test func connectionTTLAndCountAndBandwidth() throws {
        let sdp = try SessionDescription.parse(
            "v=0\no=- 0 0 IN IP4 1.1.1.1\ns=-\nc=IN IP4 233.252.0.1/127/3\nb=CT:128\nt=0 0\nm=video 5006/2 RTP/AVP 96\nc=IN IP6 ff15::101/3\nb=TIAS:256000\n")
        #expect(sdp.connection == SDPConnection(address: "233.252.0.1", ttl: 127, addressCount: 3))
        #expect(sdp.bandwidths == [SDPBandwidth(type: "CT", value: 128)])
        #expect(sdp.media[0].portCount == 2)
        #expect(sdp.media[0].connection == SDPConnection(addrType: "IP6", address: "ff15::101", addressCount: 3))
        #expect(sdp.media[0].bandwidths == [SDPBandwidth(type: "TIAS", value: 256000)])
        #expect(sdp.serialized().contains("c=IN IP4 233.252.0.1/127/3\r\n"))
        #expect(sdp.serialized().contains("m=video 5006/2 RTP/AVP 96\r\nc=IN IP6 ff15::101/3\r\n"))
    }

    @Test func fractionalPtimeAndUnknownCryptoSuiteIsKept() throws {
        let sdp = try SessionDescription.parse("""
            v=0
            o=- 0 0 IN IP4 1.1.1.1
            s=-
            t=0 0
            m=audio 5004 RTP/SAVP 0
            a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:whatever+this+is+not+checked
            a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR
            a=ptime:2.5
            a=maxptime:120
            """)
        let audio = sdp.media[0]
        #expect(audio.ptime == 2.5)
        #expect(audio.maxptime == 120)
        #expect(audio.crypto.map(\.tag) == [2])
        #expect(audio.otherAttributes.map(\.name) == ["crypto"])
        #expect(sdp.serialized().contains("a=ptime:2.5\r\na=maxptime:120\r\n"))
    }

    /// Each malformed known line: the error names its 1-based line number (counting blank lines).
    @Test(arguments: [
        ("m=audio notaport RTP/AVP 111", "notaport"),
        ("m=audio 70000 RTP/AVP 111", "70000"),
        ("m=audio 5004 RTP/AVP", "at least one format"),
        ("m=audio 5004 RTP/AVP 111 200", "200"),
        ("m=audio 5004/0 RTP/AVP 111", "port count"),
        ("c=IN IP4", "3 fields"),
        ("c=IN IP4 1.2.3.4/300", "TTL"),
        ("b=AS", "type:number"),
        ("b=AS:lots", "type:number"),
        ("a=rtpmap:111 opus", "encoding/clockrate"),
        ("a=rtpmap:128 opus/48000/2", "128"),
        ("a=rtpmap:111 opus/fast/2", "clock rate"),
        ("a=rtpmap:111 opus/48000/0", "channel count"),
        ("a=fmtp:x minptime=10", "payload type"),
        ("a=fmtp:111 useinbandfec=yes", "useinbandfec must be 0 or 1"),
        ("a=fmtp:111 maxaveragebitrate=high", "maxaveragebitrate"),
        ("a=rtcp-fb:abc nack", "neither a payload type"),
        ("a=rtcp-fb:111", "no feedback type"),
        ("a=rtcp-fb", "needs a value"),
        ("a=extmap:0 urn:x", "from 1 to 255"),
        ("a=extmap:5/sideways urn:x", "direction"),
        ("a=extmap:5", "no extension URI"),
        ("a=ssrc:-1 cname:x", "not an SSRC"),
        ("a=ssrc:12", "names no source attribute"),
        ("a=rtcp:port", "not a number"),
        ("a=rtcp-mux:yes", "takes no value"),
        ("a=ptime:fast", "milliseconds"),
        ("a=ptime:-20", "milliseconds"),
        ("a=mid", "needs a value"),
        ("a=crypto:1 AES_CM_128_HMAC_SHA1_80", "needs a tag"),
        ("a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "tag"),
        ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "inline:"),
        ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVe*CFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "base64"),
        ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^x", "lifetime"),
        ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:200", "MKI"),
        ("a=crypto:1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "needs 28 bytes"),
        ("o=- 0 0 IN IP4 1.1.1.1", "session part"),
        ("v=0", "second v="),
    ])
    func malformedMediaLineNamesItsLine(line: String, fragment: String) {
        // The bad line is line 9: blank line 5 counts.
        let text = "v=0\r\no=- 0 0 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n\r\nm=audio 5004 RTP/AVP 111\r\n"
            + "a=rtpmap:111 opus/48000/2\r\na=x-before:1\r\n"
        let sdp: String
        if line.hasPrefix("m=") {
            sdp = text + line + "\r\n"
        } else {
            sdp = text + line + "\r\na=x-after:1\r\n"
        }
        #expect {
            try SessionDescription.parse(sdp)
        } throws: { error in
            guard case .sdp(let number, let reason) = error as? RTPError else { return false }
            return number == 9 && reason.contains(fragment)
        }
    }

    @Test(arguments: [
        ("v=1\r\n", 1, "only v=0"),
        ("\r\n\r\nhello world\r\n", 3, "starts with v=0"),
        ("", 1, "empty"),
        ("v=0\r\no=- zero 0 IN IP4 1.1.1.1\r\n", 2, "session id"),
        ("v=0\r\no=- 0 0 IN IP4\r\n", 2, "6"),
        ("v=0\r\no=- 0 0 IN IP4 a\r\no=- 0 0 IN IP4 b\r\n", 3, "second o="),
        ("v=0\r\ns=a\r\ns=b\r\n", 3, "second s="),
        ("v=0\r\nt=now\r\n", 2, "t=0 0"),
        ("v=0\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n", 3, "second session-level c="),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMA/8000\r\n", 4, "line 3"),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=fmtp:0 a=1\r\na=fmtp:0 b=1\r\n", 4, "one line"),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=mid:x\r\na=mid:y\r\n", 4, "second a=mid"),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", 4, "direction"),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 a\r\nc=IN IP4 b\r\n", 4, "second c="),
        ("v=0\r\nm=audio 1 RTP/AVP 0\r\na=extmap:1 urn:a\r\na=extmap:1 urn:b\r\n", 4, "twice"),
        ("v=0\r\nm=video 1 RTP/AVP 98\r\na=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=7\r\n", 4, "profile-id"),
    ])
    func malformedSessionLinesNameTheirLine(text: String, line: Int, fragment: String) {
        #expect {
            try SessionDescription.parse(text)
        } throws: { error in
            guard case .sdp(let number, let reason) = error as? RTPError else { return false }
            return number == line && reason.contains(fragment)
        }
    }

    @Test func lenientAboutWhatParleyDoesNotNeed() throws {
        // No o=, s= or t=, an attribute-less a=, a direction with a value, a second rtcp-mux,
        // Opus fmtp parameters for a codec that is not Opus: all accepted.
        let sdp = try SessionDescription.parse(
            "v=0\nm=audio 5004 RTP/AVP 0\na=\na=sendonly:maybe\na=rtcp-mux\na=rtcp-mux\na=fmtp:0 useinbandfec=yes\n")
        #expect(sdp.origin == SDPOrigin())
        #expect(sdp.media[0].rtcpMux)
        #expect(sdp.media[0].direction == nil)
        #expect(sdp.media[0].otherLines.map(\.text) == ["a=", "a=sendonly:maybe", "a=rtcp-mux"])
        #expect(sdp.media[0].fmtps[0]?.useInbandFEC == nil)
        #expect(try SessionDescription.parse(sdp.serialized()) == sdp)
    }
}

/// Whether every LF in `text` follows a CR, no CR stands alone, and the text ends with CRLF.
func everyLineEndsInCRLF(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count >= 2, bytes.suffix(2) == [13, 10] else { return false }
    for (index, byte) in bytes.enumerated() {
        if byte == 10 && (index == 0 || bytes[index - 1] != 13) { return false }
        if byte == 13 && (index + 1 == bytes.count || bytes[index + 1] != 10) { return false }
    }
    return true
}
