import CVPX
import ParleyCore

/// A VP8 or VP9 decoder (libvpx) writing 8-bit I420 pictures into caller-owned frames.
///
/// Not thread-safe: use one decoder from one thread at a time.
public final class VideoDecoder {
    public let codec: VideoCodecKind
    /// Pictures written into a caller's frame.
    public private(set) var framesDecoded: Int = 0

    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>

    public init(codec: VideoCodecKind, threads: Int = 1) throws(CodecError) {
        guard VideoEncoderConfiguration.threadsRange.contains(threads) else {
            let range = VideoEncoderConfiguration.threadsRange
            throw CodecError.invalidParameter(
                "threads \(threads) is outside the allowed range \(range.lowerBound)...\(range.upperBound); "
                    + "choose a value within it")
        }
        self.codec = codec
        self.context = try Self.openDecoder(codec: codec, threads: threads)
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
    }

    /// Decodes one compressed frame into `frame`, resizing it if the stream's size changes.
    ///
    /// - Returns: false if the decoder produced no picture.
    /// - Throws: `CodecError.corruptFrame` for corrupt or undecodable data (including an
    ///   inter frame before any keyframe, and a picture the decoder reports as corrupted).
    public func decode(_ data: UnsafeRawBufferPointer, into frame: inout VideoFrame) throws(CodecError) -> Bool {
        let outcome = Self.decodeAndCopy(context: context, data: data, into: &frame)
        switch outcome {
        case .picture:
            framesDecoded += 1
            return true
        case .noPicture:
            return false
        case .failure(let error):
            throw error
        }
    }

    /// Decodes the first `count` bytes of `data`.
    public func decode(_ data: [UInt8], count: Int, into frame: inout VideoFrame) throws(CodecError) -> Bool {
        guard count >= 0, count <= data.count else {
            throw CodecError.invalidParameter(
                "decode count \(count) is outside the buffer's 0...\(data.count) bytes; pass the frame's size")
        }
        let outcome = data.withUnsafeBytes { bytes in
            Self.decodeAndCopy(
                context: context, data: UnsafeRawBufferPointer(rebasing: bytes[0..<count]), into: &frame)
        }
        switch outcome {
        case .picture:
            framesDecoded += 1
            return true
        case .noPicture:
            return false
        case .failure(let error):
            throw error
        }
    }

    // MARK: - libvpx calls shared with VideoCodecBareCalls

    enum Outcome {
        case picture
        case noPicture
        case failure(CodecError)
    }

    static func openDecoder(codec: VideoCodecKind, threads: Int) throws(CodecError) -> UnsafeMutablePointer<vpx_codec_ctx_t> {
        let iface = codec == .vp8 ? parley_vpx_vp8_dx() : parley_vpx_vp9_dx()
        guard let iface else {
            throw CodecError.vpx(
                function: "vpx_codec_\(codec == .vp8 ? "vp8" : "vp9")_dx",
                message: "this libvpx has no \(codec.rawValue) decoder; install a full libvpx build")
        }
        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var config = vpx_codec_dec_cfg_t(threads: UInt32(threads), w: 0, h: 0)
        let status = parley_vpx_dec_init(context, iface, &config, 0)
        guard status == VPX_CODEC_OK else {
            let message = VideoEncoder.message(context, status)
            context.deallocate()
            throw CodecError.vpx(function: "vpx_codec_dec_init", message: message)
        }
        return context
    }

    /// Decodes `data` and copies the picture (honouring libvpx's strides) into `frame`.
    @inline(__always)
    static func decodeAndCopy(
        context: UnsafeMutablePointer<vpx_codec_ctx_t>, data: UnsafeRawBufferPointer, into frame: inout VideoFrame
    ) -> Outcome {
        guard let base = data.baseAddress, data.count > 0 else {
            return .failure(.corruptFrame("empty compressed frame"))
        }
        guard data.count <= Int(UInt32.max) else {
            return .failure(.corruptFrame("compressed frame of \(data.count) bytes is too large"))
        }
        let status = vpx_codec_decode(
            context, base.assumingMemoryBound(to: UInt8.self), UInt32(data.count), nil, 0)
        guard status == VPX_CODEC_OK else {
            let message = VideoEncoder.message(context, status)
            if status == VPX_CODEC_MEM_ERROR {
                return .failure(.vpx(function: "vpx_codec_decode", message: message))
            }
            return .failure(.corruptFrame(message))
        }
        var iterator: vpx_codec_iter_t? = nil
        var latest: UnsafeMutablePointer<vpx_image_t>? = nil
        while let image = vpx_codec_get_frame(context, &iterator) {
            latest = image
        }
        guard let image = latest else { return .noPicture }

        var corrupted: Int32 = 0
        if parley_vpx_get_frame_corrupted(context, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
            return .failure(.corruptFrame("the decoder reports the picture as corrupted"))
        }
        return copy(image, into: &frame)
    }

    @inline(__always)
    static func copy(_ image: UnsafeMutablePointer<vpx_image_t>, into frame: inout VideoFrame) -> Outcome {
        let picture = image.pointee
        guard picture.fmt == VPX_IMG_FMT_I420 || picture.fmt == VPX_IMG_FMT_YV12, picture.bit_depth == 8 else {
            return .failure(.corruptFrame(
                "the stream uses pixel format \(picture.fmt.rawValue) at \(picture.bit_depth) bits; "
                    + "Parley handles only 8-bit 4:2:0 video"))
        }
        let width = Int(picture.d_w)
        let height = Int(picture.d_h)
        guard width > 0, height > 0,
              let y = picture.planes.0, let u = picture.planes.1, let v = picture.planes.2 else {
            return .failure(.corruptFrame("the decoder returned an empty picture"))
        }
        // YV12 stores V before U.
        let (first, second) = picture.fmt == VPX_IMG_FMT_YV12 ? (v, u) : (u, v)
        let (firstStride, secondStride) = picture.fmt == VPX_IMG_FMT_YV12
            ? (Int(picture.stride.2), Int(picture.stride.1)) : (Int(picture.stride.1), Int(picture.stride.2))
        frame.resize(width: width, height: height)
        let chromaWidth = frame.chromaWidth
        let chromaHeight = frame.chromaHeight
        let uOffset = frame.uOffset
        let vOffset = frame.vOffset
        frame.data.withUnsafeMutableBufferPointer { buffer in
            guard let destination = buffer.baseAddress else { return }
            copyPlane(from: y, stride: Int(picture.stride.0), to: destination, width: width, height: height)
            copyPlane(from: first, stride: firstStride, to: destination + uOffset, width: chromaWidth, height: chromaHeight)
            copyPlane(from: second, stride: secondStride, to: destination + vOffset, width: chromaWidth, height: chromaHeight)
        }
        return .picture
    }

    @inline(__always)
    static func copyPlane(
        from source: UnsafeMutablePointer<UInt8>, stride: Int, to destination: UnsafeMutablePointer<UInt8>,
        width: Int, height: Int
    ) {
        if stride == width {
            destination.update(from: source, count: width * height)
            return
        }
        for row in 0..<height {
            (destination + row * width).update(from: source + row * stride, count: width)
        }
    }
}
