/// Turns Opus packets into RTP payloads (RFC 7587).
///
/// - One Opus packet is one RTP payload, unchanged (RFC 7587 §4.2).
/// - The timestamp advances by the packet's duration at 48 kHz, read from its TOC byte,
///   whatever the encoder's internal sample rate (RFC 7587 §4.1).
/// - Marker: RFC 7587 §4.1 uses the marker as RFC 3550 §5.1 and the audio profile
///   (RFC 3551 §4.1) define it: set on the first packet of a talkspurt, that is the first
///   packet after a silence during which packets were not sent (DTX). The payloader sets
///   it on the very first packet and on the first packet sent after `skip(samples:)` or a
///   dropped DTX packet; `marksTalkspurts = false` leaves it always clear.
/// - DTX: with `dropsDTXPackets` (default true), packets of one or two bytes — what libopus
///   emits in DTX during silence — are not sent: `packetize` returns nil, the timestamp
///   still advances, and the next sent packet carries the marker.
///
/// No heap allocation.
public struct OpusPayloader: Sendable {
    /// The timestamp the next packet gets.
    public private(set) var nextTimestamp: UInt32
    public var marksTalkspurts: Bool
    public var dropsDTXPackets: Bool
    public private(set) var packetsProduced = 0
    public private(set) var dtxPacketsDropped = 0
    private var talkspurtStarts = true

    /// - Parameter initialTimestamp: the first packet's RTP timestamp (RFC 3550 asks for a
    ///   random start).
    public init(initialTimestamp: UInt32 = 0, marksTalkspurts: Bool = true, dropsDTXPackets: Bool = true) {
        self.nextTimestamp = initialTimestamp
        self.marksTalkspurts = marksTalkspurts
        self.dropsDTXPackets = dropsDTXPackets
    }

    /// Makes `opusPacket` the next RTP payload, or returns nil if it is a DTX packet that
    /// is not to be sent.
    ///
    /// - Throws: `RTPError` for an empty or impossible packet (see
    ///   `OpusPayload.sampleCount(of:)`); the timestamp does not move then.
    public mutating func packetize(_ opusPacket: UnsafeRawBufferPointer) throws(RTPError) -> OpusRTPPayload? {
        let samples = try OpusPayload.sampleCount(of: opusPacket)
        let timestamp = nextTimestamp
        nextTimestamp = nextTimestamp &+ UInt32(samples)
        if dropsDTXPackets && opusPacket.count <= 2 {
            dtxPacketsDropped += 1
            talkspurtStarts = true
            return nil
        }
        let marker = marksTalkspurts && talkspurtStarts
        talkspurtStarts = false
        packetsProduced += 1
        return OpusRTPPayload(bytes: opusPacket, marker: marker, timestamp: timestamp, sampleCount: samples)
    }

    /// Advances the timestamp over `samples` (48 kHz) that were not sent, e.g. silence the
    /// caller suppressed itself; the next packet starts a talkspurt.
    public mutating func skip(samples: Int) {
        nextTimestamp = nextTimestamp &+ UInt32(truncatingIfNeeded: max(0, samples))
        talkspurtStarts = true
    }
}
