/// What RFC 6716 §3.1 says an Opus packet's TOC byte (and, for code 3, its frame count
/// byte) implies about its duration.
public enum OpusPayload {
    /// The RTP clock rate of Opus, whatever the codec's internal sample rate (RFC 7587 §4.1).
    public static let clockRate = 48_000
    /// The longest duration one packet may hold: 120 ms (RFC 6716 §3.2.5).
    public static let maximumSamplesPerPacket = 5760

    /// Samples at 48 kHz in one Opus frame of the given TOC configuration (0...31).
    public static func samplesPerFrame(configuration: UInt8) -> Int {
        let config = Int(configuration & 0x1F)
        switch config {
        case 0...11: return config % 4 == 3 ? 2880 : 480 << (config % 4)  // SILK: 10, 20, 40, 60 ms
        case 12...15: return 480 << (config % 2)  // Hybrid: 10, 20 ms
        default: return 120 << (config % 4)  // CELT: 2.5, 5, 10, 20 ms
        }
    }

    /// The number of 48 kHz samples `packet` holds.
    ///
    /// - Throws: `RTPError.truncated` for an empty packet or a code-3 packet without its
    ///   frame count byte; `RTPError.malformed` for a code-3 count of 0 or a duration over
    ///   120 ms.
    public static func sampleCount(of packet: UnsafeRawBufferPointer) throws(RTPError) -> Int {
        guard packet.count >= 1 else {
            throw RTPError.truncated(what: "Opus packet", needed: 1, available: 0)
        }
        let toc = packet[0]
        let perFrame = samplesPerFrame(configuration: toc >> 3)
        let frames: Int
        switch toc & 0x03 {
        case 0: frames = 1
        case 1, 2: frames = 2
        default:
            guard packet.count >= 2 else {
                throw RTPError.truncated(what: "Opus code-3 packet frame count", needed: 2, available: packet.count)
            }
            frames = Int(packet[1] & 0x3F)
            guard frames >= 1 else {
                throw RTPError.malformed(what: "Opus packet", reason: "a code-3 packet announces 0 frames")
            }
        }
        let total = frames * perFrame
        guard total <= maximumSamplesPerPacket else {
            throw RTPError.malformed(
                what: "Opus packet", reason: "\(frames) frames of \(perFrame) samples exceed the 120 ms a packet may hold")
        }
        return total
    }
}

/// One Opus RTP payload ready to send. `bytes` is the caller's Opus packet itself: an
/// Opus RTP payload is exactly one Opus packet (RFC 7587 §4.2), so nothing is copied.
public struct OpusRTPPayload {
    public let bytes: UnsafeRawBufferPointer
    /// The RTP marker bit: set on the first packet of a talkspurt (see `OpusPayloader`).
    public let marker: Bool
    /// The RTP timestamp (48 kHz clock) of the packet's first sample.
    public let timestamp: UInt32
    /// 48 kHz samples in the packet.
    public let sampleCount: Int
}
