import ParleyRTP

/// The input as SDP text; whatever parses must serialize and parse back equal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    guard let description = try? SessionDescription.parse(text) else { return 0 }
    guard let again = try? SessionDescription.parse(description.serialized()), again == description else {
        fatalError("SDP does not survive serialize → parse")
    }
    return 0
}
