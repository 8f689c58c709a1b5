import ParleyCore

/// Writes UDP datagrams as a classic libpcap file (microsecond timestamps, Ethernet link
/// type), each framed as Ethernet II / IPv4 / UDP with valid IPv4 and UDP checksums, so
/// Wireshark and tshark decode them (`-d udp.port==PORT,rtp` to see RTP).
///
/// Each record goes out in one write: a writer killed mid-run leaves whole records only.
/// The scratch buffer is allocated once and grows only for a datagram larger than any
/// before, so steady-state writing does not allocate.
public final class PcapWriter {
    public let path: String
    public private(set) var packetsWritten = 0

    /// libpcap's classic magic, version 2.4, snap length 65535, LINKTYPE_ETHERNET.
    static let globalHeaderSize = 24
    static let recordHeaderSize = 16
    static let framingSize = 14 + 20 + 8
    public static let maximumDatagramSize = 65_535 - 20 - 8

    private let file: MediaFile
    private var closed = false
    private var scratch: [UInt8]
    private var ipIdentification: UInt16 = 0

    /// Creates (or truncates) `path` and writes the pcap global header.
    public init(path: String) throws {
        self.path = path
        var header: [UInt8] = []
        header.appendLE(UInt32(0xA1B2_C3D4))
        header.appendLE(UInt16(2))
        header.appendLE(UInt16(4))
        header.appendLE(UInt32(0))  // thiszone
        header.appendLE(UInt32(0))  // sigfigs
        header.appendLE(UInt32(65_535))  // snaplen
        header.appendLE(UInt32(1))  // LINKTYPE_ETHERNET
        file = try MediaFile.create(path, header: header)
        scratch = [UInt8](repeating: 0, count: Self.recordHeaderSize + Self.framingSize + 1500)
    }

    deinit { try? close() }

    /// Appends one UDP datagram sent from `source` to `destination` at `time` (seconds
    /// since the Unix epoch, or any origin the reader should show).
    public func write(_ payload: UnsafeRawBufferPointer, from source: IPv4Endpoint, to destination: IPv4Endpoint, time: Double) throws {
        guard !closed else { throw MediaError.cannotWrite(path: path, reason: "the pcap writer is already closed") }
        guard payload.count <= Self.maximumDatagramSize else {
            throw MediaError.invalidParameter("a UDP datagram of \(payload.count) bytes does not fit in IPv4 (at most \(Self.maximumDatagramSize))")
        }
        let frameLength = Self.framingSize + payload.count
        let total = Self.recordHeaderSize + frameLength
        if scratch.count < total { scratch = [UInt8](repeating: 0, count: total) }
        ipIdentification &+= 1
        let identification = ipIdentification
        let seconds = max(0, time)
        let whole = UInt32(truncatingIfNeeded: Int64(seconds.rounded(.down)))
        let micro = UInt32(min(999_999, max(0, ((seconds - seconds.rounded(.down)) * 1e6).rounded())))
        try scratch.withUnsafeMutableBytes { out in
            var w = ByteWriter(out)
            // Record header.
            w.le32(whole); w.le32(micro); w.le32(UInt32(frameLength)); w.le32(UInt32(frameLength))
            // Ethernet II: locally administered MACs derived from the IPv4 addresses.
            w.be16(0x0200); w.be32(destination.address)
            w.be16(0x0200); w.be32(source.address)
            w.be16(0x0800)
            // IPv4 header.
            let ipStart = w.offset
            w.byte(0x45); w.byte(0)
            w.be16(UInt16(20 + 8 + payload.count))
            w.be16(identification)
            w.be16(0x4000)  // don't fragment
            w.byte(64); w.byte(17)  // TTL, UDP
            let checksumOffset = w.offset
            w.be16(0)
            w.be32(source.address)
            w.be32(destination.address)
            let ipChecksum = Self.checksum(UnsafeRawBufferPointer(rebasing: out[ipStart..<ipStart + 20]), initial: 0)
            w.put16(ipChecksum, at: checksumOffset)
            // UDP header, then the payload.
            let udpStart = w.offset
            let udpLength = UInt16(8 + payload.count)
            w.be16(source.port); w.be16(destination.port); w.be16(udpLength); w.be16(0)
            w.bytes(payload)
            // UDP checksum over the pseudo-header, header and payload (0 is sent as 0xFFFF).
            var pseudo: UInt32 = 0
            pseudo += source.address >> 16; pseudo += source.address & 0xFFFF
            pseudo += destination.address >> 16; pseudo += destination.address & 0xFFFF
            pseudo += 17; pseudo += UInt32(udpLength)
            var udpChecksum = Self.checksum(UnsafeRawBufferPointer(rebasing: out[udpStart..<w.offset]), initial: pseudo)
            if udpChecksum == 0 { udpChecksum = 0xFFFF }
            w.put16(udpChecksum, at: udpStart + 6)
            guard let base = out.baseAddress else { return }
            try file.write(base, count: w.offset)
        }
        packetsWritten += 1
    }

    /// Array form of `write`.
    public func write(_ payload: [UInt8], count: Int? = nil, from source: IPv4Endpoint, to destination: IPv4Endpoint, time: Double) throws {
        let n = min(count ?? payload.count, payload.count)
        try payload.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: source, to: destination, time: time) }
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try file.close()
    }

    /// The Internet checksum (RFC 1071) of `bytes`, starting from a partial sum.
    static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32) -> UInt16 {
        var sum = initial
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

/// Sequential big- and little-endian stores into a buffer sized beforehand.
private struct ByteWriter {
    let out: UnsafeMutableRawBufferPointer
    var offset = 0

    init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

    mutating func byte(_ v: UInt8) { out[offset] = v; offset += 1 }
    mutating func be16(_ v: UInt16) { byte(UInt8(v >> 8)); byte(UInt8(v & 0xFF)) }
    mutating func be32(_ v: UInt32) { be16(UInt16(v >> 16)); be16(UInt16(v & 0xFFFF)) }
    mutating func le32(_ v: UInt32) { byte(UInt8(v & 0xFF)); byte(UInt8((v >> 8) & 0xFF)); byte(UInt8((v >> 16) & 0xFF)); byte(UInt8(v >> 24)) }
    func put16(_ v: UInt16, at position: Int) { out[position] = UInt8(v >> 8); out[position + 1] = UInt8(v & 0xFF) }
    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        if let from = source.baseAddress, let to = out.baseAddress, source.count > 0 {
            (to + offset).copyMemory(from: from, byteCount: source.count)
        }
        offset += source.count
    }
}
