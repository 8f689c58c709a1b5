import ParleyCodecs
import ParleyCore
import ParleyMetrics
import ParleyRTP

/// One outgoing VP8/VP9 stream: an I420 frame in, SRTP packets out (encode, RFC 7741 /
/// RFC 9628 payloads fragmented to the MTU, RTP, protect, send). A keyframe request (PLI
/// or FIR from the receiver) makes the next frame a keyframe.
public final class VideoSendStream {
    public let payloadType: UInt8
    public let ssrc: UInt32
    public private(set) var framesEncoded = 0
    public private(set) var keyFramesEncoded = 0
    public private(set) var bytesEncoded = 0
    public private(set) var frameSizes = RunningSummary()
    public private(set) var encodeTimer = CallTimer()
    public private(set) var keyframeRequests = 0
    /// The last encoded frame (reused buffer), e.g. for writing an IVF of what was sent.
    public private(set) var lastEncoded = EncodedVideoFrame()

    private let encoder: VideoEncoder
    /// Where each frame goes (a mesh call: one output per peer).
    private var outputs: SendStreamOutputs
    private let packetizer: VideoPacketizer
    private let timestampBase: UInt32
    private var keyframePending = false

    public init(configuration: VideoEncoderConfiguration, sender: SecureRTPSender, payloadType: UInt8, ssrc: UInt32,
                initialSequenceNumber: UInt16, initialTimestamp: UInt32) throws {
        self.payloadType = payloadType
        self.ssrc = ssrc
        encoder = try VideoEncoder(configuration: configuration)
        packetizer = try VideoPacketizer(codec: configuration.codec, width: configuration.width, height: configuration.height)
        timestampBase = initialTimestamp
        lastEncoded = EncodedVideoFrame(capacity: max(1 << 16, VideoFrame.byteCount(width: configuration.width, height: configuration.height)))
        outputs = SendStreamOutputs(ssrc: ssrc, payloadType: payloadType, historyCapacity: 1024)
        addOutput(sender: sender, initialSequenceNumber: initialSequenceNumber)
    }

    /// Also sends every later frame through `sender` (another peer of a mesh call): each
    /// frame is encoded once and packetized once per output. Returns the output's index.
    @discardableResult
    public func addOutput(sender: SecureRTPSender, initialSequenceNumber: UInt16) -> Int {
        outputs.add(sender: sender, initialSequenceNumber: initialSequenceNumber)
    }

    /// Stops sending through output `index` (the peer left).
    public func removeOutput(_ index: Int) { outputs.remove(index) }

    /// The statistics of output `index` (0: the first sender's).
    public func statistics(output index: Int) -> SecureRTPSender.StreamStatistics { outputs.statistics(index) }

    public var configuration: VideoEncoderConfiguration { encoder.configuration }
    public var statistics: SecureRTPSender.StreamStatistics { statistics(output: 0) }

    /// The RTP timestamp (90 kHz clock) of frame `index`.
    public func rtpTimestamp(frame index: Int) -> UInt32 {
        let c = encoder.configuration
        let ticks = Int64(index) * 90_000 * Int64(c.frameRateDenominator) / Int64(c.frameRateNumerator)
        return timestampBase &+ UInt32(truncatingIfNeeded: ticks)
    }

    /// Asks for a keyframe on the next frame (the answer to PLI/FIR).
    public func requestKeyframe() {
        keyframeRequests += 1
        keyframePending = true
    }

    /// Encodes and sends frame number `index`. Returns false if the encoder produced nothing.
    @discardableResult
    public func send(_ frame: VideoFrame, index: Int, now: Double) throws -> Bool {
        let force = keyframePending
        keyframePending = false
        let produced = try encodeTimer.measure {
            try encoder.encode(frame, pts: Int64(index), forceKeyframe: force, into: &lastEncoded)
        }
        framesEncoded += 1
        guard produced else { return false }
        bytesEncoded += lastEncoded.size
        frameSizes.add(Double(lastEncoded.size))
        if lastEncoded.isKeyframe { keyFramesEncoded += 1 }
        let timestamp = rtpTimestamp(frame: index)
        let keyframe = lastEncoded.isKeyframe
        let size = lastEncoded.size
        try lastEncoded.data.withUnsafeBytes { all in
            try packetizer.packetize(frame: UnsafeRawBufferPointer(rebasing: all[0..<size]), keyframe: keyframe) { payload, marker in
                try outputs.send(payload: payload, marker: marker, timestamp: timestamp, now: now)
            }
        }
        return true
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
