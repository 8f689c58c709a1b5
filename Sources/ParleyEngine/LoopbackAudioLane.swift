import Foundation
import ParleyCodecs
import ParleyCore
import ParleyMedia
import ParleyMetrics
import ParleyRTP

/// WAV → Opus → RTP/SRTP → … → RTP → Opus → WAV, one frame per step. The send half runs
/// in `step()`; the receive half runs when the call delivers a packet.
final class AudioLane {
    let path: String
    let configuration: OpusConfiguration
    private let reader: WAVReader
    private let encoder: OpusEncoder
    private let decoder: OpusDecoder
    private var writer: WAVWriter?
    private(set) var outputPath: String?
    private let call: LoopbackCall
    private let stream: Int
    private var payloader: OpusPayloader
    private var depayloader = OpusDepayloader()

    private var input: [Float]
    private var scratch: [Float] = []
    private var packet: [UInt8]
    private var output: [Float]
    private var encodeTimer = CallTimer()
    private var decodeTimer = CallTimer()
    private(set) var framesEncoded = 0
    private var framesDecoded = 0
    private var framesConcealed = 0
    private var packetsReceived = 0
    private var bytes = 0
    private var discontinuous = 0
    private var packetSizes = RunningSummary()
    private(set) var finished = false
    private var expectedTimestamp: UInt32?
    /// RTP timestamp units (48 kHz for Opus, RFC 7587) per frame.
    private let timestampPerFrame: UInt32
    // Mono copies kept for the alignment analysis (bounded).
    private var referenceMono: [Float] = []
    private var receivedMono: [Float] = []
    private let analysisLimit: Int

    init(path: String, configuration: OpusConfiguration, acceptTruncated: Bool, call: LoopbackCall) throws {
        self.path = path
        self.configuration = configuration
        self.call = call
        reader = try WAVReader(path: path, output: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels))
        let info = reader.info
        if info.frameCount == 0 {
            throw MediaError.truncated(path: path, reason: "the data chunk holds no audio; give a WAV with at least one sample")
        }
        if info.isTruncated, !acceptTruncated, let declared = info.declaredFrameCount {
            let rate = Double(info.format.sampleRate)
            throw MediaError.truncated(path: path, reason: String(
                format: "the header declares %.2f s of audio but the file holds only %.2f s; "
                    + "pass --accept-truncated to use what is there",
                Double(declared) / rate, Double(info.frameCount) / rate))
        }
        encoder = try OpusEncoder(configuration: configuration)
        decoder = try OpusDecoder(sampleRate: configuration.sampleRate, channels: configuration.channels)
        input = [Float](repeating: 0, count: configuration.frameSize * configuration.channels)
        packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        output = [Float](repeating: 0, count: decoder.maximumFrameSize * configuration.channels)
        analysisLimit = Int(AudioAlignment.maximumAnalysisSeconds * Double(configuration.sampleRate))
        let expected = info.frameCount * configuration.sampleRate / max(1, info.format.sampleRate)
        referenceMono.reserveCapacity(min(analysisLimit, max(0, expected)))
        receivedMono.reserveCapacity(referenceMono.capacity)
        timestampPerFrame = UInt32(OpusPayload.clockRate * configuration.frameDurationMilliseconds / 1000)
        let identity = try LoopbackCall.randomStreamIdentity()
        payloader = OpusPayloader(initialTimestamp: identity.timestamp)
        stream = call.sender.addStream(ssrc: identity.ssrc, payloadType: LoopbackCall.audioPayloadType,
                                       initialSequenceNumber: identity.sequenceNumber)
        call.receiver.register(payloadType: LoopbackCall.audioPayloadType) { [unowned self] view, bytes, _ in
            self.received(view, bytes)
        }
    }

    var sourceInfo: WAVInfo { reader.info }
    var expectedSeconds: Double? { Double(reader.info.frameCount) / Double(reader.info.format.sampleRate) }
    var seconds: Double { Double(framesEncoded * configuration.frameSize) / Double(configuration.sampleRate) }

    func openOutput(directory: String) throws {
        let out = (directory as NSString).appendingPathComponent("received.wav")
        writer = try WAVWriter(path: out, format: AudioFormat(sampleRate: configuration.sampleRate, channels: configuration.channels))
        outputPath = out
    }

    // MARK: Send half

    func step() throws {
        let frameSize = configuration.frameSize
        let channels = configuration.channels
        // Fill one frame; the last one is padded with silence.
        var filled = 0
        while filled < frameSize {
            let n = try readInto(offset: filled, frames: frameSize - filled)
            if n == 0 { break }
            filled += n
        }
        if filled == 0 { finished = true; return }
        for i in (filled * channels)..<(frameSize * channels) { input[i] = 0 }
        keepReference(count: filled)
        let size = try encodeTimer.measure { try encoder.encode(input, into: &packet) }
        framesEncoded += 1
        bytes += size
        packetSizes.add(Double(size))
        if OpusPacket.isDiscontinuous(size: size) { discontinuous += 1 }
        let level = audioLevel()
        try packet.withUnsafeBytes { all in
            guard let payload = try payloader.packetize(UnsafeRawBufferPointer(rebasing: all[0..<size])) else { return }
            try call.sender.send(stream: stream, payload: payload.bytes, marker: payload.marker, timestamp: payload.timestamp,
                                 audioLevel: level, now: call.now)
        }
        if filled < frameSize { finished = true }
    }

    private func readInto(offset: Int, frames: Int) throws -> Int {
        let channels = configuration.channels
        if scratch.count < frames * channels { scratch = [Float](repeating: 0, count: frames * channels) }
        let n = try reader.read(into: &scratch, frames: frames)
        for i in 0..<(n * channels) { input[offset * channels + i] = scratch[i] }
        return n
    }

    /// RFC 6464 level of the frame about to be sent: −dBov of its RMS, 0...127.
    private func audioLevel() -> RTPExtensions.AudioLevel {
        var sum: Float = 0
        for sample in input { sum += sample * sample }
        let rms = (sum / Float(max(1, input.count))).squareRoot()
        let dBov = rms > 0 ? 20 * log10(Double(rms)) : -127
        return RTPExtensions.AudioLevel(voiceActivity: dBov > -50, dBov: dBov)
    }

    // MARK: Receive half

    private func received(_ view: RTPPacketView, _ bytes: UnsafeRawBufferPointer) {
        packetsReceived += 1
        let timestamp = view.header.timestamp
        // A timestamp ahead of the next expected one means frames that never came: lost
        // packets, or silence the sender skipped (DTX). Conceal them to keep the timeline.
        if let expected = expectedTimestamp {
            let gap = Int32(bitPattern: timestamp &- expected)
            if gap > 0 {
                let missing = min(Int(gap) / Int(timestampPerFrame), 50)
                for _ in 0..<missing { conceal() }
            } else if gap < 0 {
                return  // late or duplicate: its place in the output has passed
            }
        }
        let decoded: Int
        do {
            let (opus, _) = try depayloader.depacketize(payload: UnsafeRawBufferPointer(rebasing: bytes[view.payloadRange]))
            decoded = try decodeTimer.measure { () throws -> Int in
                try output.withUnsafeMutableBufferPointer { try decoder.decode(opus, into: $0) }
            }
        } catch {
            conceal()
            expectedTimestamp = timestamp &+ timestampPerFrame
            return
        }
        framesDecoded += 1
        emit(decoded)
        expectedTimestamp = timestamp &+ UInt32(decoded * OpusPayload.clockRate / configuration.sampleRate)
    }

    private func conceal() {
        guard let n = try? decoder.conceal(frameSize: configuration.frameSize, into: &output) else { return }
        framesConcealed += 1
        emit(n)
    }

    private func emit(_ frames: Int) {
        let channels = configuration.channels
        do {
            try writer?.write(output[0..<frames * channels])
        } catch {
            writeFailure = writeFailure ?? error
        }
        keepReceived(count: frames)
    }

    /// The first error writing received audio; `close()` reports it.
    private var writeFailure: Error?

    private func keepReference(count: Int) { appendMono(input, count, into: &referenceMono) }
    private func keepReceived(count: Int) { appendMono(output, count, into: &receivedMono) }

    private func appendMono(_ buffer: [Float], _ frames: Int, into target: inout [Float]) {
        let channels = configuration.channels
        for f in 0..<frames where target.count < analysisLimit {
            var sum: Float = 0
            for c in 0..<channels { sum += buffer[f * channels + c] }
            target.append(sum / Float(channels))
        }
    }

    func close() throws {
        try writer?.close()
        if let writeFailure { throw writeFailure }
    }

    func report() -> LoopbackReport.Audio {
        let duration = seconds
        let sent = call.sender.streams[stream]
        return LoopbackReport.Audio(
            sourceSampleRate: reader.info.format.sampleRate,
            sourceChannels: reader.info.format.channels,
            sourceSampleFormat: reader.info.sampleFormat.rawValue,
            sampleRate: configuration.sampleRate,
            channels: configuration.channels,
            frameDurationMilliseconds: configuration.frameDurationMilliseconds,
            targetBitrate: configuration.bitrate,
            complexity: configuration.complexity,
            inbandFEC: configuration.inbandFEC,
            dtx: configuration.dtx,
            durationSeconds: duration,
            framesEncoded: framesEncoded,
            framesDecoded: framesDecoded,
            discontinuousPackets: discontinuous,
            packetsSent: sent.packetsSent,
            packetsReceived: packetsReceived,
            concealedFrames: framesConcealed,
            bytesSent: bytes,
            bitrate: duration > 0 ? Double(bytes * 8) / duration : 0,
            packetSizeBytes: packetSizes,
            encodeCPUSeconds: encodeTimer.threadSeconds,
            decodeCPUSeconds: decodeTimer.threadSeconds,
            encodeMicrosecondsPerFrame: encodeTimer.microsecondsPerCall,
            decodeMicrosecondsPerFrame: decodeTimer.microsecondsPerCall,
            alignment: AudioAlignment.delay(reference: referenceMono, received: receivedMono,
                                            sampleRate: configuration.sampleRate, maxLagSeconds: 0.5),
            codecDelayMilliseconds: Double(encoder.lookahead) * 1000 / Double(configuration.sampleRate)
        )
    }
}
