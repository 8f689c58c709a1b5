import ParleyCore

/// Reads the UDP/IPv4 datagrams of a classic libpcap file with Ethernet (or Linux
/// cooked, or raw IPv4) framing; anything else in the file is skipped and counted.
public final class PcapReader {
    public struct Datagram: Sendable, Equatable {
        public var time: Double
        public var source: IPv4Endpoint
        public var destination: IPv4Endpoint
        /// Where the UDP payload lies in the buffer given to `next(into:)`.
        public var payload: Range<Int>
    }

    public let path: String
    public let linkType: UInt32
    public private(set) var recordsRead = 0
    /// Records that were not UDP over IPv4 (ARP, IPv6, TCP, fragments, …).
    public private(set) var recordsSkipped = 0

    private let file: MediaFile
    private let swapped: Bool
    private let nanoseconds: Bool
    private var recordHeader = [UInt8](repeating: 0, count: 16)

    public init(path: String) throws {
        self.path = path
        let opened = try MediaFile.openForReading(path)
        file = opened
        var header = [UInt8](repeating: 0, count: 24)
        let got = try header.withUnsafeMutableBytes { try opened.read(into: $0.baseAddress!, count: 24) }
        guard got == 24 else { throw MediaError.truncated(path: path, reason: "the pcap global header is cut short") }
        let magic = header.withUnsafeBytes { $0.u32(0) }
        switch magic {
        case 0xA1B2_C3D4: swapped = false; nanoseconds = false
        case 0xA1B2_3C4D: swapped = false; nanoseconds = true
        case 0xD4C3_B2A1: swapped = true; nanoseconds = false
        case 0x4D3C_B2A1: swapped = true; nanoseconds = true
        default:
            throw MediaError.corrupt(path: path, reason: "not a classic pcap file (magic \(String(magic, radix: 16))); pcapng is not supported, convert with: editcap -F pcap in.pcapng out.pcap")
        }
        let raw = header.withUnsafeBytes { $0.u32(20) }
        linkType = swapped ? raw.byteSwapped : raw
        guard [1, 101, 113, 228].contains(linkType) else {
            throw MediaError.corrupt(path: path, reason: "link type \(linkType) is not Ethernet, raw IPv4 or Linux cooked capture")
        }
    }

    /// Reads the next UDP datagram's record into `buffer` (grown if needed); nil at the end.
    public func next(into buffer: inout [UInt8]) throws -> Datagram? {
        while true {
            let got = try recordHeader.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: 16) }
            if got == 0 { return nil }
            guard got == 16 else { throw MediaError.truncated(path: path, reason: "record \(recordsRead) header is cut short") }
            let fields = recordHeader.withUnsafeBytes { raw in (0..<4).map { raw.u32($0 * 4) } }.map { swapped ? $0.byteSwapped : $0 }
            let length = Int(fields[2])
            guard length <= 262_144 else { throw MediaError.corrupt(path: path, reason: "record \(recordsRead) claims \(length) bytes") }
            if buffer.count < max(1, length) { buffer = [UInt8](repeating: 0, count: max(1, length)) }
            let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: length) }
            guard n == length else { throw MediaError.truncated(path: path, reason: "record \(recordsRead) is cut short") }
            recordsRead += 1
            let time = Double(fields[0]) + Double(fields[1]) * (nanoseconds ? 1e-9 : 1e-6)
            if let datagram = parse(buffer, length: length, time: time) { return datagram }
            recordsSkipped += 1
        }
    }

    private func parse(_ b: [UInt8], length: Int, time: Double) -> Datagram? {
        var ip: Int
        switch linkType {
        case 1:  // Ethernet, with optional 802.1Q tags
            ip = 12
            while ip + 2 <= length, b[ip] == 0x81, b[ip + 1] == 0x00 { ip += 4 }
            guard ip + 2 <= length, b[ip] == 0x08, b[ip + 1] == 0x00 else { return nil }
            ip += 2
        case 113:  // Linux cooked (SLL)
            guard length >= 16, b[14] == 0x08, b[15] == 0x00 else { return nil }
            ip = 16
        default:  // raw IPv4
            ip = 0
        }
        guard ip + 20 <= length, b[ip] >> 4 == 4 else { return nil }
        let ihl = Int(b[ip] & 0x0F) * 4
        let totalLength = Int(b[ip + 2]) << 8 | Int(b[ip + 3])
        let fragment = (Int(b[ip + 6]) << 8 | Int(b[ip + 7])) & 0x3FFF
        guard ihl >= 20, b[ip + 9] == 17, fragment == 0, ip + totalLength <= length, totalLength >= ihl + 8 else { return nil }
        func be32(_ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
        let udp = ip + ihl
        let udpLength = Int(b[udp + 4]) << 8 | Int(b[udp + 5])
        guard udpLength >= 8, udp + udpLength <= ip + totalLength else { return nil }
        return Datagram(
            time: time,
            source: IPv4Endpoint(address: be32(ip + 12), port: UInt16(b[udp]) << 8 | UInt16(b[udp + 1])),
            destination: IPv4Endpoint(address: be32(ip + 16), port: UInt16(b[udp + 2]) << 8 | UInt16(b[udp + 3])),
            payload: (udp + 8)..<(udp + udpLength))
    }
}
