import Foundation
import Testing
import ParleyCore
import ParleyRTP

@Suite struct SDPOfferAnswerTests {
    static let audioKey = (0..<30).map { UInt8($0 + 1) }
    static let videoKey = (0..<30).map { UInt8(200 - $0) }

    static func configuration(codec: VideoCodecKind = .vp8, suite: SDPCryptoSuite = .aesCM128HmacSHA1_80,
                              stereo: Bool = false) throws -> SDPOfferConfiguration {
        let length = suite.keyAndSaltLength
        return SDPOfferConfiguration(
            address: "192.0.2.10", sessionId: 1_234_567, sessionVersion: 1, cname: "parley-abc",
            audio: .init(port: 5004, ssrc: 0x1122_3344, stereo: stereo,
                         crypto: try SDPCryptoAttribute(suite: suite, keyAndSalt: Array(audioKey.prefix(length)) + [UInt8](repeating: 7, count: max(0, length - 30)))),
            video: .init(port: 5006, ssrc: 0x5566_7788, codec: codec,
                         crypto: try SDPCryptoAttribute(suite: suite, keyAndSalt: Array(videoKey.prefix(length)) + [UInt8](repeating: 9, count: max(0, length - 30)))))
    }

    @Test func vp8OfferHasEveryRequiredLineAndParsesBack() throws {
        let offer = try SessionDescription.offer(Self.configuration())
        let text = offer.serialized()
        let audioKey = Data(Self.audioKey).base64EncodedString()
        let videoKey = Data(Self.videoKey).base64EncodedString()
        let expected = """
            v=0
            o=- 1234567 1 IN IP4 192.0.2.10
            s=Parley
            c=IN IP4 192.0.2.10
            t=0 0
            m=audio 5004 RTP/SAVP 111
            a=rtcp-mux
            a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
            a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
            a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
            a=rtpmap:111 opus/48000/2
            a=fmtp:111 minptime=10;useinbandfec=1
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(audioKey)
            a=ptime:20
            a=ssrc:287454020 cname:parley-abc
            m=video 5006 RTP/SAVPF 96
            a=rtcp-mux
            a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
            a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
            a=rtpmap:96 VP8/90000
            a=rtcp-fb:96 nack
            a=rtcp-fb:96 nack pli
            a=rtcp-fb:96 ccm fir
            a=rtcp-fb:96 transport-cc
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(videoKey)
            a=ssrc:1432778632 cname:parley-abc

            """.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(text == expected)
        #expect(everyLineEndsInCRLF(text))
        let parsed = try SessionDescription.parse(text)
        #expect(parsed == offer)
        #expect(parsed.media[0].crypto.first?.keyAndSalt == Self.audioKey)
        #expect(parsed.media[1].crypto.first?.keyAndSalt == Self.videoKey)
        // What ffmpeg reads: the first word after inline: is the key, so no |lifetime or |MKI.
        #expect(!text.contains("|"))
    }

    @Test func vp9StereoGCMOffer() throws {
        let offer = try SessionDescription.offer(Self.configuration(codec: .vp9, suite: .aeadAES128GCM, stereo: true))
        let parsed = try SessionDescription.parse(offer.serialized())
        let audio = parsed.media[0]
        let opus = try #require(audio.fmtps[111])
        #expect(opus.stereo == true && opus.spropStereo == true && opus.useInbandFEC == true && opus.minPTime == 10)
        #expect(audio.crypto.first?.suite == .aeadAES128GCM)
        #expect(audio.crypto.first?.keyAndSalt.count == 28)
        let video = parsed.media[1]
        #expect(video.formats == [98])
        #expect(video.rtpmaps[98] == .vp9)
        #expect(video.fmtps[98]?.vp9ProfileID == 0)
        #expect(video.feedback(for: 98) == SessionDescription.parleyVideoFeedback(98))
        #expect(offer.serialized().contains("a=fmtp:98 profile-id=0\r\n"))
    }

    @Test func plainOfferUsesAVPAndIPv6() throws {
        var config = SDPOfferConfiguration(address: "2001:db8::1", cname: "c", direction: .sendonly, rtcpMux: false,
                                           audio: .init(port: 6000, ssrc: 1, useDTX: true, maxAverageBitrate: 32000, ptime: nil))
        var offer = try SessionDescription.offer(config)
        #expect(offer.connection == SDPConnection(addrType: "IP6", address: "2001:db8::1"))
        #expect(offer.media.count == 1)
        #expect(offer.media[0].proto == "RTP/AVP")
        #expect(offer.media[0].direction == .sendonly)
        #expect(!offer.media[0].rtcpMux)
        #expect(offer.media[0].fmtps[111]?.useDTX == true)
        #expect(offer.media[0].fmtps[111]?.maxAverageBitrate == 32000)
        #expect(!offer.serialized().contains("a=ptime"))
        config.audio = nil
        config.video = .init(port: 6002, ssrc: 2, codec: .vp8, payloadType: 100)
        offer = try SessionDescription.offer(config)
        #expect(offer.media[0].proto == "RTP/AVPF")
        #expect(offer.media[0].formats == [100])
    }

    @Test func invalidOfferConfigurationsAreRefusedWithAReason() throws {
        var base = try Self.configuration()
        var cases: [(SDPOfferConfiguration, String)] = []
        var c = base; c.audio = nil; c.video = nil; cases.append((c, "neither audio nor video"))
        c = base; c.address = "192.0.2.1 bad"; cases.append((c, "address"))
        c = base; c.cname = ""; cases.append((c, "cname"))
        c = base; c.audio?.payloadType = 8; cases.append((c, "dynamic"))
        c = base; c.video?.payloadType = 111; cases.append((c, "different ones"))
        c = base; c.video?.port = 5005; cases.append((c, "at least 2 apart"))
        c = base; c.extensionIDs.absSendTime = 15; cases.append((c, "1 to 14"))
        c = base; c.extensionIDs.absSendTime = 1; cases.append((c, "different ids"))
        for (config, fragment) in cases {
            #expect {
                try SessionDescription.offer(config)
            } throws: { error in
                guard case .malformed(_, let reason) = error as? RTPError else { return false }
                return reason.contains(fragment)
            }
        }
        base.video?.port = 0
        #expect(throws: Never.self) { try SessionDescription.offer(base) }
    }

    // MARK: Answers

    static let answerConfig = SDPAnswerConfiguration(
        address: "198.51.100.7", sessionId: 99, cname: "answerer",
        audio: .init(port: 7000, ssrc: 0xAAAA), video: .init(port: 7002, ssrc: 0xBBBB))

    static func freshKey(_ suite: SDPCryptoSuite) -> [UInt8] {
        [UInt8](repeating: 0x42, count: suite.keyAndSaltLength)
    }

    @Test func answerToParleyOfferMirrorsCodecsMuxExtensionsAndCrypto() throws {
        let offer = try SessionDescription.offer(Self.configuration(codec: .vp9))
        var suites: [SDPCryptoSuite] = []
        let answer = try SessionDescription.answer(to: offer, configuration: Self.answerConfig) { suite in
            suites.append(suite)
            return Self.freshKey(suite)
        }
        #expect(suites == [.aesCM128HmacSHA1_80, .aesCM128HmacSHA1_80])
        #expect(answer.connection?.address == "198.51.100.7")
        #expect(answer.origin.sessionId == 99)
        #expect(answer.media.count == 2)
        let audio = answer.media[0]
        #expect(audio.port == 7000 && audio.proto == "RTP/SAVP" && audio.formats == [111])
        #expect(audio.rtpmaps[111] == .opus)
        #expect(audio.fmtps[111]?.useInbandFEC == true)
        #expect(audio.rtcpMux)
        #expect(audio.crypto.count == 1)
        #expect(audio.crypto[0].tag == 1 && audio.crypto[0].suite == .aesCM128HmacSHA1_80)
        #expect(audio.crypto[0].keyAndSalt == Self.freshKey(.aesCM128HmacSHA1_80))
        #expect(audio.crypto[0].keyAndSalt != offer.media[0].crypto[0].keyAndSalt)
        #expect(audio.extmaps.map(\.id) == [1, 2, 3])
        #expect(audio.ssrcs == [.cname(0xAAAA, "answerer")])
        let video = answer.media[1]
        #expect(video.port == 7002 && video.proto == "RTP/SAVPF" && video.formats == [98])
        #expect(video.fmtps[98]?.vp9ProfileID == 0)
        #expect(video.rtcpFeedback == SessionDescription.parleyVideoFeedback(98))
        #expect(video.extmaps.map(\.uri) == [SDPExtmap.absSendTimeURI, SDPExtmap.transportWideCCURI])
        #expect(try SessionDescription.parse(answer.serialized()) == answer)
    }

    @Test func answerPicksFirstSupportedCodecAndSuiteAndRejectsTheRest() throws {
        let offer = try SessionDescription.parse("""
            v=0
            o=- 5 5 IN IP4 203.0.113.1
            s=-
            c=IN IP4 203.0.113.1
            t=0 0
            a=sendonly
            m=audio 4000 RTP/SAVPF 0 9 109
            a=mid:a
            a=rtcp-mux
            a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:ignoredignoredignoredignoredignoredignoredignoredignoredAA
            a=crypto:2 AEAD_AES_256_GCM inline:\(Data([UInt8](repeating: 1, count: 44)).base64EncodedString())
            a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:\(Data([UInt8](repeating: 2, count: 30)).base64EncodedString())
            a=rtpmap:0 PCMU/8000
            a=rtpmap:9 G722/8000
            a=rtpmap:109 OPUS/48000/2
            a=rtcp-fb:* nack
            a=rtcp-fb:109 goog-remb
            a=extmap:5/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level
            a=extmap:6 urn:ietf:params:rtp-hdrext:sdes:mid
            m=video 4002 RTP/SAVPF 100 101 102
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(Data([UInt8](repeating: 3, count: 30)).base64EncodedString())
            a=rtpmap:100 H264/90000
            a=rtpmap:101 VP9/90000
            a=fmtp:101 profile-id=2
            a=rtpmap:102 VP8/90000
            a=rtcp-fb:102 ccm fir
            m=video 4004 RTP/AVP 96
            a=rtpmap:96 VP8/90000
            m=application 4006 UDP/DTLS/SCTP webrtc-datachannel
            m=audio 4008 RTP/SAVP 111
            a=rtpmap:111 opus/48000/2
            """)
        var config = Self.answerConfig
        config.cryptoSuites = [.aeadAES128GCM, .aesCM128HmacSHA1_32, .aesCM128HmacSHA1_80]
        let answer = try SessionDescription.answer(to: offer, configuration: config, key: Self.freshKey)
        #expect(answer.media.count == 5)
        let audio = answer.media[0]
        #expect(audio.formats == [109])
        #expect(audio.rtpmaps[109]?.encodingName == "OPUS")
        #expect(audio.mid == "a")
        #expect(audio.direction == .recvonly)  // the session said sendonly
        #expect(audio.ssrcs.isEmpty)           // and a recvonly side sends no media
        #expect(audio.crypto.map(\.tag) == [3])
        #expect(audio.crypto.first?.suite == .aesCM128HmacSHA1_32)
        #expect(audio.rtcpFeedback == [.nack(109)])
        #expect(audio.extmaps == [SDPExtmap(id: 5, uri: SDPExtmap.audioLevelURI)])
        let video = answer.media[1]
        #expect(video.formats == [102])  // H264 unsupported, VP9 profile 2 unsupported
        #expect(video.rtcpFeedback == [.fir(102)])
        #expect(!video.rtcpMux)
        // Second video and second audio: Parley takes one of each. Data channel: not RTP.
        for index in 2...4 {
            #expect(answer.media[index].port == 0)
            #expect(answer.media[index].formats == offer.media[index].formats)
            #expect(answer.media[index].nonRTPFormats == offer.media[index].nonRTPFormats)
            #expect(answer.media[index].crypto.isEmpty && answer.media[index].rtpmaps.isEmpty)
        }
        #expect(try SessionDescription.parse(answer.serialized()) == answer)
    }

    @Test func answerRejectsDTLSAndSuitesItDoesNotTake() throws {
        let chrome = try SessionDescription.parse(chromeOffer)
        let answer = try SessionDescription.answer(to: chrome, configuration: Self.answerConfig, key: Self.freshKey)
        #expect(answer.media.map(\.port) == [0, 0, 0])

        let gcmOnly = try SessionDescription.offer(Self.configuration(suite: .aeadAES256GCM))
        var config = Self.answerConfig
        config.cryptoSuites = [.aesCM128HmacSHA1_80]
        let refused = try SessionDescription.answer(to: gcmOnly, configuration: config, key: Self.freshKey)
        #expect(refused.media.map(\.port) == [0, 0])
    }

    @Test func answerToFFmpegKeepsItsCryptoUnderAVPAndCanRefusePlainRTP() throws {
        let ffmpeg = try SessionDescription.parse(ffmpegSDP)
        let answer = try SessionDescription.answer(to: ffmpeg, configuration: Self.answerConfig, key: Self.freshKey)
        #expect(answer.media[0].port == 7000)
        #expect(answer.media[0].proto == "RTP/AVP")
        #expect(answer.media[0].crypto.first?.suite == .aesCM128HmacSHA1_80)

        var plain = ffmpeg
        plain.media[0].crypto = []
        #expect(try SessionDescription.answer(to: plain, configuration: Self.answerConfig, key: Self.freshKey).media[0].port == 7000)
        var strict = Self.answerConfig
        strict.acceptsUnencrypted = false
        #expect(try SessionDescription.answer(to: plain, configuration: strict, key: Self.freshKey).media[0].port == 0)
    }

    @Test func answerRefusesAKeyOfTheWrongLength() throws {
        let offer = try SessionDescription.offer(Self.configuration())
        #expect(throws: RTPError.self) {
            try SessionDescription.answer(to: offer, configuration: Self.answerConfig) { _ in [1, 2, 3] }
        }
    }
}
