/// Picture Loss Indication, PSFB (PT 206) FMT 1 (RFC 4585 §6.3.1). No FCI.
public struct RTCPPictureLossIndication: Equatable, Hashable, Sendable {
    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    static let packetType: UInt8 = 206
    static let format: UInt8 = 1
    static let what = "RTCP picture loss indication"

    var bodySize: Int { 8 }

    static func parse(body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPPictureLossIndication {
        guard body.count == 8 else {
            throw .malformed(
                what: what,
                reason: "the length field leaves \(body.count) bytes after the header; PLI has exactly 8 (two SSRCs, no FCI)")
        }
        var r = RTCPByteReader(body, what: what)
        return RTCPPictureLossIndication(senderSSRC: try r.u32("sender SSRC"), mediaSSRC: try r.u32("media SSRC"))
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(senderSSRC)
        w.u32(mediaSSRC)
    }
}
