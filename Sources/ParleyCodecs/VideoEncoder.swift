import CVPX
import ParleyCore

/// A realtime VP8 or VP9 encoder (libvpx).
///
/// Settings: one pass, no lag (`g_lag_in_frames = 0`), frame dropping off (every input
/// frame gives one output frame), CBR by default with a 1000/500/600 ms buffer,
/// quantizers 2...56 (VP8) or 2...52 (VP9), `VPX_DL_REALTIME` deadline. The time base is
/// one frame period (see `VideoEncoderConfiguration`), so `pts` counts frames.
///
/// Not thread-safe: use one encoder from one thread at a time.
public final class VideoEncoder {
    /// The settings in force; `setBitrate(kbps:)` updates `bitrateKbps`.
    public private(set) var configuration: VideoEncoderConfiguration

    /// Frames that produced compressed output.
    public private(set) var framesEncoded: Int = 0

    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    /// libvpx keeps a pointer to the configuration, so it lives as long as the context.
    private let encoderConfig: UnsafeMutablePointer<vpx_codec_enc_cfg_t>
    private let image: UnsafeMutablePointer<vpx_image_t>

    public init(configuration: VideoEncoderConfiguration) throws(CodecError) {
        let (context, config) = try Self.openEncoder(configuration)
        self.configuration = configuration
        self.context = context
        self.encoderConfig = config
        self.image = .allocate(capacity: 1)
        self.image.initialize(to: vpx_image_t())
    }

    deinit {
        vpx_codec_destroy(context)
        context.deallocate()
        encoderConfig.deallocate()
        image.deallocate()
    }

    /// Encodes one I420 frame of the configured size into `output`.
    ///
    /// - Parameters:
    ///   - pts: presentation time in frame periods (0, 1, 2, …).
    ///   - forceKeyframe: makes this frame a keyframe (answer to a PLI, a new receiver).
    ///   - output: reused buffer; its `data` grows only if too small.
    /// - Returns: false if the encoder produced no frame (`output.size` is then 0).
    public func encode(
        _ frame: VideoFrame, pts: Int64, forceKeyframe: Bool = false, into output: inout EncodedVideoFrame
    ) throws(CodecError) -> Bool {
        guard frame.width == configuration.width, frame.height == configuration.height else {
            throw CodecError.invalidParameter(
                "video frame is \(frame.width)x\(frame.height) but the encoder is configured for "
                    + "\(configuration.width)x\(configuration.height); scale the frame or create a new encoder")
        }
        guard frame.data.count >= frame.byteCount else {
            throw CodecError.invalidParameter(
                "video frame holds \(frame.data.count) bytes, fewer than the \(frame.byteCount) an I420 "
                    + "\(frame.width)x\(frame.height) picture needs")
        }
        let flags: vpx_enc_frame_flags_t = forceKeyframe ? parley_vpx_eflag_force_kf() : 0
        let status = frame.data.withUnsafeBufferPointer { pixels in
            Self.encodeWrapped(
                context: context, image: image, pixels: pixels, width: frame.width, height: frame.height,
                pts: pts, flags: flags)
        }
        guard status == VPX_CODEC_OK else {
            output.size = 0
            throw Self.error("vpx_codec_encode", context)
        }
        let produced = Self.collectPackets(context: context, into: &output)
        if produced { framesEncoded += 1 }
        return produced
    }

    /// Changes the target bitrate for the following frames (`vpx_codec_enc_config_set`).
    public func setBitrate(kbps: Int) throws(CodecError) {
        try VideoEncoderConfiguration.checkBitrate(kbps)
        let previous = encoderConfig.pointee.rc_target_bitrate
        encoderConfig.pointee.rc_target_bitrate = UInt32(kbps)
        let status = vpx_codec_enc_config_set(context, encoderConfig)
        guard status == VPX_CODEC_OK else {
            encoderConfig.pointee.rc_target_bitrate = previous
            throw Self.error("vpx_codec_enc_config_set", context)
        }
        configuration.bitrateKbps = kbps
    }

    // MARK: - libvpx calls shared with VideoCodecBareCalls

    /// Wraps the tightly packed I420 `pixels` in `image` (no copy) and encodes it.
    /// libvpx reads the picture during the call (lag 0), so the wrap only needs to live
    /// for the call.
    @inline(__always)
    static func encodeWrapped(
        context: UnsafeMutablePointer<vpx_codec_ctx_t>, image: UnsafeMutablePointer<vpx_image_t>,
        pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, pts: Int64, flags: vpx_enc_frame_flags_t
    ) -> vpx_codec_err_t {
        guard let base = pixels.baseAddress else { return VPX_CODEC_INVALID_PARAM }
        let bytes = UnsafeMutablePointer(mutating: base)
        guard vpx_img_wrap(image, VPX_IMG_FMT_I420, UInt32(width), UInt32(height), 1, bytes) != nil else {
            return VPX_CODEC_INVALID_PARAM
        }
        // vpx_img_wrap rounds odd sizes up to even strides and plane heights; VideoFrame
        // packs rows exactly, so set the planes and strides explicitly.
        let chromaWidth = (width + 1) / 2
        let chromaHeight = (height + 1) / 2
        image.pointee.planes.0 = bytes
        image.pointee.planes.1 = bytes + width * height
        image.pointee.planes.2 = bytes + width * height + chromaWidth * chromaHeight
        image.pointee.stride.0 = Int32(width)
        image.pointee.stride.1 = Int32(chromaWidth)
        image.pointee.stride.2 = Int32(chromaWidth)
        return vpx_codec_encode(context, image, pts, 1, flags, UInt(parley_vpx_dl_realtime()))
    }

    /// Appends every compressed-frame packet of the last encode call to `output`
    /// (one packet for VP8 and for VP9 without lag). Returns false if there was none.
    @inline(__always)
    static func collectPackets(
        context: UnsafeMutablePointer<vpx_codec_ctx_t>, into output: inout EncodedVideoFrame
    ) -> Bool {
        var iterator: vpx_codec_iter_t? = nil
        var size = 0
        var keyframe = false
        var pts: Int64 = 0
        var any = false
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let frame = packet.pointee.data.frame
            let count = Int(frame.sz)
            guard let source = frame.buf, count > 0 else { continue }
            if output.data.count < size + count {
                output.data.append(contentsOf: repeatElement(0, count: size + count - output.data.count))
            }
            output.data.withUnsafeMutableBytes { destination in
                guard let base = destination.baseAddress else { return }
                (base + size).copyMemory(from: source, byteCount: count)
            }
            if !any {
                pts = frame.pts
                keyframe = frame.flags & vpx_codec_frame_flags_t(parley_vpx_frame_is_key()) != 0
            }
            size += count
            any = true
        }
        output.size = size
        output.isKeyframe = any && keyframe
        output.pts = pts
        return any
    }

    /// Fills the configuration, opens the encoder and applies the realtime controls.
    /// On success the caller owns both pointers (destroy the context, deallocate both).
    static func openEncoder(
        _ configuration: VideoEncoderConfiguration
    ) throws(CodecError) -> (UnsafeMutablePointer<vpx_codec_ctx_t>, UnsafeMutablePointer<vpx_codec_enc_cfg_t>) {
        try configuration.validate()
        let iface =
            configuration.codec == .vp8 ? parley_vpx_vp8_cx() : parley_vpx_vp9_cx()
        guard let iface else {
            throw CodecError.vpx(
                function: "vpx_codec_\(configuration.codec == .vp8 ? "vp8" : "vp9")_cx",
                message: "this libvpx has no \(configuration.codec.rawValue) encoder; install a full libvpx build")
        }
        let config = UnsafeMutablePointer<vpx_codec_enc_cfg_t>.allocate(capacity: 1)
        config.initialize(to: vpx_codec_enc_cfg_t())
        let context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        var opened = false
        var succeeded = false
        defer {
            if !succeeded {
                if opened { vpx_codec_destroy(context) }
                context.deallocate()
                config.deallocate()
            }
        }

        var status = vpx_codec_enc_config_default(iface, config, 0)
        guard status == VPX_CODEC_OK else {
            throw CodecError.vpx(function: "vpx_codec_enc_config_default", message: errorString(status))
        }
        let isVP8 = configuration.codec == .vp8
        config.pointee.g_w = UInt32(configuration.width)
        config.pointee.g_h = UInt32(configuration.height)
        config.pointee.g_threads = UInt32(configuration.threads)
        // One frame period per time-base unit: pts counts frames.
        config.pointee.g_timebase = vpx_rational(
            num: Int32(configuration.frameRateDenominator), den: Int32(configuration.frameRateNumerator))
        config.pointee.g_pass = VPX_RC_ONE_PASS
        config.pointee.g_lag_in_frames = 0
        config.pointee.g_error_resilient = configuration.errorResilient ? vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT) : 0
        config.pointee.rc_end_usage = configuration.rateControl == .cbr ? VPX_CBR : VPX_VBR
        config.pointee.rc_target_bitrate = UInt32(configuration.bitrateKbps)
        config.pointee.rc_dropframe_thresh = 0
        config.pointee.rc_resize_allowed = 0
        config.pointee.rc_min_quantizer = 2
        config.pointee.rc_max_quantizer = isVP8 ? 56 : 52
        config.pointee.rc_undershoot_pct = isVP8 ? 100 : 50
        config.pointee.rc_overshoot_pct = isVP8 ? 15 : 50
        config.pointee.rc_buf_sz = 1000
        config.pointee.rc_buf_initial_sz = 500
        config.pointee.rc_buf_optimal_sz = 600
        if configuration.keyframeInterval == 0 {
            config.pointee.kf_mode = VPX_KF_DISABLED
            config.pointee.kf_min_dist = 0
            config.pointee.kf_max_dist = 0
        } else {
            config.pointee.kf_mode = VPX_KF_AUTO
            config.pointee.kf_min_dist = 0
            config.pointee.kf_max_dist = UInt32(configuration.keyframeInterval)
        }

        status = parley_vpx_enc_init(context, iface, config, 0)
        guard status == VPX_CODEC_OK else {
            // A failed init cleans its context up itself.
            throw CodecError.vpx(function: "vpx_codec_enc_init", message: message(context, status))
        }
        opened = true

        func control(_ name: String, _ result: vpx_codec_err_t) throws(CodecError) {
            if result != VPX_CODEC_OK { throw error(name, context, result) }
        }
        if isVP8 {
            try control("VP8E_SET_CPUUSED", parley_vpx_set_cpuused(context, Int32(configuration.cpuUsed)))
            try control("VP8E_SET_STATIC_THRESHOLD", parley_vpx_set_static_threshold(context, 1))
            try control("VP8E_SET_NOISE_SENSITIVITY", parley_vpx_set_noise_sensitivity(context, 0))
            // As WebRTC: half the optimal buffer's worth of frames, at least 3 frames.
            let maxIntraPct = max(300, Int(Double(config.pointee.rc_buf_optimal_sz) * 0.5 * configuration.frameRate / 10))
            try control(
                "VP8E_SET_MAX_INTRA_BITRATE_PCT",
                parley_vpx_set_max_intra_bitrate_pct(context, UInt32(min(maxIntraPct, 100_000))))
            let partitions = configuration.threads >= 8 ? 3 : configuration.threads >= 4 ? 2 : configuration.threads >= 2 ? 1 : 0
            try control("VP8E_SET_TOKEN_PARTITIONS", parley_vpx_set_token_partitions(context, Int32(partitions)))
        } else {
            try control("VP8E_SET_CPUUSED", parley_vpx_set_cpuused(context, Int32(configuration.cpuUsed)))
            try control("VP9E_SET_ROW_MT", parley_vp9_set_row_mt(context, configuration.rowMultithreading ? 1 : 0))
            // log2 of the thread count; libvpx lowers it to what the width allows.
            let tileColumns = configuration.threads >= 8 ? 3 : configuration.threads >= 4 ? 2 : configuration.threads >= 2 ? 1 : 0
            try control("VP9E_SET_TILE_COLUMNS", parley_vp9_set_tile_columns(context, Int32(tileColumns)))
            try control("VP9E_SET_AQ_MODE", parley_vp9_set_aq_mode(context, 3))
            // VP9's noise sensitivity (VP9E_SET_NOISE_SENSITIVITY) defaults to 0, as wanted.
        }
        succeeded = true
        return (context, config)
    }

    // MARK: - Errors

    static func errorString(_ status: vpx_codec_err_t) -> String {
        guard let text = vpx_codec_err_to_string(status) else { return "error \(status.rawValue)" }
        return String(cString: text)
    }

    /// The context's last error with its detail, e.g. "Invalid parameter (g_w out of range)".
    static func message(_ context: UnsafeMutablePointer<vpx_codec_ctx_t>, _ status: vpx_codec_err_t? = nil) -> String {
        var text: String
        if let error = vpx_codec_error(context) {
            text = String(cString: error)
        } else if let status {
            text = errorString(status)
        } else {
            text = "unknown error"
        }
        if let detail = vpx_codec_error_detail(context) {
            let detailText = String(cString: detail)
            if !detailText.isEmpty { text += " (\(detailText))" }
        }
        return text
    }

    static func error(
        _ function: String, _ context: UnsafeMutablePointer<vpx_codec_ctx_t>, _ status: vpx_codec_err_t? = nil
    ) -> CodecError {
        .vpx(function: function, message: message(context, status))
    }
}
