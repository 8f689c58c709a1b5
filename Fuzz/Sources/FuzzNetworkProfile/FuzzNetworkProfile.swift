import ParleyConference

/// A network profile text (and, after a NUL byte, the trace file it may name): whatever
/// parses must run through the emulator without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    let text = String(decoding: bytes[..<split], as: UTF8.self)
    let trace = split < bytes.count ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : ""
    guard let profile = try? NetworkProfile(parsing: text, readTrace: { _ in trace }) else { return 0 }
    var model = NetworkModel(profile: profile, seed: 1)
    var time = 0.0
    for index in 0..<200 {
        _ = model.fate(size: 100 + index % 1300, at: time)
        time += 0.005
    }
    _ = profile.json
    return 0
}
