import ParleyCodecs
import ParleyCore
import ParleyPlayout
import ParleyRTP

/// One incoming VP8/VP9 stream: SRTP-unprotected RTP packets in, decoded I420 frames
/// out, in decode order.
///
/// - Packets are reassembled into frames (`VideoDepacketizer`), which wait a while for
///   late or retransmitted packets.
/// - Missing packets are asked for again through `nackNeeded` (generic NACK), paced by
///   the round-trip time (`NackScheduler`); set `roundTripTime` as RTCP measures it.
/// - Complete frames go through a `VideoFrameBuffer` into decode order; a frame that is
///   lost for good (given up by the NACK scheduler or the assembler, or waited for too
///   long) makes the frames after it undecodable: they are dropped and a keyframe is asked
///   for (PLI) through `keyframeNeeded`, rate-limited; decoding resumes at the next
///   keyframe. An undecodable frame does the same.
/// - Decoded frames are timed by a `FreezeDetector` (webrtc-stats freezes).
///
/// Call `tick(now:)` on a timer (e.g. with each RTCP tick) so that retries and the wait
/// for lost frames go on when no packet arrives.
public final class VideoReceiveStream: ReportingReceiveStream, RTPPacketSink {
    public let codec: VideoCodecKind
    public private(set) var packetsReceived = 0
    /// RTP payload bytes received (webrtc-stats `bytesReceived`).
    public private(set) var bytesReceived = 0
    public private(set) var framesDecoded = 0
    public private(set) var decodeErrors = 0
    /// Frames not decoded because a frame before them was lost (until a keyframe), or
    /// late; the same as `framesDropped`.
    public var framesDroppedWaitingForKeyframe: Int { frameBuffer.counters.framesDropped }
    public private(set) var decodeTimer = CallTimer()
    public internal(set) var statistics = ReceiverStatistics()
    public private(set) var ssrc: UInt32?
    public private(set) var lastDecodeError: String?
    /// Called when the decoder needs a keyframe (send a PLI).
    public var keyframeNeeded: ((UInt32) -> Void)?
    /// Called with sequence numbers to ask for again (send a generic NACK).
    public var nackNeeded: ((UInt32, [UInt16]) -> Void)?
    /// The round-trip time to the sender, seconds, as RTCP measures it (paces NACK retries).
    public var roundTripTime: Double?
    /// NACK requests and their outcome.
    public var nackCounters: NackScheduler.Counters { nack.counters }
    /// Decode order, drops and keyframe requests.
    public var bufferCounters: VideoFrameBuffer<[UInt8]>.Counters { frameBuffer.counters }
    /// Freezes of the decoded video (webrtc-stats).
    public private(set) var freezes = FreezeDetector()

    /// Receives each decoded frame with its RTP timestamp and the assembled frame's facts.
    public typealias Sink = (VideoFrame, AssembledFrame) -> Void

    private let decoder: VideoDecoder
    private let depacketizer: VideoDepacketizer
    private let nack = NackScheduler()
    private let frameBuffer = VideoFrameBuffer<[UInt8]>()
    private var picture = VideoFrame(width: 0, height: 0)
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
        bytesReceived += view.payloadRange.count
        if let ssrc, ssrc != view.header.ssrc {
            // A new stream: nothing of the old one is useful any more.
            nack.reset()
            frameBuffer.reset()
        }
        ssrc = view.header.ssrc
        _ = statistics.received(sequenceNumber: view.header.sequenceNumber, rtpTimestamp: view.header.timestamp,
                                arrival: arrival, clockRate: 90_000)
        nack.received(sequenceNumber: view.header.sequenceNumber, now: arrival)
        let incompleteBefore = depacketizer.framesIncomplete
        depacketizer.depacketize(
            payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]), marker: view.header.marker,
            sequenceNumber: view.header.sequenceNumber, timestamp: view.header.timestamp
        ) { frame in
            frameBuffer.insert(
                .init(timestamp: frame.timestamp, firstSequenceNumber: frame.firstSequenceNumber,
                      lastSequenceNumber: frame.lastSequenceNumber, isKeyframe: frame.isKeyframe,
                      payload: Array(frame.bytes)),
                now: arrival)
        }
        if depacketizer.framesIncomplete > incompleteBefore {
            // The assembler gave a frame up: what follows references it until a keyframe.
            frameBuffer.frameLost()
        }
        tick(now: arrival)
    }

    /// Sends due NACKs, gives up lost packets and decodes what is ready; call on a timer too.
    public func tick(now: Double) {
        guard let ssrc else { return }
        let due = nack.due(now: now, roundTripTime: roundTripTime)
        if !due.isEmpty { nackNeeded?(ssrc, due) }
        let lost = nack.takeGivenUp()
        if !lost.isEmpty { frameBuffer.packetsLost(lost) }
        for action in frameBuffer.poll(now: now) {
            switch action {
            case .decode(let frame, _):
                decode(frame, now: now)
            case .requestKeyframe:
                keyframeNeeded?(ssrc)
            }
        }
    }

    /// Frames dropped because they could not be decoded (after a lost frame, before the
    /// first keyframe, late) — webrtc-stats `framesDropped`.
    public var framesDropped: Int { frameBuffer.counters.framesDropped }

    private func decode(_ frame: VideoFrameBuffer<[UInt8]>.Frame, now: Double) {
        do {
            let produced = try frame.payload.withUnsafeBytes { bytes in
                try decodeTimer.measure { try decoder.decode(bytes, into: &picture) }
            }
            if produced {
                framesDecoded += 1
                freezes.frameRendered(at: now)
                let assembled = frame.payload.withUnsafeBytes { bytes in
                    AssembledFrame(bytes: bytes, timestamp: frame.timestamp, firstSequenceNumber: frame.firstSequenceNumber,
                                   lastSequenceNumber: frame.lastSequenceNumber, packetCount: 0,
                                   isKeyframe: frame.isKeyframe, pictureID: nil)
                }
                sink(picture, assembled)
            }
        } catch {
            decodeErrors += 1
            lastDecodeError = "\(error)"
            frameBuffer.frameLost()
            if let ssrc { keyframeNeeded?(ssrc) }
        }
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
