import Testing
import ParleyTestSupport
@testable import ParleyRTP

@Suite("RTP hot path: no heap allocation per packet")
struct RTPAllocationTests {
    @Test("1000 builds and parses with extensions through the view and builder allocate nothing")
    func zeroAllocations() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let map = try RTPExtensionMap([
            (id: 1, uri: RTPExtensions.AudioLevel.uri),
            (id: 3, uri: RTPExtensions.AbsSendTime.uri),
            (id: 5, uri: RTPExtensions.TransportSequenceNumber.uri),
        ])
        var header = try RTPHeader(marker: true, payloadType: 111, sequenceNumber: 65000, timestamp: 1, ssrc: 0xABCD, csrcs: [7, 8])
        let packetBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { packetBuffer.deallocate() }
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 160, alignment: 8)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0x42)
        let level = try RTPExtensions.AudioLevel(voiceActivity: true, level: 30)
        let sendTime = try RTPExtensions.AbsSendTime(rawValue: 0x12_3456)
        var unwrapper = SequenceNumberUnwrapper()
        var checksum = 0
        var failures = 0

        func onePacket(_ index: Int) {
                do throws(RTPError) {
                    header.sequenceNumber &+= 1
                    header.timestamp &+= 960
                    var builder = try RTPPacketBuilder(header: header, into: packetBuffer)
                    try builder.appendExtension(level, map: map)
                    try builder.appendExtension(sendTime, map: map)
                    try builder.appendExtension(RTPExtensions.TransportSequenceNumber(UInt16(truncatingIfNeeded: index)), map: map)
                    if index % 3 == 0 {
                        try builder.appendExtension(id: 20, data: UnsafeRawBufferPointer(rebasing: payload[0..<4]))
                    }
                    let length = try builder.finish(payload: UnsafeRawBufferPointer(payload), paddingLength: index % 2 == 0 ? 0 : 4)
                    let bytes = UnsafeRawBufferPointer(rebasing: packetBuffer[0..<length])
                    guard RTPPacketClassifier.classify(bytes) == .rtp else { failures += 1; return }
                    let view = try RTPPacketView.parse(bytes)
                    checksum &+= Int(unwrapper.unwrap(view.header.sequenceNumber))
                    checksum &+= view.payloadRange.count + Int(view.header.csrc(at: 1) ?? 0)
                    if let tcc = try view.extensionValue(RTPExtensions.TransportSequenceNumber.self, map: map, in: bytes) {
                        checksum &+= Int(tcc.value)
                    }
                    for element in view.extensionElements(in: bytes) { checksum &+= Int(element.id) }
                } catch {
                    failures += 1
                }
        }
        // Warm up once (one-time runtime metadata), then count the steady state.
        onePacket(0)
        let allocations = AllocationCounter.count {
            for index in 1...1000 { onePacket(index) }
        }
        #expect(failures == 0)
        #expect(checksum != 0)
        #expect(allocations == 0, "\(allocations) heap allocations in 1000 packets")
    }

    @Test("The allocation counter would see an owning RTPPacket round trip (the test can fail)")
    func counterSeesAllocations() throws {
        try #require(AllocationCounter.isActive)
        let packet = RTPPacket(header: RTPHeader(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0), payload: [1, 2, 3])
        let allocations = AllocationCounter.count {
            _ = try? RTPPacket(parsing: packet.serialized())
        }
        #expect(allocations > 0)
    }
}
