import ParleyRTP

/// The input as one RTP packet: the non-allocating view (and every extension element it
/// finds), the owning packet, and parse(serialize(x)) == x for what parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = RTPPacketClassifier.classify(bytes)
    if let view = try? RTPPacketView.parse(bytes) {
        guard view.payloadRange.upperBound <= size, view.extensionRange.upperBound <= size else {
            fatalError("RTPPacketView ranges outside the packet")
        }
        for element in view.extensionElements(in: bytes) where element.range.upperBound > size {
            fatalError("extension element outside the packet")
        }
    }
    if let packet = try? RTPPacket(parsing: bytes) {
        guard let again = try? RTPPacket(parsing: packet.serialized()), again == packet else {
            fatalError("RTP packet does not survive serialize → parse")
        }
    }
    return 0
}
