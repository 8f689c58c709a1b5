import ParleyRTP

/// The input as a run of RTP payloads for the VP8 and VP9 depayloaders: 2 bytes of length
/// and 1 byte of flags (marker, sequence step) before each payload. Frame assembly must
/// never crash, and an assembled frame must lie within what was fed.
///
/// Each input gets fresh depayloaders: with a pair kept across inputs, a frame could
/// complete from packets of an earlier input, and the size check (against this input's
/// bytes only) would report a frame that is legitimately larger. Fresh state also makes
/// every finding reproduce from its input alone.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let vp8 = VP8Depayloader()
    let vp9 = VP9Depayloader()
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var offset = 0
    var sequence: UInt16 = 65_530
    var timestamp: UInt32 = 0xFFFF_FF00
    var fed = 0
    while offset + 3 <= size {
        let length = min(Int(bytes[offset]) << 8 | Int(bytes[offset + 1]), 1500)
        let flags = bytes[offset + 2]
        offset += 3
        let end = min(size, offset + length)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
        offset = end
        fed += payload.count
        sequence &+= UInt16(flags & 0x3) == 0 ? 1 : UInt16(flags & 0x3)
        if flags & 0x10 != 0 { timestamp &+= 3000 }
        let marker = flags & 0x80 != 0
        for result in [try? vp8.depacketize(payload: payload, marker: marker, sequenceNumber: sequence, timestamp: timestamp),
                       try? vp9.depacketize(payload: payload, marker: marker, sequenceNumber: sequence, timestamp: timestamp)] {
            if let frame = result?.frame, frame.bytes.count > fed {
                fatalError("assembled a frame of \(frame.bytes.count) bytes from \(fed) bytes of payload")
            }
        }
    }
    return 0
}
