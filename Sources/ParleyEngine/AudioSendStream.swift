import Foundation
import ParleyCodecs
import ParleyMetrics
import ParleyRTP

/// One outgoing Opus stream: a PCM frame in, an SRTP packet out (encode, RFC 7587
/// payload, RTP with the audio level, protect, send). Buffers are allocated here; sending
/// a frame allocates nothing.
///
/// A mesh call sends the same stream to several peers: each frame is encoded once, then
/// packetized and protected once per output (`addOutput`), each output being another
/// peer's `SecureRTPSender` with its own keys and sequence numbers.
public final class AudioSendStream {
    public let configuration: OpusConfiguration
    public let payloadType: UInt8
    public let ssrc: UInt32
    public private(set) var framesEncoded = 0
    /// Opus bytes produced, including DTX frames that were not sent.
    public private(set) var bytesEncoded = 0
    public private(set) var discontinuousFrames = 0
    public private(set) var packetSizes = RunningSummary()
    public internal(set) var encodeTimer = CallTimer()

    private let encoder: OpusEncoder
    /// Where each frame goes. Audio is not retransmitted (a late frame is concealed, not
    /// asked for again): a short history is enough, and keeps a mesh call's memory small.
    private var outputs: SendStreamOutputs
    private var payloader: OpusPayloader
    private var packet: [UInt8]

    public init(configuration: OpusConfiguration, sender: SecureRTPSender, payloadType: UInt8, ssrc: UInt32,
                initialSequenceNumber: UInt16, initialTimestamp: UInt32) throws {
        self.configuration = configuration
        self.payloadType = payloadType
        self.ssrc = ssrc
        encoder = try OpusEncoder(configuration: configuration)
        payloader = OpusPayloader(initialTimestamp: initialTimestamp)
        packet = [UInt8](repeating: 0, count: OpusEncoder.maximumPacketSize)
        outputs = SendStreamOutputs(ssrc: ssrc, payloadType: payloadType, historyCapacity: Self.historyCapacity)
        addOutput(sender: sender, initialSequenceNumber: initialSequenceNumber)
    }

    /// Also sends every later frame through `sender` (another peer of a mesh call), from
    /// `initialSequenceNumber`. Returns the output's index for `removeOutput`.
    @discardableResult
    public func addOutput(sender: SecureRTPSender, initialSequenceNumber: UInt16) -> Int {
        outputs.add(sender: sender, initialSequenceNumber: initialSequenceNumber)
    }

    /// Stops sending through output `index` (the peer left). Its statistics stay.
    public func removeOutput(_ index: Int) { outputs.remove(index) }

    /// The statistics of output `index` (0: the first sender's).
    public func statistics(output index: Int) -> SecureRTPSender.StreamStatistics { outputs.statistics(index) }

    /// RTP packets kept per output for a retransmission request.
    static let historyCapacity = 8

    /// Samples per channel in one frame.
    public var frameSize: Int { configuration.frameSize }
    public var lookahead: Int { encoder.lookahead }
    public var statistics: SecureRTPSender.StreamStatistics { statistics(output: 0) }

    /// Encodes one frame of `frameSize × channels` interleaved samples once and sends it
    /// through every active output.
    public func send(_ pcm: [Float], now: Double) throws {
        let size = try encodeTimer.measure { try encoder.encode(pcm, into: &packet) }
        framesEncoded += 1
        bytesEncoded += size
        packetSizes.add(Double(size))
        if OpusPacket.isDiscontinuous(size: size) { discontinuousFrames += 1 }
        let level = Self.audioLevel(pcm)
        try packet.withUnsafeBytes { all in
            guard let payload = try payloader.packetize(UnsafeRawBufferPointer(rebasing: all[0..<size])) else { return }
            try outputs.send(payload: payload.bytes, marker: payload.marker, timestamp: payload.timestamp,
                             audioLevel: level, now: now)
        }
    }

    /// RFC 6464 level of a frame: −dBov of its RMS, 0...127.
    static func audioLevel(_ pcm: [Float]) -> RTPExtensions.AudioLevel {
        // An index loop over the buffer: iterating the array itself allocates per
        // element in unoptimized builds.
        let sum = pcm.withUnsafeBufferPointer { samples -> Float in
            var total: Float = 0
            var i = 0
            while i < samples.count {
                total += samples[i] * samples[i]
                i += 1
            }
            return total
        }
        let rms = (sum / Float(max(1, pcm.count))).squareRoot()
        let dBov = rms > 0 ? 20 * log10(Double(rms)) : -127
        return RTPExtensions.AudioLevel(voiceActivity: dBov > -50, dBov: dBov)
    }
}
