import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyRTP

/// Y4M/IVF → VP8/VP9 → RTP/SRTP → … → RTP → VP8/VP9 → Y4M, one frame per step, with
/// PSNR and SSIM of every received frame against the frame that was sent.
final class VideoLane {
    let source: VideoFileSource
    let options: LoopbackOptions
    private let encoder: VideoEncoder
    private let decoder: VideoDecoder
    private var writer: Y4MWriter?
    private var encodedWriter: IVFWriter?
    private(set) var outputPath: String?
    private(set) var encodedPath: String?
    private let call: LoopbackCall
    private let stream: Int
    private let packetizer: VideoPacketizer
    private let depacketizer: VideoDepacketizer
    private let rtpTimestampBase: UInt32

    /// Frames sent and not yet received, by RTP timestamp (a small ring, reused).
    private var sent: [VideoFrame]
    private var sentTimestamps: [UInt32?]
    private var original: VideoFrame
    private var received: VideoFrame
    private var packet = EncodedVideoFrame()
    private var encodeTimer = CallTimer()
    private var decodeTimer = CallTimer()
    private(set) var framesEncoded = 0
    private var framesDecoded = 0
    private var packetsReceived = 0
    private var keyframes = 0
    private var bytes = 0
    private var frameSizes = RunningSummary()
    private var psnrY = RunningSummary()
    private var psnr = RunningSummary()
    private var ssim = RunningSummary()
    private var frames: [LoopbackReport.VideoFrameStats] = []
    private(set) var finished = false
    /// The first error on the receive side (undecodable frame, failed write), reported by `step()`.
    private var receiveFailure: Error?

    init(path: String, options: LoopbackOptions, call: LoopbackCall) throws {
        source = try VideoFileSource(path: path)
        self.options = options
        self.call = call
        let configuration = VideoEncoderConfiguration(
            codec: options.videoCodec, width: source.width, height: source.height,
            frameRateNumerator: source.frameRateNumerator, frameRateDenominator: source.frameRateDenominator,
            bitrateKbps: options.videoBitrateKbps, cpuUsed: options.cpuUsed, threads: options.videoThreads,
            keyframeInterval: options.keyframeInterval, errorResilient: options.errorResilient)
        encoder = try VideoEncoder(configuration: configuration)
        decoder = try VideoDecoder(codec: options.videoCodec, threads: options.videoThreads)
        original = VideoFrame(width: source.width, height: source.height)
        received = VideoFrame(width: source.width, height: source.height)
        sent = Array(repeating: VideoFrame(width: source.width, height: source.height), count: 4)
        sentTimestamps = Array(repeating: nil, count: 4)
        packet = EncodedVideoFrame(capacity: max(1 << 16, original.byteCount))
        packetizer = try VideoPacketizer(codec: options.videoCodec, width: source.width, height: source.height)
        depacketizer = VideoDepacketizer(codec: options.videoCodec)
        let identity = try LoopbackCall.randomStreamIdentity()
        rtpTimestampBase = identity.timestamp
        let payloadType = options.videoCodec == .vp8 ? LoopbackCall.vp8PayloadType : LoopbackCall.vp9PayloadType
        stream = call.sender.addStream(ssrc: identity.ssrc, payloadType: payloadType,
                                       initialSequenceNumber: identity.sequenceNumber)
        call.receiver.register(payloadType: payloadType) { [unowned self] view, bytes, _ in
            self.receivedPacket(view, bytes)
        }
    }

    var cpuUsed: Int { encoder.configuration.cpuUsed }
    var expectedSeconds: Double? { source.expectedFrameCount.map { Double($0) / source.frameRate } }
    var seconds: Double { Double(framesEncoded) / source.frameRate }

    func openOutput(directory: String) throws {
        let out = (directory as NSString).appendingPathComponent("received.y4m")
        writer = try Y4MWriter(path: out, width: source.width, height: source.height,
                               frameRateNumerator: source.frameRateNumerator, frameRateDenominator: source.frameRateDenominator)
        outputPath = out
        let encoded = (directory as NSString).appendingPathComponent("sent.ivf")
        encodedWriter = try IVFWriter(path: encoded, codec: options.videoCodec, width: source.width, height: source.height,
                                      timebaseNumerator: source.frameRateDenominator, timebaseDenominator: source.frameRateNumerator)
        encodedPath = encoded
    }

    /// The RTP timestamp (90 kHz) of frame `index`.
    private func rtpTimestamp(_ index: Int) -> UInt32 {
        let ticks = Int64(index) * 90_000 * Int64(source.frameRateDenominator) / Int64(source.frameRateNumerator)
        return rtpTimestampBase &+ UInt32(truncatingIfNeeded: ticks)
    }

    // MARK: Send half

    func step() throws {
        guard try source.read(into: &original) else { finished = true; return }
        let index = framesEncoded
        let timestamp = rtpTimestamp(index)
        let slot = index % sent.count
        sent[slot].data.withUnsafeMutableBufferPointer { target in
            original.data.withUnsafeBufferPointer { target.baseAddress!.update(from: $0.baseAddress!, count: min($0.count, target.count)) }
        }
        sentTimestamps[slot] = timestamp
        let produced = try encodeTimer.measure {
            try encoder.encode(original, pts: Int64(index), into: &packet)
        }
        framesEncoded += 1
        guard produced else { return }
        bytes += packet.size
        frameSizes.add(Double(packet.size))
        if packet.isKeyframe { keyframes += 1 }
        try encodedWriter?.write(packet.data, count: packet.size, pts: packet.pts)
        let keyframe = packet.isKeyframe
        try packet.data.withUnsafeBytes { all in
            try packetizer.packetize(frame: UnsafeRawBufferPointer(rebasing: all[0..<packet.size]), keyframe: keyframe) { payload, marker in
                try call.sender.send(stream: stream, payload: payload, marker: marker, timestamp: timestamp, now: call.now)
            }
        }
        if let failure = receiveFailure { throw failure }
    }

    // MARK: Receive half

    private func receivedPacket(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer) {
        packetsReceived += 1
        guard receiveFailure == nil else { return }
        do {
            try depacketizer.depacketize(
                payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]), marker: view.header.marker,
                sequenceNumber: view.header.sequenceNumber, timestamp: view.header.timestamp
            ) { frame in try decodeAndMeasure(frame) }
        } catch {
            receiveFailure = error
        }
    }

    private func decodeAndMeasure(_ frame: AssembledFrame) throws {
        let decoded = try decodeTimer.measure { () throws -> Bool in
            do {
                return try decoder.decode(frame.bytes, into: &received)
            } catch {
                throw EngineError.badVideoInput(path: source.path, frame: framesDecoded, reason: "\(error)")
            }
        }
        guard decoded else { return }
        guard let slot = sentTimestamps.firstIndex(where: { $0 == frame.timestamp }) else {
            throw EngineError.invalidOption("received a video frame with RTP timestamp \(frame.timestamp) that was never sent")
        }
        sentTimestamps[slot] = nil
        let index = framesDecoded
        framesDecoded += 1
        try writer?.write(received)
        let p = try VideoQuality.psnr(reference: sent[slot], distorted: received)
        let s = try VideoQuality.ssim(reference: sent[slot], distorted: received)
        psnrY.add(p.y)
        psnr.add(p.combined)
        ssim.add(s)
        frames.append(.init(index: index, bytes: frame.bytes.count, keyframe: frame.isKeyframe, psnrY: p.y, psnr: p.combined, ssim: s))
    }

    func close() throws {
        try writer?.close()
        try encodedWriter?.close()
    }

    func report() -> LoopbackReport.Video {
        let c = encoder.configuration
        let duration = seconds
        return LoopbackReport.Video(
            codec: c.codec.rawValue,
            source: source.kind.rawValue,
            width: c.width, height: c.height, frameRate: source.frameRate,
            targetBitrateKbps: c.bitrateKbps, cpuUsed: c.cpuUsed, threads: c.threads,
            keyframeInterval: c.keyframeInterval, errorResilient: c.errorResilient,
            framesEncoded: framesEncoded, framesDecoded: framesDecoded, keyFramesEncoded: keyframes,
            packetsSent: call.sender.streams[stream].packetsSent, packetsReceived: packetsReceived,
            framesAssembled: depacketizer.framesAssembled, framesIncomplete: depacketizer.framesIncomplete,
            bytesSent: bytes,
            bitrateKbps: duration > 0 ? Double(bytes * 8) / duration / 1000 : 0,
            frameSizeBytes: frameSizes,
            encodeCPUSeconds: encodeTimer.threadSeconds,
            decodeCPUSeconds: decodeTimer.threadSeconds,
            encodeProcessCPUSeconds: encodeTimer.processSeconds,
            decodeProcessCPUSeconds: decodeTimer.processSeconds,
            encodeMillisecondsPerFrame: encodeTimer.microsecondsPerCall / 1000,
            decodeMillisecondsPerFrame: decodeTimer.microsecondsPerCall / 1000,
            psnrY: psnrY, psnr: psnr, ssim: ssim, frames: frames)
    }
}

/// VP8 or VP9 RTP packetization behind one interface.
final class VideoPacketizer {
    private let vp8: VP8Payloader?
    private let vp9: VP9Payloader?

    init(codec: VideoCodecKind, width: Int, height: Int) throws {
        switch codec {
        case .vp8:
            vp8 = try VP8Payloader()
            vp9 = nil
        case .vp9:
            vp8 = nil
            vp9 = try VP9Payloader(width: UInt16(clamping: width), height: UInt16(clamping: height))
        }
    }

    func packetize(frame: UnsafeRawBufferPointer, keyframe: Bool, emit: (UnsafeRawBufferPointer, Bool) throws -> Void) rethrows {
        if let vp8 { try vp8.packetize(frame: frame, keyframe: keyframe, emit: emit) }
        if let vp9 { try vp9.packetize(frame: frame, keyframe: keyframe, emit: emit) }
    }
}

/// VP8 or VP9 RTP depacketization and frame assembly behind one interface.
final class VideoDepacketizer {
    private let vp8: VP8Depayloader?
    private let vp9: VP9Depayloader?

    init(codec: VideoCodecKind) {
        vp8 = codec == .vp8 ? VP8Depayloader() : nil
        vp9 = codec == .vp9 ? VP9Depayloader() : nil
    }

    /// Feeds one packet; `complete` is called with each frame it completes.
    func depacketize(
        payload: UnsafeRawBufferPointer, marker: Bool, sequenceNumber: UInt16, timestamp: UInt32,
        complete: (AssembledFrame) throws -> Void
    ) throws {
        let result: FrameAssemblyResult
        if let vp8 {
            result = try vp8.depacketize(payload: payload, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp)
        } else if let vp9 {
            result = try vp9.depacketize(payload: payload, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp)
        } else {
            return
        }
        if let frame = result.frame { try complete(frame) }
    }

    var framesAssembled: Int { vp8?.assembler.framesAssembled ?? vp9?.assembler.framesAssembled ?? 0 }
    var framesIncomplete: Int { vp8?.assembler.framesIncomplete ?? vp9?.assembler.framesIncomplete ?? 0 }
}
