import ParleySecurity
import ParleyTestSupport

/// What libsrtp2 itself allocates (Debian's does its crypto through NSS, which allocates
/// inside `srtp_protect`/`srtp_unprotect`): the heap allocations of `roundTrips` bare
/// protect + unprotect round trips on this thread, after a warm-up and without the
/// sessions' own setup. The allocation tests of the secure paths compare with it.
func bareSRTPAllocations(
    suite: SRTPSuite, key: [UInt8], roundTrips: Int,
    packet: [UInt8] = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5] + [UInt8](repeating: 7, count: 96)
) throws -> Int {
    _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 10)
    let setup = try AllocationCounter.count {
        _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 1)
    }
    let total = try AllocationCounter.count {
        _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: roundTrips + 1)
    }
    return total - setup
}
