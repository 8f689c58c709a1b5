import Testing
@testable import ParleyRTP

@Suite("Opus payloader and depayloader (RFC 7587)")
struct OpusPayloadTests {
    func payload(_ payloader: inout OpusPayloader, _ packet: [UInt8]) throws -> (marker: Bool, timestamp: UInt32, samples: Int, same: Bool)? {
        try packet.withUnsafeBytes { raw in
            guard let out = try payloader.packetize(raw) else { return nil }
            return (out.marker, out.timestamp, out.sampleCount, out.bytes.baseAddress == raw.baseAddress && out.bytes.count == raw.count)
        }
    }

    @Test("TOC durations at 48 kHz (RFC 6716 §3.1)")
    func durations() throws {
        func samples(_ bytes: [UInt8]) throws -> Int { try bytes.withUnsafeBytes { try OpusPayload.sampleCount(of: $0) } }
        #expect(try samples([0x08, 0xAA]) == 960)  // config 1: SILK NB 20 ms, code 0
        #expect(try samples([0x18, 0xAA]) == 2880)  // config 3: SILK 60 ms
        #expect(try samples([0x78, 0xAA]) == 960)  // config 15: Hybrid FB 20 ms
        #expect(try samples([0x80, 0xAA]) == 120)  // config 16: CELT 2.5 ms
        #expect(try samples([0xF8, 0xAA]) == 960)  // config 31: CELT FB 20 ms
        #expect(try samples([0xF9, 0xAA]) == 1920)  // code 1: two frames
        #expect(try samples([0xFB, 0x06, 0xAA]) == 5760)  // code 3, 6 x 20 ms = 120 ms
        #expect(throws: RTPError.self) { try samples([0xFB, 0x07]) }  // 140 ms
        #expect(throws: RTPError.self) { try samples([0xFB, 0x00]) }  // 0 frames
        #expect(throws: RTPError.self) { try samples([0xFB]) }  // count byte missing
        #expect(throws: RTPError.truncated(what: "Opus packet", needed: 1, available: 0)) { try samples([]) }
    }

    @Test("one packet per payload, timestamp advances by 48 kHz samples, marker on talkspurt starts only")
    func payloader() throws {
        var payloader = OpusPayloader(initialTimestamp: 0xFFFF_FC00)
        let voice: [UInt8] = [0xF8] + [UInt8](repeating: 0x55, count: 60)  // 20 ms
        let first = try #require(try payload(&payloader, voice))
        #expect(first.marker && first.timestamp == 0xFFFF_FC00 && first.samples == 960 && first.same)
        let second = try #require(try payload(&payloader, voice))
        #expect(!second.marker && second.timestamp == 0xFFFF_FC00 &+ 960)  // wraps past 2^32
        // DTX: a 1-byte packet is not sent but its time passes; the next packet is marked.
        #expect(try payload(&payloader, [0xF8]) == nil)
        #expect(payloader.dtxPacketsDropped == 1)
        let resumed = try #require(try payload(&payloader, voice))
        #expect(resumed.marker && resumed.timestamp == 0xFFFF_FC00 &+ 2880)
        payloader.skip(samples: 960 * 5)
        let afterSkip = try #require(try payload(&payloader, voice))
        #expect(afterSkip.marker && afterSkip.timestamp == 0xFFFF_FC00 &+ 3840 &+ 4800)
        // Bad packets throw and leave the clock alone.
        let before = payloader.nextTimestamp
        #expect(throws: RTPError.self) { try payload(&payloader, []) }
        #expect(payloader.nextTimestamp == before)

        var unmarked = OpusPayloader(marksTalkspurts: false, dropsDTXPackets: false)
        #expect(try payload(&unmarked, voice)?.marker == false)
        #expect(try payload(&unmarked, [0xF8])?.timestamp == 960)
    }

    @Test("the depayloader returns the packet; an empty payload is an error")
    func depayloader() throws {
        var depayloader = OpusDepayloader()
        let packet: [UInt8] = [0xFC, 0x01, 0x02]
        let out = try packet.withUnsafeBytes { raw in
            let result = try depayloader.depacketize(payload: raw)
            return (Array(result.packet), result.sampleCount)
        }
        #expect(out.0 == packet && out.1 == 960)
        #expect(throws: RTPError.self) { try [UInt8]().withUnsafeBytes { try depayloader.depacketize(payload: $0) } }
        #expect(depayloader.malformedPackets == 1)
        #expect(depayloader.packetsDepacketized == 1)
    }
}
