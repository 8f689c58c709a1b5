/// Parses and builds RTCP compound packets (RFC 3550 §6.1): one or more RTCP packets
/// back to back in one datagram. These are the fuzzable entry points: bytes in, packets
/// or an `RTPError` out, never a crash.
///
/// Checks on parse: version 2; each length field within the bytes left; the padding bit
/// only on the last packet, with a padding count of 1 … body size; per-type counts and
/// lengths (report blocks, SDES items within the packet and chunk, BYE reason, NACK and
/// FIR entries, PLI without FCI, TWCC chunks within the packet status count and deltas
/// within the packet). Not required: an SR or RR first (reduced-size RTCP, RFC 5506,
/// sends feedback alone), or SDES CNAME present.
public enum RTCPCompound {
    /// Parses every packet of a compound packet.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(RTPError) -> [RTCPPacket] {
        guard !bytes.isEmpty else {
            throw .truncated(what: "RTCP compound packet", needed: 4, available: 0)
        }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            guard remaining >= 4 else {
                throw .truncated(what: "RTCP header after \(packets.count) packets", needed: 4, available: remaining)
            }
            let first = bytes[offset]
            let count = first & 0x1F
            let type = bytes[offset + 1]
            let name = RTCPPacket.name(packetType: type, count: count)
            guard first >> 6 == 2 else {
                throw .malformed(what: "\(name) header", reason: "version \(first >> 6), expected 2")
            }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let size = (length + 1) * 4
            guard size <= remaining else {
                throw .truncated(what: "\(name) (length field \(length))", needed: size, available: remaining)
            }
            let isLast = offset + size == bytes.count
            var bodyEnd = offset + size
            if first & 0x20 != 0 {
                guard isLast else {
                    throw .malformed(
                        what: "\(name) header", reason: "padding bit set but it is not the last packet of the compound packet")
                }
                let padding = Int(bytes[bodyEnd - 1])
                guard padding >= 1 && padding <= size - 4 else {
                    throw .malformed(
                        what: "\(name) padding", reason: "padding count \(padding) with \(size - 4) bytes after the header")
                }
                bodyEnd -= padding
            }
            let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<bodyEnd])
            let whole = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])
            packets.append(try RTCPPacket.parse(type: type, count: count, body: body, packet: whole))
            offset += size
        }
        return packets
    }

    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> [RTCPPacket] {
        let result: Result<[RTCPPacket], RTPError> = bytes.withUnsafeBytes { raw in
            do throws(RTPError) { return .success(try parse(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Bytes `serialize` needs for these packets (and checks they can be sent).
    public static func serializedSize(_ packets: [RTCPPacket]) throws(RTPError) -> Int {
        var total = 0
        for (i, p) in packets.enumerated() {
            total += try p.validatedSize(isLast: i == packets.count - 1)
        }
        return total
    }

    /// Writes the packets into `buffer`; returns the bytes written. Throws
    /// `.bufferTooSmall` (nothing written) when the buffer cannot hold them all, or
    /// `.malformed` for a value that cannot go on the wire (more than 31 report blocks, a
    /// cumulative loss beyond 24 bits, a NACK without entries, TWCC chunks that do not
    /// match the packet status count, …).
    @discardableResult
    public static func serialize(_ packets: [RTCPPacket], into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
        guard !packets.isEmpty else {
            throw .malformed(what: "RTCP compound packet", reason: "no packets to send")
        }
        var sizes: [Int] = []
        sizes.reserveCapacity(packets.count)
        for (i, p) in packets.enumerated() {
            sizes.append(try p.validatedSize(isLast: i == packets.count - 1))
        }
        let total = sizes.reduce(0, +)
        guard total <= buffer.count else {
            throw .bufferTooSmall(needed: total, available: buffer.count)
        }
        var w = RTCPByteWriter(buffer)
        for (i, p) in packets.enumerated() {
            p.write(&w, size: sizes[i], isLast: i == packets.count - 1)
        }
        return w.offset
    }

    public static func serialize(_ packets: [RTCPPacket]) throws(RTPError) -> [UInt8] {
        let size = try serializedSize(packets)
        var out = [UInt8](repeating: 0, count: size)
        let result: Result<Int, RTPError> = out.withUnsafeMutableBytes { raw in
            do throws(RTPError) { return .success(try serialize(packets, into: raw)) } catch { return .failure(error) }
        }
        _ = try result.get()
        return out
    }
}
