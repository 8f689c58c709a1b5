import ParleyCodecs
import ParleyRTP
import ParleySecurity

/// The audio send and receive path of a call, end to end in one process, for the
/// `audio-path` case of `parley bench`. Per 20 ms frame: `OpusEncoder.encode`,
/// `OpusPayloader.packetize`, `RTPPacketBuilder` (header + audio level, abs-send-time and
/// transport-wide sequence number extensions + payload), `SRTPSession.protectRTP`
/// (outbound session), `SRTPSession.unprotectRTP` (inbound session), `RTPPacketView.parse`
/// and one extension lookup, `OpusDepayloader.depacketize`, `OpusDecoder.decode`.
///
/// Every buffer is allocated once, up front; a frame allocates nothing in Parley's code
/// (libsrtp2's NSS backend allocates inside its own calls, for the bare calls alike).
/// The audio level written is a stand-in value: measuring the frame's level is not part
/// of the path being compared.
struct AudioPathBenchmark: ~Copyable {
    let encoder: OpusEncoder
    let decoder: OpusDecoder
    let sender: SRTPSession
    let receiver: SRTPSession
    let map: RTPExtensionMap
    private var payloader: OpusPayloader
    private var depayloader = OpusDepayloader()
    private var index = 0
    /// The encoder's output.
    private let opusPacket: UnsafeMutableRawBufferPointer
    /// The RTP packet, protected and unprotected in place.
    private let packet: UnsafeMutableRawBufferPointer
    /// The decoder's output.
    private let decoded: UnsafeMutableBufferPointer<Float>

    private(set) var framesEncoded = 0
    private(set) var framesDecoded = 0
    private(set) var samplesDecoded = 0
    /// Opus bytes encoded, and Opus bytes that came out of the depayloader.
    private(set) var bytesEncoded = 0
    private(set) var bytesReceived = 0
    /// RTP packet bytes before protection.
    private(set) var packetBytes = 0
    /// Samples per channel of the last frame decoded.
    private var lastSamples = 0

    /// The last frame decoded (valid until the next `process`).
    var lastDecodedFrame: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: decoded[0..<(lastSamples * decoder.channels)])
    }

    static let suite = SRTPSuite.aeadAES128GCM

    init(configuration: OpusConfiguration) throws {
        // Everything that can throw first: a noncopyable value is initialized all at once.
        let encoder = try OpusEncoder(configuration: configuration)
        let decoder = try OpusDecoder(sampleRate: configuration.sampleRate, channels: configuration.channels)
        let key = TransportBenchmark.masterKey(for: Self.suite)
        let sender = try SRTPSession(suite: Self.suite, masterKey: key, direction: .outbound)
        let receiver = try SRTPSession(suite: Self.suite, masterKey: key, direction: .inbound)
        let map = try TransportBenchmark.extensionMap()
        self.encoder = encoder
        self.decoder = decoder
        self.sender = sender
        self.receiver = receiver
        self.map = map
        // DTX is off in the benchmark's configuration, so every packet is sent.
        payloader = OpusPayloader(initialTimestamp: TransportBenchmark.initialTimestamp, dropsDTXPackets: false)
        opusPacket = .allocate(byteCount: OpusEncoder.maximumPacketSize, alignment: 16)
        packet = .allocate(byteCount: Self.packetCapacity, alignment: 16)
        decoded = .allocate(capacity: decoder.maximumFrameSize * configuration.channels)
    }

    deinit {
        opusPacket.deallocate()
        packet.deallocate()
        decoded.deallocate()
    }

    /// Header, a 16-byte extension block, the largest Opus packet and the SRTP trailer.
    static let packetCapacity = 12 + 4 + 16 + OpusEncoder.maximumPacketSize + SRTPSession.maximumTrailerLength

    /// One frame of PCM through the whole path. Returns the samples per channel decoded.
    @inline(__always)
    mutating func process(_ pcm: UnsafeBufferPointer<Float>) throws -> Int {
        let encoded = try encoder.encode(pcm, into: opusPacket)
        framesEncoded &+= 1
        bytesEncoded &+= encoded
        guard let payload = try payloader.packetize(UnsafeRawBufferPointer(rebasing: opusPacket[0..<encoded])) else {
            return 0
        }
        var header = TransportBenchmark.header(index: index)
        header.marker = payload.marker
        header.timestamp = payload.timestamp
        let length = try TransportBenchmark.writeAudioPacket(
            into: packet, header: header, index: index, map: map, payload: payload.bytes)
        index &+= 1
        packetBytes &+= length

        let secured = try sender.protectRTP(packet, length: length)
        let plain = try receiver.unprotectRTP(packet, length: secured)

        let received = UnsafeRawBufferPointer(rebasing: packet[0..<plain])
        let view = try RTPPacketView.parse(received)
        _ = try view.extensionValue(RTPExtensions.AudioLevel.self, map: map, in: received)
        let opus = try depayloader.depacketize(payload: UnsafeRawBufferPointer(rebasing: received[view.payloadRange]))
        bytesReceived &+= opus.packet.count
        let samples = try decoder.decode(opus.packet, into: decoded)
        framesDecoded &+= 1
        samplesDecoded &+= samples
        lastSamples = samples
        return samples
    }

    /// Runs `frames` through the path, the clock read around each frame's whole path.
    /// Returns the seconds spent and the samples per channel decoded.
    mutating func run(_ frames: [[Float]]) throws -> (seconds: Double, output: Int) {
        var nanoseconds: UInt64 = 0
        var samples = 0
        for frame in frames {
            try frame.withUnsafeBufferPointer { pcm in
                let start = BenchmarkClock.monotonicNanoseconds()
                samples &+= try process(pcm)
                nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            }
        }
        return (Double(nanoseconds) / 1e9, samples)
    }

    /// The RTP packets this path sends for `opusPackets` (what the encoder produces from
    /// the same PCM), built beforehand for the bare SRTP calls of the comparison.
    static func rtpPackets(for opusPackets: [[UInt8]]) throws(RTPError) -> [[UInt8]] {
        let map = try TransportBenchmark.extensionMap()
        var payloader = OpusPayloader(initialTimestamp: TransportBenchmark.initialTimestamp, dropsDTXPackets: false)
        var result: [[UInt8]] = []
        result.reserveCapacity(opusPackets.count)
        var bytes = [UInt8](repeating: 0, count: packetCapacity)
        for (index, opus) in opusPackets.enumerated() {
            let outcome = opus.withUnsafeBytes { opus in
                bytes.withUnsafeMutableBytes { buffer -> Result<Int, RTPError> in
                    do throws(RTPError) {
                        guard let payload = try payloader.packetize(opus) else { return .success(0) }
                        var header = TransportBenchmark.header(index: index)
                        header.marker = payload.marker
                        header.timestamp = payload.timestamp
                        return .success(try TransportBenchmark.writeAudioPacket(
                            into: buffer, header: header, index: index, map: map, payload: payload.bytes))
                    } catch { return .failure(error) }
                }
            }
            let length = try outcome.get()
            if length > 0 { result.append(Array(bytes[0..<length])) }
        }
        return result
    }
}
