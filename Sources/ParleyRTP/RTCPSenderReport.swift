/// RTCP sender report, PT 200 (RFC 3550 §6.4.1).
public struct RTCPSenderReport: Equatable, Hashable, Sendable {
    public var ssrc: UInt32
    /// Wallclock time when this report was sent.
    public var ntpTimestamp: NTPTimestamp
    /// The same instant in the RTP timestamp units of this sender's media.
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    public var octetCount: UInt32
    /// At most 31.
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension after the blocks, a whole number of 32-bit words.
    public var profileExtension: [UInt8]

    public init(
        ssrc: UInt32, ntpTimestamp: NTPTimestamp, rtpTimestamp: UInt32,
        packetCount: UInt32, octetCount: UInt32,
        reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    static let packetType: UInt8 = 200
    static let what = "RTCP sender report"
    private static let fixedSize = 24

    var bodySize: Int { Self.fixedSize + reports.count * RTCPReportBlock.wireSize + profileExtension.count }

    func validate() throws(RTPError) {
        try RTCPReports.validate(reports, extension: profileExtension, what: Self.what)
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPSenderReport {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= fixedSize else {
            throw .malformed(
                what: what,
                reason: "the length field leaves \(body.count) bytes after the header, sender info needs \(fixedSize)")
        }
        let ssrc = try r.u32("SSRC")
        let ntp = NTPTimestamp(rawValue: try r.u64("NTP timestamp"))
        let rtp = try r.u32("RTP timestamp")
        let packets = try r.u32("packet count")
        let octets = try r.u32("octet count")
        let (blocks, ext) = try RTCPReports.parse(&r, count: Int(count), fixedPart: fixedSize)
        return RTCPSenderReport(
            ssrc: ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp, packetCount: packets,
            octetCount: octets, reports: blocks, profileExtension: ext)
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(ssrc)
        w.u64(ntpTimestamp.rawValue)
        w.u32(rtpTimestamp)
        w.u32(packetCount)
        w.u32(octetCount)
        for b in reports { b.write(&w) }
        w.bytes(profileExtension)
    }
}
