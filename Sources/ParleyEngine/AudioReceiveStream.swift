import ParleyCodecs
import ParleyMetrics
import ParleyRTP

/// One incoming Opus stream: SRTP-unprotected RTP packets in, PCM frames out. Frames
/// that never came (lost packets, DTX silence) are concealed so the output keeps the
/// sender's timeline; late and duplicate packets are counted and dropped. (The adaptive
/// jitter buffer replaces this arrival-order playout later.)
public final class AudioReceiveStream: ReportingReceiveStream, RTPPacketSink {
    public let sampleRate: Int
    public let channels: Int
    public let frameSize: Int
    public private(set) var packetsReceived = 0
    public private(set) var framesDecoded = 0
    public private(set) var framesConcealed = 0
    public private(set) var latePackets = 0
    public private(set) var decodeErrors = 0
    public private(set) var decodeTimer = CallTimer()
    /// RFC 3550 statistics of the stream (loss, jitter).
    public internal(set) var statistics = ReceiverStatistics()
    public private(set) var ssrc: UInt32?
    /// The played frames as received or lost, in order (for the E-model's burst ratio).
    public private(set) var lossRuns = LossRunStatistics()
    /// Runs of concealed frames (webrtc-stats `concealmentEvents`).
    public private(set) var concealmentEvents = 0
    public private(set) var bytesReceived = 0
    private var concealing = false

    /// Receives each decoded or concealed frame (interleaved, valid during the call).
    public typealias Sink = (ArraySlice<Float>) -> Void

    private let decoder: OpusDecoder
    private var depayloader = OpusDepayloader()
    private var output: [Float]
    private var expectedTimestamp: UInt32?
    private let timestampPerFrame: UInt32
    private let sink: Sink

    public init(sampleRate: Int, channels: Int, frameDurationMilliseconds: Int, receiver: SecureRTPReceiver,
                payloadType: UInt8, sink: @escaping Sink) throws {
        self.sampleRate = sampleRate
        self.channels = channels
        frameSize = sampleRate * frameDurationMilliseconds / 1000
        decoder = try OpusDecoder(sampleRate: sampleRate, channels: channels)
        output = [Float](repeating: 0, count: decoder.maximumFrameSize * channels)
        timestampPerFrame = UInt32(OpusPayload.clockRate * frameDurationMilliseconds / 1000)
        self.sink = sink
        receiver.register(payloadType: payloadType, sink: self)
    }

    public func receivedRTP(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer, arrival: Double) {
        packetsReceived += 1
        bytesReceived += view.payloadRange.count
        ssrc = view.header.ssrc
        _ = statistics.received(sequenceNumber: view.header.sequenceNumber, rtpTimestamp: view.header.timestamp,
                                arrival: arrival, clockRate: OpusPayload.clockRate)
        let timestamp = view.header.timestamp
        if let expected = expectedTimestamp {
            let gap = Int32(bitPattern: timestamp &- expected)
            if gap < 0 {
                latePackets += 1
                return
            }
            // Frames that never came: lost packets, or silence the sender skipped (DTX).
            let missing = min(Int(gap) / Int(timestampPerFrame), 50)
            for _ in 0..<missing { conceal() }
        }
        do {
            let (opus, _) = try depayloader.depacketize(payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]))
            let decoded = try decodeTimer.measure { () throws -> Int in
                try output.withUnsafeMutableBufferPointer { try decoder.decode(opus, into: $0) }
            }
            framesDecoded += 1
            lossRuns.record(lost: false)
            concealing = false
            sink(output[0..<decoded * channels])
            expectedTimestamp = timestamp &+ UInt32(decoded * OpusPayload.clockRate / sampleRate)
        } catch {
            decodeErrors += 1
            conceal()
            expectedTimestamp = timestamp &+ timestampPerFrame
        }
    }

    private func conceal() {
        guard let n = try? decoder.conceal(frameSize: frameSize, into: &output) else { return }
        framesConcealed += 1
        lossRuns.record(lost: true)
        if !concealing { concealmentEvents += 1 }
        concealing = true
        sink(output[0..<n * channels])
    }
}

extension AudioReceiveStream {
    public func makeReportBlock(now: Double, lastSRNtpMiddle: UInt32?, lastSRArrival: Double?) -> RTCPReportBlock? {
        guard let ssrc else { return nil }
        return statistics.makeReportBlock(ssrc: ssrc, now: now, lastSRNtpMiddle: lastSRNtpMiddle, lastSRArrival: lastSRArrival)
    }
}
