import ParleyRTP

/// The input as one RTCP compound packet; whatever parses must serialize and parse back equal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let packets = try? RTCPCompound.parse(bytes) else { return 0 }
    guard let serialized = try? RTCPCompound.serialize(packets), let again = try? RTCPCompound.parse(serialized),
          again == packets else {
        fatalError("RTCP compound does not survive serialize → parse")
    }
    return 0
}
