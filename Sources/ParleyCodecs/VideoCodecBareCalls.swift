import CVPX
import ParleyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bare libvpx calls behind `VideoEncoder` and `VideoDecoder`, timed, so that
/// `parley bench` can report the wrappers' cost as a ratio to them.
///
/// The setup (configuration, controls) is the wrappers' own; the timed work is the same
/// sequence of calls the wrappers make per frame: `vpx_img_wrap` + plane setup,
/// `vpx_codec_encode`, the `vpx_codec_get_cx_data` loop copying packets into a
/// preallocated buffer; then `vpx_codec_decode`, the `vpx_codec_get_frame` loop, the
/// `VP8D_GET_FRAME_CORRUPTED` check and the plane copy into a preallocated picture.
public enum VideoCodecBareCalls {
    /// Encodes and decodes `frames` (all the same size) with the bare C calls.
    ///
    /// - Returns: seconds spent in the encode calls, in the decode calls (monotonic wall
    ///   clock; libvpx worker threads run inside it), and the compressed bytes produced.
    public static func bareEncodeDecode(
        codec: VideoCodecKind, frames: [VideoFrame], bitrateKbps: Int, cpuUsed: Int, threads: Int
    ) throws(CodecError) -> (encodeSeconds: Double, decodeSeconds: Double, bytes: Int) {
        guard let first = frames.first else { return (0, 0, 0) }
        let width = first.width
        let height = first.height
        let configuration = VideoEncoderConfiguration(
            codec: codec, width: width, height: height, bitrateKbps: bitrateKbps, cpuUsed: cpuUsed, threads: threads)
        for frame in frames where frame.width != width || frame.height != height || frame.data.count < frame.byteCount {
            throw CodecError.invalidParameter(
                "bench frame is \(frame.width)x\(frame.height) with \(frame.data.count) bytes; all frames must be "
                    + "complete I420 pictures of \(width)x\(height)")
        }
        let (encoder, encoderConfig) = try VideoEncoder.openEncoder(configuration)
        defer {
            vpx_codec_destroy(encoder)
            encoder.deallocate()
            encoderConfig.deallocate()
        }
        let decoder = try VideoDecoder.openDecoder(codec: codec, threads: threads)
        defer {
            vpx_codec_destroy(decoder)
            decoder.deallocate()
        }

        var image = vpx_image_t()
        var packet = [UInt8](repeating: 0, count: max(first.byteCount, 4096))
        var picture = [UInt8](repeating: 0, count: first.byteCount)
        let chromaWidth = first.chromaWidth
        let chromaHeight = first.chromaHeight
        let lumaCount = first.lumaCount
        let chromaCount = first.chromaCount
        let deadline = UInt(parley_vpx_dl_realtime())
        let keyFlag = vpx_codec_frame_flags_t(parley_vpx_frame_is_key())

        var encodeNanoseconds: UInt64 = 0
        var decodeNanoseconds: UInt64 = 0
        var totalBytes = 0

        for (index, frame) in frames.enumerated() {
            // Encode.
            let encodeStart = now()
            let status = frame.data.withUnsafeBufferPointer { pixels -> vpx_codec_err_t in
                let bytes = UnsafeMutablePointer(mutating: pixels.baseAddress!)
                guard vpx_img_wrap(&image, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 1, bytes) != nil else {
                    return VPX_CODEC_INVALID_PARAM
                }
                image.planes.0 = bytes
                image.planes.1 = bytes + lumaCount
                image.planes.2 = bytes + lumaCount + chromaCount
                image.stride.0 = Int32(width)
                image.stride.1 = Int32(chromaWidth)
                image.stride.2 = Int32(chromaWidth)
                return vpx_codec_encode(encoder, &image, Int64(index), 1, 0, deadline)
            }
            guard status == VPX_CODEC_OK else { throw VideoEncoder.error("vpx_codec_encode", encoder, status) }
            var iterator: vpx_codec_iter_t? = nil
            var size = 0
            var keyframe = false
            while let cx = vpx_codec_get_cx_data(encoder, &iterator) {
                guard cx.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
                let compressed = cx.pointee.data.frame
                let count = Int(compressed.sz)
                guard let source = compressed.buf, count > 0 else { continue }
                if packet.count < size + count {
                    packet.append(contentsOf: repeatElement(0, count: size + count - packet.count))
                }
                packet.withUnsafeMutableBytes { destination in
                    (destination.baseAddress! + size).copyMemory(from: source, byteCount: count)
                }
                if size == 0 { keyframe = compressed.flags & keyFlag != 0 }
                size += count
            }
            let encodeEnd = now()
            encodeNanoseconds += encodeEnd - encodeStart
            totalBytes += size
            _ = keyframe
            guard size > 0 else { continue }

            // Decode.
            let decodeStart = now()
            let decodeStatus = packet.withUnsafeBufferPointer { bytes in
                vpx_codec_decode(decoder, bytes.baseAddress, UInt32(size), nil, 0)
            }
            guard decodeStatus == VPX_CODEC_OK else {
                throw CodecError.corruptFrame(VideoEncoder.message(decoder, decodeStatus))
            }
            var frameIterator: vpx_codec_iter_t? = nil
            var latest: UnsafeMutablePointer<vpx_image_t>? = nil
            while let decoded = vpx_codec_get_frame(decoder, &frameIterator) { latest = decoded }
            if let decoded = latest {
                var corrupted: Int32 = 0
                if parley_vpx_get_frame_corrupted(decoder, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
                    throw CodecError.corruptFrame("the decoder reports the picture as corrupted")
                }
                let out = decoded.pointee
                guard out.fmt == VPX_IMG_FMT_I420, Int(out.d_w) == width, Int(out.d_h) == height,
                      let y = out.planes.0, let u = out.planes.1, let v = out.planes.2 else {
                    throw CodecError.corruptFrame("the decoder returned an unexpected picture")
                }
                picture.withUnsafeMutableBufferPointer { buffer in
                    let destination = buffer.baseAddress!
                    VideoDecoder.copyPlane(from: y, stride: Int(out.stride.0), to: destination, width: width, height: height)
                    VideoDecoder.copyPlane(
                        from: u, stride: Int(out.stride.1), to: destination + lumaCount,
                        width: chromaWidth, height: chromaHeight)
                    VideoDecoder.copyPlane(
                        from: v, stride: Int(out.stride.2), to: destination + lumaCount + chromaCount,
                        width: chromaWidth, height: chromaHeight)
                }
            }
            decodeNanoseconds += now() - decodeStart
        }
        return (Double(encodeNanoseconds) / 1e9, Double(decodeNanoseconds) / 1e9, totalBytes)
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
