import FuzzSupport

/// The input as one compressed VP8 frame, decoded after a real keyframe and followed by a
/// real inter frame (see `VideoFrameFuzzer`).

private let fuzzer = VideoFrameFuzzer(codec: .vp8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzer.run(data, size)
    return 0
}
