/// One RTCP packet of a compound packet. Parse and build them with `RTCPCompound`.
public enum RTCPPacket: Equatable, Hashable, Sendable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    case genericNACK(RTCPGenericNACK)
    case pictureLossIndication(RTCPPictureLossIndication)
    case fullIntraRequest(RTCPFullIntraRequest)
    case transportWideFeedback(RTCPTransportFeedback)
    /// Any other packet (APP, XR, other feedback formats…), kept whole for forward
    /// compatibility: `bytes` is the entire packet from its 4-byte header on, padding
    /// included. `type` is its packet type (the header's second byte).
    case unknown(type: UInt8, bytes: [UInt8])

    /// A name for errors and logs, e.g. "RTCP receiver report".
    public static func name(packetType: UInt8, count: UInt8) -> String {
        switch (packetType, count) {
        case (200, _): return RTCPSenderReport.what
        case (201, _): return RTCPReceiverReport.what
        case (202, _): return RTCPSourceDescription.what
        case (203, _): return RTCPGoodbye.what
        case (204, _): return "RTCP APP"
        case (205, 1): return RTCPGenericNACK.what
        case (205, 15): return RTCPTransportFeedback.what
        case (205, _): return "RTCP transport-layer feedback (FMT \(count))"
        case (206, 1): return RTCPPictureLossIndication.what
        case (206, 4): return RTCPFullIntraRequest.what
        case (206, _): return "RTCP payload-specific feedback (FMT \(count))"
        case (207, _): return "RTCP extended report"
        default: return "RTCP packet type \(packetType)"
        }
    }

    /// Parses one packet's body (after the header, padding removed). `packet` is the
    /// whole packet, kept for `.unknown`.
    static func parse(
        type: UInt8, count: UInt8, body: UnsafeRawBufferPointer, packet: UnsafeRawBufferPointer
    ) throws(RTPError) -> RTCPPacket {
        switch (type, count) {
        case (200, _): return .senderReport(try .parse(count: count, body: body))
        case (201, _): return .receiverReport(try .parse(count: count, body: body))
        case (202, _): return .sourceDescription(try .parse(count: count, body: body))
        case (203, _): return .goodbye(try .parse(count: count, body: body))
        case (205, 1): return .genericNACK(try .parse(body: body))
        case (205, 15): return .transportWideFeedback(try .parse(body: body))
        case (206, 1): return .pictureLossIndication(try .parse(body: body))
        case (206, 4): return .fullIntraRequest(try .parse(body: body))
        default: return .unknown(type: type, bytes: Array(packet))
        }
    }

    /// Header count field: report/source count or feedback message type.
    var headerCount: UInt8 {
        switch self {
        case .senderReport(let p): return UInt8(truncatingIfNeeded: p.reports.count)
        case .receiverReport(let p): return UInt8(truncatingIfNeeded: p.reports.count)
        case .sourceDescription(let p): return UInt8(truncatingIfNeeded: p.chunks.count)
        case .goodbye(let p): return UInt8(truncatingIfNeeded: p.sources.count)
        case .genericNACK: return RTCPGenericNACK.format
        case .pictureLossIndication: return RTCPPictureLossIndication.format
        case .fullIntraRequest: return RTCPFullIntraRequest.format
        case .transportWideFeedback: return RTCPTransportFeedback.format
        case .unknown(_, let bytes): return bytes.isEmpty ? 0 : bytes[0] & 0x1F
        }
    }

    var packetType: UInt8 {
        switch self {
        case .senderReport: return RTCPSenderReport.packetType
        case .receiverReport: return RTCPReceiverReport.packetType
        case .sourceDescription: return RTCPSourceDescription.packetType
        case .goodbye: return RTCPGoodbye.packetType
        case .genericNACK: return RTCPGenericNACK.packetType
        case .pictureLossIndication: return RTCPPictureLossIndication.packetType
        case .fullIntraRequest: return RTCPFullIntraRequest.packetType
        case .transportWideFeedback: return RTCPTransportFeedback.packetType
        case .unknown(let type, _): return type
        }
    }

    /// Checks the value can be sent, and returns its size on the wire, header included.
    func validatedSize(isLast: Bool) throws(RTPError) -> Int {
        let body: Int
        switch self {
        case .senderReport(let p): try p.validate(); body = p.bodySize
        case .receiverReport(let p): try p.validate(); body = p.bodySize
        case .sourceDescription(let p): try p.validate(); body = p.bodySize
        case .goodbye(let p): try p.validate(); body = p.bodySize
        case .genericNACK(let p): try p.validate(); body = p.bodySize
        case .pictureLossIndication(let p): body = p.bodySize
        case .fullIntraRequest(let p): try p.validate(); body = p.bodySize
        case .transportWideFeedback(let p):
            try p.validate()
            body = p.unpaddedBodySize + rtcpPadding(toWordBoundary: p.unpaddedBodySize)
        case .unknown(let type, let bytes):
            try Self.validateUnknown(type: type, bytes: bytes, isLast: isLast)
            return bytes.count
        }
        guard body + 4 <= 65536 * 4 else {
            throw .malformed(
                what: Self.name(packetType: packetType, count: headerCount),
                reason: "\(body + 4) bytes do not fit the 16-bit length field")
        }
        return body + 4
    }

    private static func validateUnknown(type: UInt8, bytes: [UInt8], isLast: Bool) throws(RTPError) {
        let what = "RTCP packet of type \(type) kept as unknown"
        guard bytes.count >= 4, bytes.count % 4 == 0, bytes.count <= 65536 * 4 else {
            throw .malformed(what: what, reason: "\(bytes.count) bytes is not a whole RTCP packet of 32-bit words")
        }
        guard bytes[0] >> 6 == 2 else {
            throw .malformed(what: what, reason: "version \(bytes[0] >> 6) in its header, expected 2")
        }
        guard bytes[1] == type else {
            throw .malformed(what: what, reason: "its header says packet type \(bytes[1])")
        }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard (length + 1) * 4 == bytes.count else {
            throw .malformed(what: what, reason: "length field \(length) does not match its \(bytes.count) bytes")
        }
        if bytes[0] & 0x20 != 0 && !isLast {
            throw .malformed(what: what, reason: "padding bit set but it is not the last packet of the compound packet")
        }
    }

    /// Writes the packet; `size` comes from `validatedSize(isLast:)`.
    func write(_ w: inout RTCPByteWriter, size: Int, isLast: Bool) {
        if case .unknown(_, let bytes) = self {
            w.bytes(bytes)
            return
        }
        var padding = 0
        if case .transportWideFeedback(let p) = self {
            padding = rtcpPadding(toWordBoundary: p.unpaddedBodySize)
        }
        // Feedback padding uses the P bit (as libwebrtc and pion do) only where RFC 3550
        // allows it, in the last packet; elsewhere it is plain zero padding.
        let paddingBit: UInt8 = padding > 0 && isLast ? 0x20 : 0
        w.u8(0x80 | paddingBit | (headerCount & 0x1F))
        w.u8(packetType)
        w.u16(UInt16(size / 4 - 1))
        switch self {
        case .senderReport(let p): p.write(&w)
        case .receiverReport(let p): p.write(&w)
        case .sourceDescription(let p): p.write(&w)
        case .goodbye(let p): p.write(&w)
        case .genericNACK(let p): p.write(&w)
        case .pictureLossIndication(let p): p.write(&w)
        case .fullIntraRequest(let p): p.write(&w)
        case .transportWideFeedback(let p):
            p.write(&w)
            if paddingBit != 0 {
                w.zeros(padding - 1)
                w.u8(UInt8(padding))
            } else {
                w.zeros(padding)
            }
        case .unknown: break
        }
    }
}
