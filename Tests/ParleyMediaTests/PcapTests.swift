import Foundation
import ParleyCore
import ParleyMedia
import ParleyTestSupport
import Testing

@Suite("pcap capture")
struct PcapTests {
    let source = IPv4Endpoint("127.0.0.1:40000")!
    let destination = IPv4Endpoint("127.0.0.2:5004")!

    /// A minimal RTP packet: version 2, PT 111, the given sequence number.
    func rtp(sequence: UInt16, payloadBytes: Int = 40) -> [UInt8] {
        var p: [UInt8] = [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0x03, 0xC0, 0x12, 0x34, 0x56, 0x78]
        p += (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(sequence)) }
        return p
    }

    @Test func writtenDatagramsReadBackExactly() throws {
        let dir = try Fixtures.scratchDirectory("parley-pcap")
        let path = dir.appendingPathComponent("x.pcap").path
        let writer = try PcapWriter(path: path)
        var sent: [[UInt8]] = []
        for i in 0..<50 {
            let packet = rtp(sequence: UInt16(truncatingIfNeeded: 65_530 &+ i), payloadBytes: 20 + i * 7)
            sent.append(packet)
            try writer.write(packet, from: source, to: destination, time: 1_700_000_000 + Double(i) * 0.02)
        }
        try writer.write([UInt8](), from: source, to: destination, time: 1_700_000_001)  // empty datagram
        // Readable before close: whole records only.
        let reader = try PcapReader(path: path)
        var buffer: [UInt8] = []
        var index = 0
        while let datagram = try reader.next(into: &buffer) {
            if index < sent.count {
                #expect(Array(buffer[datagram.payload]) == sent[index])
                #expect(abs(datagram.time - (1_700_000_000 + Double(index) * 0.02)) < 2e-6)
            } else {
                #expect(datagram.payload.isEmpty)
            }
            #expect(datagram.source == source)
            #expect(datagram.destination == destination)
            index += 1
        }
        #expect(index == 51)
        #expect(reader.recordsSkipped == 0)
        try writer.close()
    }

    @Test func checksumsAreValid() throws {
        // RFC 1071's example words sum to 0xDDF2, so the checksum is its complement.
        let words: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        let dir = try Fixtures.scratchDirectory("parley-pcap")
        let path = dir.appendingPathComponent("c.pcap").path
        let writer = try PcapWriter(path: path)
        try writer.write(words, from: source, to: destination, time: 0)
        try writer.close()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let ip = 24 + 16 + 14
        // Summing a header that holds its own checksum gives 0xFFFF.
        func sum(_ range: Range<Int>, _ initial: UInt32 = 0) -> UInt16 {
            var s = initial
            var i = range.lowerBound
            while i + 1 < range.upperBound { s += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
            if i < range.upperBound { s += UInt32(bytes[i]) << 8 }
            while s >> 16 != 0 { s = (s & 0xFFFF) + (s >> 16) }
            return UInt16(s)
        }
        #expect(sum(ip..<ip + 20) == 0xFFFF)
        let pseudo: UInt32 = (source.address >> 16) + (source.address & 0xFFFF) + (destination.address >> 16)
            + (destination.address & 0xFFFF) + 17 + UInt32(8 + words.count)
        #expect(sum(ip + 20..<bytes.count, pseudo) == 0xFFFF)
    }

    @Test func tsharkDecodesTheCaptureAsRTP() throws {
        let tshark = "/usr/bin/tshark"
        try #require(FileManager.default.isExecutableFile(atPath: tshark), "tshark is missing: Tools/install-deps test installs it")
        let dir = try Fixtures.scratchDirectory("parley-pcap")
        let path = dir.appendingPathComponent("rtp.pcap").path
        let writer = try PcapWriter(path: path)
        for i in 0..<20 { try writer.write(rtp(sequence: UInt16(100 + i)), from: source, to: destination, time: Double(i) * 0.02) }
        try writer.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-r", path, "-d", "udp.port==5004,rtp", "-T", "fields", "-e", "rtp.seq", "-e", "ip.checksum.status", "-e", "udp.checksum.status",
                             "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.environment = ["HOME": dir.path, "PATH": "/usr/bin:/bin"]
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rows = output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.map { $0.first ?? "" } == (100..<120).map(String.init))
        // Wireshark's checksum status: 0 bad, 1 good, 2 unverified, 3 not present.
        #expect(rows.allSatisfy { $0.count == 3 && $0[1] == "1" && $0[2] == "1" }, "\(rows)")
    }

    @Test func notAPcapIsAClearError() throws {
        let dir = try Fixtures.scratchDirectory("parley-pcap")
        let path = dir.appendingPathComponent("text.pcap").path
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MediaError.self) { try PcapReader(path: path) }
        let short = dir.appendingPathComponent("short.pcap").path
        try Data([0xD4, 0xC3, 0xB2]).write(to: URL(fileURLWithPath: short))
        #expect(throws: MediaError.self) { try PcapReader(path: short) }
    }

    @Test func steadyStateWritingDoesNotAllocate() throws {
        try #require(AllocationCounter.isActive)
        let dir = try Fixtures.scratchDirectory("parley-pcap")
        let writer = try PcapWriter(path: dir.appendingPathComponent("a.pcap").path)
        let packet = rtp(sequence: 1, payloadBytes: 160)
        try writer.write(packet, from: source, to: destination, time: 0)
        var failure: Error?
        let count = AllocationCounter.count {
            do { for i in 0..<500 { try writer.write(packet, from: source, to: destination, time: Double(i)) } } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(count == 0)
    }

    @Test func endpointsParse() {
        #expect(IPv4Endpoint("127.0.0.1:5004") == IPv4Endpoint(address: 0x7F00_0001, port: 5004))
        #expect(IPv4Endpoint("localhost:1")?.address == 0x7F00_0001)
        #expect(IPv4Endpoint("10.1.2.3:65535")?.description == "10.1.2.3:65535")
        for bad in ["127.0.0.1", "127.0.0:5", "1.2.3.256:5", "1.2.3.4:70000", "a.b.c.d:1", ":5", "1.2.3.4:"] {
            #expect(IPv4Endpoint(bad) == nil, "\(bad)")
        }
    }
}
