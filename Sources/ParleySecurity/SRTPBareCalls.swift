import CSRTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bare libsrtp2 calls behind `SRTPSession`, timed, so that `parley bench` can report
/// the wrapper's cost as a ratio to them.
///
/// The setup is the wrapper's own (`srtp_create` with the same policy: the suite's crypto
/// policies, a wildcard SSRC per direction, the replay window), one outbound and one
/// inbound session. Each round trip writes the next sequence number into the packet's
/// header (not timed), then times `srtp_protect` followed by `srtp_unprotect` on the same
/// reused buffer, which holds the plaintext again afterwards. Time is read with
/// CLOCK_MONOTONIC just around the two calls.
public enum SRTPBareCalls {
    /// Protects and unprotects `packet` (an RTP packet, 12 bytes of header or more)
    /// `roundTrips` times with the bare C calls.
    ///
    /// - Returns: seconds spent in `srtp_protect` + `srtp_unprotect`.
    /// - Throws: `SecurityError` if the key, the packet or a call fails (including a
    ///   round trip that does not give the plaintext back).
    public static func protectUnprotect(
        suite: SRTPSuite, masterKey: [UInt8], packet: [UInt8], roundTrips: Int, replayWindowSize: Int = 128
    ) throws(SecurityError) -> Double {
        guard packet.count >= 12, packet[0] >> 6 == 2 else {
            throw SecurityError.malformedPacket(.rtp, length: packet.count)
        }
        let sender = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: .outbound, ssrc: .any,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: false)
        defer { srtp_dealloc(sender) }
        let receiver = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: .inbound, ssrc: .any,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: false)
        defer { srtp_dealloc(receiver) }

        let length = packet.count
        let capacity = length + SRTPLibrary.maximumTrailerLength
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        packet.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: length) }
        let firstSequence = UInt16(packet[2]) << 8 | UInt16(packet[3])

        var nanoseconds: UInt64 = 0
        for index in 0..<max(roundTrips, 0) {
            let sequence = firstSequence &+ UInt16(truncatingIfNeeded: index)
            buffer.storeBytes(of: UInt8(sequence >> 8), toByteOffset: 2, as: UInt8.self)
            buffer.storeBytes(of: UInt8(sequence & 0xFF), toByteOffset: 3, as: UInt8.self)
            var octets = Int32(length)
            let start = monotonicNanoseconds()
            let protectStatus = srtp_protect(sender, buffer, &octets)
            let unprotectStatus = srtp_unprotect(receiver, buffer, &octets)
            nanoseconds &+= monotonicNanoseconds() &- start
            guard protectStatus == srtp_err_status_ok else {
                throw SRTPSession.error(for: protectStatus, kind: .rtp, length: length, protect: true)
            }
            guard unprotectStatus == srtp_err_status_ok else {
                throw SRTPSession.error(for: unprotectStatus, kind: .rtp, length: length, protect: false)
            }
            guard octets == Int32(length) else {
                throw SecurityError.srtp(function: "srtp_unprotect", status: Int32(srtp_err_status_fail.rawValue))
            }
        }
        // The payload must be the plaintext again.
        let intact = packet.withUnsafeBytes { original in
            memcmp(original.baseAddress! + 4, buffer + 4, length - 4) == 0
        }
        guard intact else {
            throw SecurityError.srtp(function: "srtp_unprotect", status: Int32(srtp_err_status_fail.rawValue))
        }
        return Double(nanoseconds) / 1e9
    }

    /// Protects and unprotects each of `packets` once, in order, with the bare C calls: the
    /// crypto of a stream whose packets vary in size (the audio path of `parley bench`).
    /// Each packet is copied into the reused buffer (not timed), then `srtp_protect` and
    /// `srtp_unprotect` are timed together, as in `protectUnprotect(packet:roundTrips:)`.
    /// The packets' own sequence numbers are used, so they must increase.
    ///
    /// - Returns: seconds spent in `srtp_protect` + `srtp_unprotect`.
    /// - Throws: `SecurityError` if the key, a packet or a call fails (including a round
    ///   trip that does not give the plaintext back).
    public static func protectUnprotect(
        suite: SRTPSuite, masterKey: [UInt8], packets: [[UInt8]], replayWindowSize: Int = 128
    ) throws(SecurityError) -> Double {
        for packet in packets where packet.count < 12 || packet[0] >> 6 != 2 {
            throw SecurityError.malformedPacket(.rtp, length: packet.count)
        }
        let sender = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: .outbound, ssrc: .any,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: false)
        defer { srtp_dealloc(sender) }
        let receiver = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: .inbound, ssrc: .any,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: false)
        defer { srtp_dealloc(receiver) }

        let capacity = (packets.map(\.count).max() ?? 0) + SRTPLibrary.maximumTrailerLength
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }

        var nanoseconds: UInt64 = 0
        for packet in packets {
            let length = packet.count
            packet.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: length) }
            var octets = Int32(length)
            let start = monotonicNanoseconds()
            let protectStatus = srtp_protect(sender, buffer, &octets)
            let unprotectStatus = srtp_unprotect(receiver, buffer, &octets)
            nanoseconds &+= monotonicNanoseconds() &- start
            guard protectStatus == srtp_err_status_ok else {
                throw SRTPSession.error(for: protectStatus, kind: .rtp, length: length, protect: true)
            }
            guard unprotectStatus == srtp_err_status_ok else {
                throw SRTPSession.error(for: unprotectStatus, kind: .rtp, length: length, protect: false)
            }
            let intact = octets == Int32(length) && packet.withUnsafeBytes { original in
                memcmp(original.baseAddress!, buffer, length) == 0
            }
            guard intact else {
                throw SecurityError.srtp(function: "srtp_unprotect", status: Int32(srtp_err_status_fail.rawValue))
            }
        }
        return Double(nanoseconds) / 1e9
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
