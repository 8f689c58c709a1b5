import Testing
@testable import ParleyRTP

@Suite("Sequence number and timestamp unwrapping")
struct RTPUnwrapperTests {
    @Test("Sequence numbers extend across 0xFFFF -> 0 and several wraps")
    func sequenceForwardWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(0xFFFE) == 0xFFFE)
        #expect(unwrapper.unwrap(0xFFFF) == 0xFFFF)
        #expect(unwrapper.unwrap(0) == 0x1_0000)
        #expect(unwrapper.unwrap(1) == 0x1_0001)
        var value: UInt16 = 1
        for _ in 0..<(3 * 65536 / 1000) {
            value &+= 1000
            _ = unwrapper.unwrap(value)
        }
        #expect(unwrapper.highest == 0x1_0001 + Int64(3 * 65536 / 1000) * 1000)
    }

    @Test("Sequence numbers reordered around the wrap land on the right side")
    func sequenceReorderAcrossWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(65534) == 65534)
        #expect(unwrapper.unwrap(1) == 65537)
        #expect(unwrapper.unwrap(65535) == 65535)  // late, before the wrap
        #expect(unwrapper.unwrap(0) == 65536)  // late, after the wrap
        #expect(unwrapper.unwrap(2) == 65538)
        #expect(unwrapper.highest == 65538)
    }

    @Test("Backward across the wrap: a packet older than the first comes out negative")
    func sequenceBackward() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(0) == 0)
        #expect(unwrapper.unwrap(0xFFFF) == -1)
        #expect(unwrapper.peek(0x8000) == -32768)
        #expect(unwrapper.peek(0x7FFF) == 32767)
        #expect(unwrapper.highest == 0)
        unwrapper.reset()
        #expect(unwrapper.unwrap(500) == 500)
    }

    @Test("Timestamps extend across 0xFFFFFFFF -> 0 and handle reordering")
    func timestamps() {
        var unwrapper = TimestampUnwrapper()
        #expect(unwrapper.unwrap(0xFFFF_FC18) == 0xFFFF_FC18)
        #expect(unwrapper.unwrap(0x0000_0320) == 0x1_0000_0320)  // +1800 across the wrap
        #expect(unwrapper.unwrap(0xFFFF_FF00) == 0xFFFF_FF00)  // late
        #expect(unwrapper.unwrap(0x0000_0960) == 0x1_0000_0960)
        #expect(unwrapper.highest == 0x1_0000_0960)
        var fresh = TimestampUnwrapper()
        #expect(fresh.unwrap(10) == 10)
        #expect(fresh.unwrap(0xFFFF_FFF6) == -10)
    }
}
