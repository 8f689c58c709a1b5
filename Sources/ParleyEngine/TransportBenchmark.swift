import ParleyCodecs
import ParleyRTP
import ParleySecurity

/// The wrapper side of the SRTP and RTP cases of `parley bench`, and the typical audio
/// RTP packet they (and the audio path) use: a 12-byte header, three RFC 8285 one-byte
/// extension elements (audio level, abs-send-time, transport-wide sequence number: 16
/// bytes of extension block) and the payload, 100 bytes unless an Opus packet is given.
enum TransportBenchmark {
    static let payloadType: UInt8 = 111
    static let ssrc: UInt32 = 0x5041_524C
    static let initialSequenceNumber: UInt16 = 4321
    static let initialTimestamp: UInt32 = 0x1000_0000
    static let payloadLength = 100
    /// Packets the parse case cycles through (distinct sequence numbers and extension values).
    static let parseRing = 64
    /// Room for one packet in the parse ring: header, extensions and payload fit easily.
    static let parseStride = 256

    /// The extmap the packets are written and read with, ids as browsers offer them for audio.
    static func extensionMap() throws(RTPError) -> RTPExtensionMap {
        try RTPExtensionMap([
            (id: 1, uri: RTPExtensions.AudioLevel.uri),
            (id: 2, uri: RTPExtensions.AbsSendTime.uri),
            (id: 3, uri: RTPExtensions.TransportSequenceNumber.uri),
        ])
    }

    /// Fixed keying material: the benchmark needs no secrecy, and a fixed key keeps runs alike.
    static func masterKey(for suite: SRTPSuite) -> [UInt8] {
        (0..<suite.keyingMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    }

    /// A deterministic stand-in for an Opus payload.
    static func payload(count: Int = payloadLength) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 0x78) }
    }

    /// Writes the `index`-th audio packet of a stream with `header` into `buffer`: the
    /// header, the three extensions (looked up in `map`, as a session would) and
    /// `payload`. Returns the packet length.
    @inline(__always)
    static func writeAudioPacket(
        into buffer: UnsafeMutableRawBufferPointer, header: RTPHeader, index: Int, map: RTPExtensionMap,
        payload: UnsafeRawBufferPointer
    ) throws(RTPError) -> Int {
        var builder = try RTPPacketBuilder(header: header, into: buffer)
        try builder.appendExtension(
            RTPExtensions.AudioLevel(voiceActivity: true, level: UInt8(truncatingIfNeeded: index) & 0x3F), map: map)
        try builder.appendExtension(RTPExtensions.AbsSendTime(microseconds: Int64(index) &* 20_000), map: map)
        try builder.appendExtension(RTPExtensions.TransportSequenceNumber(UInt16(truncatingIfNeeded: index)), map: map)
        return try builder.finish(payload: payload)
    }

    /// The header of the `index`-th packet of the stream (20 ms of 48 kHz audio apart).
    @inline(__always)
    static func header(index: Int) -> RTPHeader {
        RTPHeader(
            marker: index == 0, payloadType: payloadType,
            sequenceNumber: initialSequenceNumber &+ UInt16(truncatingIfNeeded: index),
            timestamp: initialTimestamp &+ UInt32(truncatingIfNeeded: index) &* 960, ssrc: ssrc)
    }

    /// The `index`-th audio packet, as an array.
    static func audioPacket(index: Int, payload: [UInt8]) throws(RTPError) -> [UInt8] {
        let map = try extensionMap()
        var bytes = [UInt8](repeating: 0, count: 12 + 4 + 16 + payload.count)
        let result = bytes.withUnsafeMutableBytes { buffer in
            payload.withUnsafeBytes { payload -> Result<Int, RTPError> in
                do throws(RTPError) {
                    return .success(try writeAudioPacket(
                        into: buffer, header: header(index: index), index: index, map: map, payload: payload))
                } catch { return .failure(error) }
            }
        }
        bytes.removeSubrange(try result.get()...)
        return bytes
    }

    // MARK: - SRTP

    /// `roundTrips` protect + unprotect round trips of `packet` through an outbound and an
    /// inbound `SRTPSession`, timed like `SRTPBareCalls.protectUnprotect`: the sequence
    /// number is rewritten before each round trip (not timed), the clock is read around the
    /// two calls. Output: bytes round-tripped.
    static func wrapperSRTP(
        suite: SRTPSuite, masterKey: [UInt8], packet: [UInt8], roundTrips: Int
    ) throws(SecurityError) -> (seconds: Double, output: Int) {
        let sender = try SRTPSession(suite: suite, masterKey: masterKey, direction: .outbound)
        let receiver = try SRTPSession(suite: suite, masterKey: masterKey, direction: .inbound)
        let length = packet.count
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: length + SRTPSession.maximumTrailerLength, alignment: 16)
        defer { buffer.deallocate() }
        packet.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: length) }
        let firstSequence = UInt16(packet[2]) << 8 | UInt16(packet[3])

        var nanoseconds: UInt64 = 0
        for index in 0..<max(roundTrips, 0) {
            let sequence = firstSequence &+ UInt16(truncatingIfNeeded: index)
            buffer[2] = UInt8(sequence >> 8)
            buffer[3] = UInt8(sequence & 0xFF)
            let start = BenchmarkClock.monotonicNanoseconds()
            let secured = try sender.protectRTP(buffer, length: length)
            let plain = try receiver.unprotectRTP(buffer, length: secured)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            guard plain == length else {
                throw SecurityError.invalidParameter("SRTP round trip gave \(plain) bytes back, not \(length)")
            }
        }
        let intact = packet.withUnsafeBytes { original in
            original[4...].elementsEqual(buffer[4..<length])
        }
        guard intact else { throw SecurityError.invalidParameter("SRTP round trip did not give the plaintext back") }
        return (Double(nanoseconds) / 1e9, length * max(roundTrips, 0))
    }

    // MARK: - RTP

    /// Writes `packets` audio packets (header, three extensions, 100-byte payload) into one
    /// reused buffer with `RTPPacketBuilder`, each with its own sequence number, timestamp
    /// and extension values. No bare counterpart, and a packet costs a fraction of a
    /// microsecond, so the clock is read once around the whole loop. Output: bytes written.
    static func serialize(packets: Int) throws(RTPError) -> (seconds: Double, output: Int) {
        let map = try extensionMap()
        let payloadBytes = payload()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: parseStride, alignment: 16)
        defer { buffer.deallocate() }
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: payloadBytes.count, alignment: 16)
        defer { payload.deallocate() }
        payload.copyBytes(from: payloadBytes)
        let source = UnsafeRawBufferPointer(payload)

        var bytes = 0
        let start = BenchmarkClock.monotonicNanoseconds()
        for index in 0..<max(packets, 0) {
            bytes &+= try writeAudioPacket(into: buffer, header: header(index: index), index: index, map: map, payload: source)
        }
        let nanoseconds = BenchmarkClock.monotonicNanoseconds() &- start
        return (Double(nanoseconds) / 1e9, bytes)
    }

    /// Parses `packets` audio packets with `RTPPacketView.parse` (which validates every
    /// extension element) and looks one extension up (the transport-wide sequence number,
    /// through the map), cycling through `parseRing` distinct packets written beforehand.
    /// The clock is read once around the whole loop. Output: payload bytes found.
    static func parse(packets: Int) throws(RTPError) -> (seconds: Double, output: Int) {
        let map = try extensionMap()
        let payloadBytes = payload()
        let ring = UnsafeMutableRawBufferPointer.allocate(byteCount: parseRing * parseStride, alignment: 16)
        defer { ring.deallocate() }
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: payloadBytes.count, alignment: 16)
        defer { payload.deallocate() }
        payload.copyBytes(from: payloadBytes)
        var length = 0
        for slot in 0..<parseRing {
            let target = UnsafeMutableRawBufferPointer(rebasing: ring[(slot * parseStride)..<((slot + 1) * parseStride)])
            length = try writeAudioPacket(
                into: target, header: header(index: slot), index: slot, map: map, payload: UnsafeRawBufferPointer(payload))
        }
        let base = UnsafeRawBufferPointer(ring).baseAddress!

        var found = 0
        var missing = 0
        let start = BenchmarkClock.monotonicNanoseconds()
        for index in 0..<max(packets, 0) {
            let bytes = UnsafeRawBufferPointer(start: base + (index & (parseRing - 1)) * parseStride, count: length)
            let view = try RTPPacketView.parse(bytes)
            let sequence = try view.extensionValue(RTPExtensions.TransportSequenceNumber.self, map: map, in: bytes)
            if sequence == nil { missing &+= 1 }
            found &+= view.payloadRange.count
        }
        let nanoseconds = BenchmarkClock.monotonicNanoseconds() &- start
        // Every lookup must have found its element.
        guard missing == 0 else {
            throw .malformed(what: "benchmark packet", reason: "the transport-wide sequence number was not found")
        }
        return (Double(nanoseconds) / 1e9, found)
    }
}
