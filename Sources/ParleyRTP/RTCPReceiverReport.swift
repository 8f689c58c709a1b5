/// RTCP receiver report, PT 201 (RFC 3550 §6.4.2).
public struct RTCPReceiverReport: Equatable, Hashable, Sendable {
    /// SSRC of the reporting receiver.
    public var ssrc: UInt32
    /// At most 31.
    public var reports: [RTCPReportBlock]
    /// Profile-specific extension after the blocks, a whole number of 32-bit words.
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, reports: [RTCPReportBlock] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    static let packetType: UInt8 = 201
    static let what = "RTCP receiver report"
    private static let fixedSize = 4

    var bodySize: Int { Self.fixedSize + reports.count * RTCPReportBlock.wireSize + profileExtension.count }

    func validate() throws(RTPError) {
        try RTCPReports.validate(reports, extension: profileExtension, what: Self.what)
    }

    static func parse(count: UInt8, body: UnsafeRawBufferPointer) throws(RTPError) -> RTCPReceiverReport {
        var r = RTCPByteReader(body, what: what)
        guard body.count >= fixedSize else {
            throw .malformed(what: what, reason: "the length field leaves \(body.count) bytes after the header, the SSRC needs 4")
        }
        let ssrc = try r.u32("SSRC")
        let (blocks, ext) = try RTCPReports.parse(&r, count: Int(count), fixedPart: fixedSize)
        return RTCPReceiverReport(ssrc: ssrc, reports: blocks, profileExtension: ext)
    }

    func write(_ w: inout RTCPByteWriter) {
        w.u32(ssrc)
        for b in reports { b.write(&w) }
        w.bytes(profileExtension)
    }
}
