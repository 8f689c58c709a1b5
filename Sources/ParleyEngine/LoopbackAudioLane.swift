import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyPlayout
import ParleyRTP

/// WAV → Opus → RTP/SRTP → … → RTP → Opus → WAV, one frame per step. The send half runs
/// in `step()`; the receive half runs when the call delivers a packet.
final class AudioLane {
    let path: String
    let configuration: OpusConfiguration
    private let source: AudioFileSource
    private var writer: WAVWriter?
    private(set) var outputPath: String?
    private let call: LoopbackCall
    private let sendStream: AudioSendStream
    private var receiveStream: AudioReceiveStream!

    private var input: [Float]
    private(set) var finished = false
    /// The first error writing received audio; `close()` reports it.
    private var writeFailure: Error?
    // Mono copies kept for the alignment analysis (bounded).
    private var referenceMono: [Float] = []
    private var receivedMono: [Float] = []
    private let analysisLimit: Int

    init(path: String, configuration: OpusConfiguration, acceptTruncated: Bool, call: LoopbackCall, adaptivePlayout: Bool = false) throws {
        self.path = path
        self.configuration = configuration
        self.call = call
        source = try AudioFileSource(
            path: path, format: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels),
            frameSize: configuration.frameSize, acceptTruncated: acceptTruncated)
        let info = source.info
        input = [Float](repeating: 0, count: configuration.frameSize * configuration.channels)
        analysisLimit = Int(AudioAlignment.maximumAnalysisSeconds * Double(configuration.sampleRate))
        let expected = info.frameCount * configuration.sampleRate / max(1, info.format.sampleRate)
        referenceMono.reserveCapacity(min(analysisLimit, max(0, expected)))
        receivedMono.reserveCapacity(referenceMono.capacity)
        let identity = try LoopbackCall.randomStreamIdentity()
        try call.addStream(ssrc: identity.ssrc)
        sendStream = try AudioSendStream(
            configuration: configuration, sender: call.sender, payloadType: LoopbackCall.audioPayloadType,
            ssrc: identity.ssrc, initialSequenceNumber: identity.sequenceNumber, initialTimestamp: identity.timestamp)
        receiveStream = try AudioReceiveStream(
            sampleRate: configuration.sampleRate, channels: configuration.channels,
            frameDurationMilliseconds: configuration.frameDurationMilliseconds, receiver: call.receiver,
            payloadType: LoopbackCall.audioPayloadType,
            // Over an emulated network the adaptive jitter buffer plays the audio; over the
            // perfect link nothing is late, so packets are played as they arrive.
            playout: adaptivePlayout ? .adaptive(JitterBufferConfiguration(), senderUsesFEC: configuration.inbandFEC) : .arrivalOrder
        ) { [unowned self] frame in self.emit(frame) }
        call.rtcp.addSendStream(ssrc: identity.ssrc, clockRate: OpusPayload.clockRate)
        call.rtcp.addReceiveStream(receiveStream)
    }

    var sourceInfo: WAVInfo { source.info }
    var framesEncoded: Int { sendStream.framesEncoded }
    var expectedSeconds: Double? { source.expectedSeconds }
    /// webrtc-stats of the receiving side, cumulative.
    func inboundStats() -> InboundAudioStats? { receiveStream?.inboundStats() }

    /// When the next frame is played (the playout clock starts at the first arrival and
    /// ticks once per output frame); nil before any packet arrived.
    var nextPlayout: Double? {
        guard receiveStream?.jitterBuffer != nil else { return nil }  // arrival order: no playout clock
        return nextPull ?? receiveStream?.firstArrival
    }
    private var nextPull: Double?

    /// True while the jitter buffer still holds packets to play.
    var hasBufferedAudio: Bool { receiveStream?.hasBufferedAudio ?? false }

    /// Plays one frame at `now`.
    func pull(now: Double) {
        guard let stream = receiveStream, let buffer = stream.jitterBuffer else { return }
        if nextPull == nil {
            // The output starts at media time 0, as the input does: the wait for the first
            // packet is silence, so the cross-correlation measures mouth to ear.
            let lead = Int((now * Double(configuration.sampleRate)).rounded()) * configuration.channels
            if lead > 0 { emit(ArraySlice([Float](repeating: 0, count: lead))) }
        }
        stream.pull(now: now)
        nextPull = (nextPull ?? now) + Double(buffer.outputFrameSize) / Double(configuration.sampleRate)
    }

    /// The E-model's view of the played audio (nil before anything was played), over a
    /// network of `networkDelay` seconds' mean one-way delay.
    func callQuality(networkDelay: Double, bitrate: Double) -> CallQuality? {
        receiveStream?.callQuality(networkDelay: networkDelay, frameDurationMilliseconds: configuration.frameDurationMilliseconds,
                                   bitrate: bitrate)
    }

    var seconds: Double { Double(sendStream.framesEncoded * configuration.frameSize) / Double(configuration.sampleRate) }

    func openOutput(directory: String) throws {
        let out = (directory as NSString).appendingPathComponent("received.wav")
        writer = try WAVWriter(path: out, format: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels))
        outputPath = out
    }

    /// Reads, encodes and sends one frame; the call delivers it to the receive half.
    func step() throws {
        let frameSize = configuration.frameSize
        let channels = configuration.channels
        let filled = try source.readFrame(into: &input)
        if filled == 0 { finished = true; return }
        appendMono(input[0..<filled * channels], into: &referenceMono)
        try sendStream.send(input, now: call.now)
        if filled < frameSize { finished = true }
        if let writeFailure { throw writeFailure }
    }

    /// The receive half's output: each decoded or concealed frame.
    private func emit(_ frame: ArraySlice<Float>) {
        do {
            try writer?.write(frame)
        } catch {
            writeFailure = writeFailure ?? error
        }
        appendMono(frame, into: &receivedMono)
    }

    private func appendMono(_ samples: ArraySlice<Float>, into target: inout [Float]) {
        let channels = configuration.channels
        var i = samples.startIndex
        while i + channels <= samples.endIndex, target.count < analysisLimit {
            var sum: Float = 0
            for c in 0..<channels { sum += samples[i + c] }
            target.append(sum / Float(channels))
            i += channels
        }
    }

    func close() throws {
        try writer?.close()
        if let writeFailure { throw writeFailure }
    }

    func report() -> LoopbackReport.Audio {
        let duration = seconds
        let bytes = sendStream.bytesEncoded
        return LoopbackReport.Audio(
            sourceSampleRate: source.info.format.sampleRate,
            sourceChannels: source.info.format.channels,
            sourceSampleFormat: source.info.sampleFormat.rawValue,
            sampleRate: configuration.sampleRate,
            channels: configuration.channels,
            frameDurationMilliseconds: configuration.frameDurationMilliseconds,
            targetBitrate: configuration.bitrate,
            complexity: configuration.complexity,
            inbandFEC: configuration.inbandFEC,
            dtx: configuration.dtx,
            durationSeconds: duration,
            framesEncoded: sendStream.framesEncoded,
            framesDecoded: receiveStream.framesDecoded,
            discontinuousPackets: sendStream.discontinuousFrames,
            packetsSent: sendStream.statistics.packetsSent,
            packetsReceived: receiveStream.packetsReceived,
            concealedFrames: receiveStream.framesConcealed,
            bytesSent: bytes,
            bitrate: duration > 0 ? Double(bytes * 8) / duration : 0,
            packetSizeBytes: sendStream.packetSizes,
            encodeCPUSeconds: sendStream.encodeTimer.threadSeconds,
            decodeCPUSeconds: receiveStream.decodeTimer.threadSeconds,
            encodeMicrosecondsPerFrame: sendStream.encodeTimer.microsecondsPerCall,
            decodeMicrosecondsPerFrame: receiveStream.decodeTimer.microsecondsPerCall,
            alignment: AudioAlignment.delay(reference: referenceMono, received: receivedMono,
                                            sampleRate: configuration.sampleRate, maxLagSeconds: 0.5),
            codecDelayMilliseconds: Double(sendStream.lookahead) * 1000 / Double(configuration.sampleRate),
            jitterBuffer: receiveStream.jitterBuffer.map { buffer in
                let s = buffer.statistics
                let emitted = Double(max(1, s.jitterBufferEmittedCount))
                return LoopbackReport.JitterBufferSummary(
                    meanDelayMilliseconds: s.jitterBufferDelay / emitted * 1000,
                    meanTargetDelayMilliseconds: s.jitterBufferTargetDelay / emitted * 1000,
                    removedSamplesForAcceleration: s.removedSamplesForAcceleration,
                    insertedSamplesForDeceleration: s.insertedSamplesForDeceleration,
                    concealedSamples: s.concealedSamples, fecPacketsRecovered: s.fecPacketsRecovered,
                    packetsDiscarded: s.packetsDiscarded)
            }
        )
    }
}
