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
    private var writer: Y4MWriter?
    private var encodedWriter: IVFWriter?
    private(set) var outputPath: String?
    private(set) var encodedPath: String?
    private let call: LoopbackCall
    private let sendStream: VideoSendStream
    private var receiveStream: VideoReceiveStream!

    /// Frames sent and not yet received, by RTP timestamp (a small ring, reused).
    private var sent: [VideoFrame]
    private var sentTimestamps: [UInt32?]
    private var original: VideoFrame
    private var psnrY = RunningSummary()
    private var psnr = RunningSummary()
    private var ssim = RunningSummary()
    private var frames: [LoopbackReport.VideoFrameStats] = []
    private var everSent: Set<UInt32> = []
    private var framesNotCompared = 0
    private(set) var finished = false
    /// The first error on the receive side (a frame that was never sent, a failed write).
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
        original = VideoFrame(width: source.width, height: source.height)
        // Enough sent frames to compare against what arrives late over an emulated network
        // (retransmissions, queues): up to 3 s at 30 fps, within 256 MB of frames.
        let frameBytes = max(1, source.width * source.height * 3 / 2)
        let ring = max(8, min(96, (256 << 20) / frameBytes))
        sent = Array(repeating: VideoFrame(width: source.width, height: source.height), count: ring)
        sentTimestamps = Array(repeating: nil, count: ring)
        let identity = try LoopbackCall.randomStreamIdentity()
        try call.addStream(ssrc: identity.ssrc)
        let payloadType = options.videoCodec == .vp8 ? LoopbackCall.vp8PayloadType : LoopbackCall.vp9PayloadType
        sendStream = try VideoSendStream(
            configuration: configuration, sender: call.sender, payloadType: payloadType, ssrc: identity.ssrc,
            initialSequenceNumber: identity.sequenceNumber, initialTimestamp: identity.timestamp)
        receiveStream = try VideoReceiveStream(
            codec: options.videoCodec, threads: options.videoThreads, receiver: call.receiver, payloadType: payloadType
        ) { [unowned self] picture, frame in self.received(picture, frame) }
        call.rtcp.addSendStream(ssrc: identity.ssrc, clockRate: 90_000)
        call.rtcp.addReceiveStream(receiveStream)
        // Keyframe requests go the way they would in a call: PLI over RTCP.
        receiveStream.keyframeNeeded = { [unowned self] ssrc in self.call.rtcp.sendPictureLossIndication(mediaSSRC: ssrc, now: self.call.now) }
        // Lost packets are asked for again the way they would be in a call: NACK over RTCP.
        receiveStream.nackNeeded = { [unowned self] ssrc, lost in self.call.rtcp.sendNACK(mediaSSRC: ssrc, lost: lost, now: self.call.now) }
        let ssrc = identity.ssrc
        let previous = call.rtcp.keyframeRequested
        call.rtcp.keyframeRequested = { [unowned self] requested in
            if requested == ssrc { self.sendStream.requestKeyframe() } else { previous?(requested) }
        }
    }

    var cpuUsed: Int { sendStream.configuration.cpuUsed }
    var framesEncoded: Int { sendStream.framesEncoded }
    var expectedSeconds: Double? { source.expectedFrameCount.map { Double($0) / source.frameRate } }
    var seconds: Double { Double(sendStream.framesEncoded) / source.frameRate }

    /// webrtc-stats of the receiving side, cumulative.
    func inboundStats() -> InboundVideoStats? { receiveStream?.inboundStats(width: source.width, height: source.height) }

    /// The receiver's timer: NACK retries, frames waiting for a lost one.
    func tick(now: Double) {
        receiveStream.roundTripTime = call.rtcp.statistics.roundTripTime
        receiveStream.tick(now: now)
    }

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

    /// Reads, encodes and sends one frame; the call delivers it to the receive half.
    func step() throws {
        guard try source.read(into: &original) else { finished = true; return }
        let index = sendStream.framesEncoded
        let slot = index % sent.count
        sent[slot].data.withUnsafeMutableBufferPointer { target in
            original.data.withUnsafeBufferPointer { from in
                guard let to = target.baseAddress, let base = from.baseAddress else { return }
                to.update(from: base, count: min(from.count, target.count))
            }
        }
        sentTimestamps[slot] = sendStream.rtpTimestamp(frame: index)
        everSent.insert(sendStream.rtpTimestamp(frame: index))
        // Record what was sent before the call delivers it.
        if try sendStream.send(original, index: index, now: call.now) {
            let encoded = sendStream.lastEncoded
            try encodedWriter?.write(encoded.data, count: encoded.size, pts: encoded.pts)
        }
        if let failure = receiveFailure { throw failure }
    }

    /// The receive half's output: each decoded frame, measured against what was sent.
    private func received(_ picture: VideoFrame, _ frame: AssembledFrame) {
        guard receiveFailure == nil else { return }
        do {
            guard let slot = sentTimestamps.firstIndex(where: { $0 == frame.timestamp }) else {
                guard everSent.contains(frame.timestamp) else {
                    throw EngineError.invalidOption("received a video frame with RTP timestamp \(frame.timestamp) that was never sent")
                }
                // Sent so long ago that its reference is gone: keep it, without PSNR/SSIM.
                try writer?.write(picture)
                framesNotCompared += 1
                return
            }
            sentTimestamps[slot] = nil
            let index = frames.count
            try writer?.write(picture)
            let p = try VideoQuality.psnr(reference: sent[slot], distorted: picture)
            let s = try VideoQuality.ssim(reference: sent[slot], distorted: picture)
            psnrY.add(p.y)
            psnr.add(p.combined)
            ssim.add(s)
            frames.append(.init(index: index, bytes: frame.bytes.count, keyframe: frame.isKeyframe, psnrY: p.y, psnr: p.combined, ssim: s))
        } catch {
            receiveFailure = error
        }
    }

    func close() throws {
        try writer?.close()
        try encodedWriter?.close()
        if let failure = receiveFailure { throw failure }
    }

    func report() -> LoopbackReport.Video {
        let c = sendStream.configuration
        let duration = seconds
        let bytes = sendStream.bytesEncoded
        return LoopbackReport.Video(
            codec: c.codec.rawValue,
            source: source.kind.rawValue,
            width: c.width, height: c.height, frameRate: source.frameRate,
            targetBitrateKbps: c.bitrateKbps, cpuUsed: c.cpuUsed, threads: c.threads,
            keyframeInterval: c.keyframeInterval, errorResilient: c.errorResilient,
            framesEncoded: sendStream.framesEncoded, framesDecoded: receiveStream.framesDecoded,
            keyFramesEncoded: sendStream.keyFramesEncoded,
            packetsSent: sendStream.statistics.packetsSent, packetsReceived: receiveStream.packetsReceived,
            framesAssembled: receiveStream.framesAssembled, framesIncomplete: receiveStream.framesIncomplete,
            decodeErrors: receiveStream.decodeErrors,
            bytesSent: bytes,
            bitrateKbps: duration > 0 ? Double(bytes * 8) / duration / 1000 : 0,
            frameSizeBytes: sendStream.frameSizes,
            encodeCPUSeconds: sendStream.encodeTimer.threadSeconds,
            decodeCPUSeconds: receiveStream.decodeTimer.threadSeconds,
            encodeProcessCPUSeconds: sendStream.encodeTimer.processSeconds,
            decodeProcessCPUSeconds: receiveStream.decodeTimer.processSeconds,
            encodeMillisecondsPerFrame: sendStream.encodeTimer.microsecondsPerCall / 1000,
            decodeMillisecondsPerFrame: receiveStream.decodeTimer.microsecondsPerCall / 1000,
            psnrY: psnrY, psnr: psnr, ssim: ssim, frames: frames,
            framesDropped: receiveStream.framesDropped, freezeCount: receiveStream.freezes.freezeCount,
            totalFreezesDuration: receiveStream.freezes.totalFreezesDuration,
            nackCount: receiveStream.nackCounters.nackPackets, pliCount: receiveStream.bufferCounters.keyframeRequests)
    }
}
