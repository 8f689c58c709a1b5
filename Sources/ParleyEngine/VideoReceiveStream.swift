import ParleyCodecs
import ParleyCore
import ParleyRTP

/// One incoming VP8/VP9 stream: SRTP-unprotected RTP packets in, decoded I420 frames
/// out. Frames are reassembled from their packets (incomplete ones counted and skipped);
/// an undecodable frame is counted and a keyframe is asked for (PLI) through
/// `keyframeNeeded`, and decoding resumes at the next keyframe.
public final class VideoReceiveStream: ReportingReceiveStream, RTPPacketSink {
    public let codec: VideoCodecKind
    public private(set) var packetsReceived = 0
    public private(set) var framesDecoded = 0
    public private(set) var decodeErrors = 0
    public private(set) var framesDroppedWaitingForKeyframe = 0
    public private(set) var decodeTimer = CallTimer()
    public internal(set) var statistics = ReceiverStatistics()
    public private(set) var ssrc: UInt32?
    public private(set) var lastDecodeError: String?
    /// Called when the decoder needs a keyframe (send a PLI).
    public var keyframeNeeded: ((UInt32) -> Void)?

    /// Receives each decoded frame with its RTP timestamp and the assembled frame's facts.
    public typealias Sink = (VideoFrame, AssembledFrame) -> Void

    private let decoder: VideoDecoder
    private let depacketizer: VideoDepacketizer
    private var picture = VideoFrame(width: 0, height: 0)
    private var waitingForKeyframe = false
    private let sink: Sink

    public init(codec: VideoCodecKind, threads: Int = 1, receiver: SecureRTPReceiver, payloadType: UInt8, sink: @escaping Sink) throws {
        self.codec = codec
        decoder = try VideoDecoder(codec: codec, threads: threads)
        depacketizer = VideoDepacketizer(codec: codec)
        self.sink = sink
        receiver.register(payloadType: payloadType, sink: self)
    }

    public var framesAssembled: Int { depacketizer.framesAssembled }
    public var framesIncomplete: Int { depacketizer.framesIncomplete }
    public var malformedPayloads: Int { depacketizer.malformedPayloads }

    public func receivedRTP(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer, arrival: Double) {
        packetsReceived += 1
        ssrc = view.header.ssrc
        _ = statistics.received(sequenceNumber: view.header.sequenceNumber, rtpTimestamp: view.header.timestamp,
                                arrival: arrival, clockRate: 90_000)
        let incompleteBefore = depacketizer.framesIncomplete
        depacketizer.depacketize(
            payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]), marker: view.header.marker,
            sequenceNumber: view.header.sequenceNumber, timestamp: view.header.timestamp
        ) { frame in decode(frame) }
        if depacketizer.framesIncomplete > incompleteBefore {
            // A frame was lost: what follows references it until the next keyframe.
            requestKeyframe()
        }
    }

    private func decode(_ frame: AssembledFrame) {
        if waitingForKeyframe && !frame.isKeyframe {
            framesDroppedWaitingForKeyframe += 1
            return
        }
        do {
            let produced = try decodeTimer.measure { try decoder.decode(frame.bytes, into: &picture) }
            waitingForKeyframe = false
            if produced {
                framesDecoded += 1
                sink(picture, frame)
            }
        } catch {
            decodeErrors += 1
            lastDecodeError = "\(error)"
            requestKeyframe()
        }
    }

    private func requestKeyframe() {
        waitingForKeyframe = true
        if let ssrc { keyframeNeeded?(ssrc) }
    }
}

/// VP8 or VP9 RTP depacketization and frame assembly behind one interface. Malformed
/// payloads are counted, never thrown.
final class VideoDepacketizer {
    private let vp8: VP8Depayloader?
    private let vp9: VP9Depayloader?
    private(set) var malformedPayloads = 0

    init(codec: VideoCodecKind) {
        vp8 = codec == .vp8 ? VP8Depayloader() : nil
        vp9 = codec == .vp9 ? VP9Depayloader() : nil
    }

    /// Feeds one packet; `complete` is called with the frame it completes, if any.
    func depacketize(
        payload: UnsafeRawBufferPointer, marker: Bool, sequenceNumber: UInt16, timestamp: UInt32,
        complete: (AssembledFrame) -> Void
    ) {
        let result: FrameAssemblyResult
        do {
            if let vp8 {
                result = try vp8.depacketize(payload: payload, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp)
            } else if let vp9 {
                result = try vp9.depacketize(payload: payload, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp)
            } else {
                return
            }
        } catch {
            malformedPayloads += 1
            return
        }
        if let frame = result.frame { complete(frame) }
    }

    var framesAssembled: Int { vp8?.assembler.framesAssembled ?? vp9?.assembler.framesAssembled ?? 0 }
    var framesIncomplete: Int { vp8?.assembler.framesIncomplete ?? vp9?.assembler.framesIncomplete ?? 0 }
}

extension VideoReceiveStream {
    public func makeReportBlock(now: Double, lastSRNtpMiddle: UInt32?, lastSRArrival: Double?) -> RTCPReportBlock? {
        guard let ssrc else { return nil }
        return statistics.makeReportBlock(ssrc: ssrc, now: now, lastSRNtpMiddle: lastSRNtpMiddle, lastSRArrival: lastSRArrival)
    }
}
