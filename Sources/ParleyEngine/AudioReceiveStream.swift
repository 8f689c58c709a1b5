import ParleyCodecs
import ParleyCore
import ParleyMetrics
import ParleyPlayout
import ParleyRTP

/// One incoming Opus stream: SRTP-unprotected RTP packets in, PCM frames out, played one
/// of two ways:
///
/// - `.arrivalOrder`: each packet is decoded as it arrives; frames that never came (lost
///   packets, DTX silence) are concealed so the output keeps the sender's timeline; late
///   and duplicate packets are counted and dropped. No delay is added, none is absorbed.
/// - `.adaptive`: packets go into an `AudioJitterBuffer` (NetEq-style: adaptive target
///   delay, time-stretching, FEC, PLC, comfort noise), and the owner calls `pull(now:)`
///   once per frame on its playout clock; each pull emits exactly one frame.
public final class AudioReceiveStream: ReportingReceiveStream, RTPPacketSink {
    /// How the stream plays what it receives.
    public enum Playout: Sendable {
        case arrivalOrder
        /// `senderUsesFEC`: the sender puts in-band FEC in its packets (SDP
        /// `useinbandfec=1`); only then is a lost frame recovered from the next packet.
        case adaptive(JitterBufferConfiguration, senderUsesFEC: Bool)
    }

    public let sampleRate: Int
    public let channels: Int
    public let frameSize: Int
    public private(set) var packetsReceived = 0
    public private(set) var framesDecoded = 0
    public private(set) var framesConcealed = 0
    public private(set) var latePackets = 0
    public private(set) var decodeErrors = 0
    public internal(set) var decodeTimer = CallTimer()
    /// RFC 3550 statistics of the stream (loss, jitter).
    public internal(set) var statistics = ReceiverStatistics()
    public private(set) var ssrc: UInt32?
    /// The played frames as received or lost, in order (for the E-model's burst ratio).
    public private(set) var lossRuns = LossRunStatistics()
    /// Runs of concealed frames (webrtc-stats `concealmentEvents`).
    public private(set) var concealmentEvents = 0
    public private(set) var bytesReceived = 0
    private var concealing = false
    /// The adaptive jitter buffer (`.adaptive` only).
    public let jitterBuffer: AudioJitterBuffer?
    /// The arrival of the first packet (the playout clock starts there).
    public private(set) var firstArrival: Double?
    /// The arrival of the latest packet.
    public private(set) var lastArrival: Double?
    /// Frames recovered from in-band FEC (`.adaptive`).
    public private(set) var framesRecoveredByFEC = 0
    private var pullOutput: [Float] = []
    private var insertScratch = [UInt8](repeating: 0, count: 1500)

    /// Receives each decoded or concealed frame (interleaved, valid during the call).
    public typealias Sink = (ArraySlice<Float>) -> Void

    private let decoder: OpusDecoder
    private var depayloader = OpusDepayloader()
    private var output: [Float]
    private var expectedTimestamp: UInt32?
    private let timestampPerFrame: UInt32
    private let sink: Sink

    public init(sampleRate: Int, channels: Int, frameDurationMilliseconds: Int, receiver: SecureRTPReceiver,
                payloadType: UInt8, playout: Playout = .arrivalOrder, decodeScratch: DecodeScratch? = nil,
                sink: @escaping Sink) throws {
        self.sampleRate = sampleRate
        self.channels = channels
        frameSize = sampleRate * frameDurationMilliseconds / 1000
        decoder = try OpusDecoder(sampleRate: sampleRate, channels: channels)
        if case .adaptive(var configuration, let senderUsesFEC) = playout {
            configuration.packetMilliseconds = frameDurationMilliseconds
            if ![10, 20].contains(configuration.outputFrameMilliseconds) { configuration.outputFrameMilliseconds = 20 }
            let buffer = try AudioJitterBuffer(
                decoder: try OpusAudioDecoding(sampleRate: sampleRate, channels: channels, senderUsesFEC: senderUsesFEC),
                configuration: configuration, decodeScratch: decodeScratch)
            jitterBuffer = buffer
            pullOutput = [Float](repeating: 0, count: buffer.outputFrameSize * channels)
        } else {
            jitterBuffer = nil
        }
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
        if firstArrival == nil { firstArrival = arrival }
        lastArrival = arrival
        if let jitterBuffer {
            do {
                let (opus, _) = try depayloader.depacketize(payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]))
                // Through a buffer made once (the jitter buffer copies the bytes it keeps):
                // no allocation per packet.
                let count = min(opus.count, insertScratch.count)
                insertScratch.withUnsafeMutableBytes { scratch in
                    if count > 0 { scratch.baseAddress!.copyMemory(from: opus.baseAddress!, byteCount: count) }
                }
                jitterBuffer.insert(insertScratch[0..<count], sequenceNumber: view.header.sequenceNumber,
                                    timestamp: view.header.timestamp, ssrc: view.header.ssrc, arrival: arrival)
            } catch {
                decodeErrors += 1
            }
            return
        }
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

    /// `.adaptive`: plays one frame at playout time `now` (seconds, the receiver's clock) —
    /// decoded, stretched, FEC-recovered, concealed, comfort noise or (before playout
    /// starts) silence — and hands it to the sink. Returns what the jitter buffer did.
    @discardableResult
    public func pull(now: Double) -> PullResult? {
        guard let jitterBuffer else { return nil }
        let result = decodeTimer.measure { jitterBuffer.pull(now: now, into: &pullOutput) }
        account(result, jitterBuffer)
        sink(pullOutput[0..<(jitterBuffer.outputFrameSize * channels)])
        return result
    }

    /// `.adaptive`: `pull(now:)` into the caller's buffer (at least one output frame of
    /// interleaved samples) instead of the sink — a mesh call's mixer slot, without a copy
    /// in between.
    @discardableResult
    public func pull(now: Double, into output: UnsafeMutableBufferPointer<Float>) -> PullResult? {
        guard let jitterBuffer else { return nil }
        let result = decodeTimer.measure { jitterBuffer.pull(now: now, into: output) }
        account(result, jitterBuffer)
        return result
    }

    private func account(_ result: PullResult, _ jitterBuffer: AudioJitterBuffer) {
        // Packets the buffer has played so far (a pull may decode two when it accelerates).
        let s = jitterBuffer.statistics
        framesDecoded = max(0, s.packetsReceived - s.packetsDiscarded - jitterBuffer.packetCount)
        switch result.operation {
        case .normal, .accelerate, .preemptiveExpand:
            if result.decodedTimestamp != nil {
                lossRuns.record(lost: false)
                concealing = false
            }
        case .fec:
            framesRecoveredByFEC += 1
            lossRuns.record(lost: false)
            concealing = false
        case .expand:
            framesConcealed += 1
            lossRuns.record(lost: true)
            if !concealing { concealmentEvents += 1 }
            concealing = true
        case .buffering, .comfortNoise:
            break
        }
    }

    /// `.adaptive`: true while the jitter buffer still holds packets to play. (Its level
    /// also counts the time it would conceal, so it is not the test of "nothing left".)
    public var hasBufferedAudio: Bool {
        guard let jitterBuffer else { return false }
        return jitterBuffer.packetCount > 0
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
