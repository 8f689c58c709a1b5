import Testing
@testable import ParleyRTP

/// NTP timestamps and the RTT of RFC 3550 §6.4.1 (A − LSR − DLSR).
@Suite struct RTCPRoundTripTimeTests {
    @Test func ntpTimestampFields() {
        let t = NTPTimestamp(secondsSince1900: 3_900_000_000.5)
        #expect(t.seconds == 3_900_000_000)
        #expect(t.fraction == 0x8000_0000)
        #expect(t.middle32 == (3_900_000_000 & 0xFFFF) << 16 | 0x8000)
        #expect(t.secondsSince1900 == 3_900_000_000.5)
        let unix = NTPTimestamp(unixTime: 1_700_000_000.25)
        #expect(unix.seconds == 1_700_000_000 + 2_208_988_800)
        #expect(unix.fraction == 0x4000_0000)
        #expect(abs(unix.unixTime - 1_700_000_000.25) < 1e-6)
        #expect(NTPTimestamp(secondsSince1900: .nan).rawValue == 0)
        #expect(NTPTimestamp(secondsSince1900: -3).rawValue == 0)
        #expect(NTPTimestamp(secondsSince1900: 1e20).rawValue == UInt64.max)
    }

    @Test func roundTripTimeFromLSRAndDLSR() {
        // The sender stamps an SR; the receiver holds it 250 ms before its report; the report
        // arrives 80 ms of network time after the SR left (40 ms each way).
        let srSent = 1_700_000_000.123
        let lsr = NTPTimestamp(unixTime: srSent).middle32
        var stats = ReceiverStatistics()
        for i in 0..<10 {
            stats.received(sequenceNumber: UInt16(i), rtpTimestamp: UInt32(i * 960), arrival: 50 + Double(i) * 0.02, clockRate: 48000)
        }
        let srArrivalAtReceiver = 60.0  // the receiver's own clock
        let block = stats.makeReportBlock(
            ssrc: 9, now: srArrivalAtReceiver + 0.25, lastSRNtpMiddle: lsr, lastSRArrival: srArrivalAtReceiver)
        #expect(block.delaySinceLastSR == 16384)
        let arrival = NTPTimestamp(unixTime: srSent + 0.04 + 0.25 + 0.04).middle32
        let rtt = block.roundTripTime(arrivalNtpMiddle: arrival)
        #expect(rtt != nil)
        #expect(abs((rtt ?? 0) - 0.080) < 3.0 / 65536)
    }

    @Test func roundTripTimeAcrossTheMiddle32Wrap() {
        let block = RTCPReportBlock(ssrc: 1, lastSR: 0xFFFF_F000, delaySinceLastSR: 0x1000)
        // 0x2000 units after LSR, across the wrap: 0x1000 / 65536 s.
        #expect(block.roundTripTime(arrivalNtpMiddle: 0x0000_1000) == 0x1000 / 65536.0)
    }

    @Test func noRoundTripTimeWithoutAnSR() {
        let block = RTCPReportBlock(ssrc: 1, lastSR: 0, delaySinceLastSR: 100)
        #expect(block.roundTripTime(arrivalNtpMiddle: 123_456) == nil)
        // DLSR larger than the time since LSR: an impossible block, beyond rounding.
        let impossible = RTCPReportBlock(ssrc: 1, lastSR: 1000, delaySinceLastSR: 5000)
        #expect(impossible.roundTripTime(arrivalNtpMiddle: 2000) == nil)
        // Off by truncation only: zero.
        let rounding = RTCPReportBlock(ssrc: 1, lastSR: 1000, delaySinceLastSR: 1002)
        #expect(rounding.roundTripTime(arrivalNtpMiddle: 2000) == 0)
    }
}
