import ParleySecurity
import ParleyTestSupport
import Testing

@Suite("SRTP steady state, bare calls and keys")
struct SRTPAllocationTests {
    /// Debian's libsrtp2 does its crypto through NSS, which allocates inside each
    /// srtp_protect/srtp_unprotect call (about 5 mallocs per call with AES-GCM, 14 with
    /// AES-CM + HMAC-SHA1, measured on these machines). So the check is that the wrapper
    /// adds none: its steady-state count over 1000 round trips equals the bare libsrtp2
    /// calls' count for 1000 round trips of the same packet, measured in the same process
    /// (within NSS's occasional one-off allocations).
    @Test("1000 protect + unprotect round trips allocate no more than the bare libsrtp2 calls", arguments: [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80])
    func noAllocationPerPacket(_ suite: SRTPSuite) throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let (sender, receiver, key) = try sessionPair(suite)
        let packet = rtpPacket(sequence: 0, csrcs: [1, 2], extensionWords: 2, payload: [UInt8](repeating: 0x5A, count: 160))

        // The bare calls' per-packet allocations: the difference between 1010 and 10 round
        // trips (the setup's allocations cancel out), after a warm-up run.
        _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 10)
        let bareSetup = try AllocationCounter.count {
            _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 10)
        }
        let bareTotal = try AllocationCounter.count {
            _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 1010)
        }
        let bare = bareTotal - bareSetup

        var buffer = withTrailerRoom(packet)
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count, alignment: 16)
        defer { raw.deallocate() }
        var sequence: UInt16 = 0
        var mismatches = 0
        func roundTrip() throws(SecurityError) {
            sequence &+= 1
            buffer[2] = UInt8(sequence >> 8)
            buffer[3] = UInt8(sequence & 0xFF)
            if sequence % 2 == 0 {
                // Array API.
                let secured = try sender.protectRTP(&buffer, length: packet.count)
                let plain = try receiver.unprotectRTP(&buffer, length: secured)
                if plain != packet.count || buffer[40] != packet[40] { mismatches += 1 }
            } else {
                // Raw-buffer API.
                raw.copyBytes(from: buffer)
                let secured = try sender.protectRTP(raw, length: packet.count)
                let plain = try receiver.unprotectRTP(raw, length: secured)
                if plain != packet.count || raw[40] != packet[40] { mismatches += 1 }
            }
        }
        for _ in 0..<10 { try roundTrip() }  // warm-up: libsrtp creates the stream for this SSRC
        var failure: SecurityError?
        let allocations = AllocationCounter.count {
            do throws(SecurityError) { for _ in 0..<1000 { try roundTrip() } } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(mismatches == 0)
        #expect(receiver.statistics.unprotectedRTPPackets == 1010)
        // NSS now and then makes a few one-off allocations (seen: 3 in a run), so the two
        // counts may differ by a handful; one allocation per packet in the wrapper would add 1000.
        #expect(abs(allocations - bare) <= 10, "wrapper: \(allocations) heap allocations in 1000 round trips; bare libsrtp2: \(bare)")

        // Refused packets: the error path builds no strings and boxes nothing, so it costs
        // at most what libsrtp itself allocates for one call.
        var forged = buffer
        let forgedAllocations = AllocationCounter.count {
            for _ in 0..<100 {
                forged[packet.count] ^= 1
                _ = try? receiver.unprotectRTP(&forged, length: packet.count + suite.overhead)
            }
        }
        #expect(forgedAllocations <= 100 * bare / 2000, "\(forgedAllocations) heap allocations for 100 refused packets")
        #expect(receiver.statistics.failures == 100)
    }

    @Test("bare libsrtp2 round trips run and time something", arguments: [SRTPSuite.aeadAES128GCM, .aesCM128HmacSHA1_80])
    func bareCalls(_ suite: SRTPSuite) throws {
        let key = try SRTPKeyingMaterial.random(for: suite)
        let packet = rtpPacket(sequence: 0xFFF0, payload: [UInt8](repeating: 0x11, count: 160))
        let seconds = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: packet, roundTrips: 2000)
        #expect(seconds > 0)
        #expect(seconds < 5)
        #expect(throws: SecurityError.invalidKeyLength(suite: suite, expected: suite.keyingMaterialLength, actual: 3)) {
            _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: [1, 2, 3], packet: packet, roundTrips: 1)
        }
        #expect(throws: SecurityError.malformedPacket(.rtp, length: 4)) {
            _ = try SRTPBareCalls.protectUnprotect(suite: suite, masterKey: key, packet: [0x80, 0, 0, 0], roundTrips: 1)
        }
    }

    @Test("secure random bytes and keying material")
    func randomKeys() throws {
        let a = try SecureRandom.bytes(count: 32)
        let b = try SecureRandom.bytes(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(a != [UInt8](repeating: 0, count: 32))
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
        #expect(throws: SecurityError.self) { _ = try SecureRandom.bytes(count: -1) }
        for suite in SRTPSuite.allCases {
            let material = try SRTPKeyingMaterial.random(for: suite)
            #expect(material.count == suite.keyingMaterialLength)
            let (key, salt) = try SRTPKeyingMaterial.split(material, for: suite)
            #expect(key.count == suite.masterKeyLength)
            #expect(salt.count == suite.masterSaltLength)
            #expect(key + salt == material)
        }
        #expect(!SecurityLibraries.srtpVersion.isEmpty)
    }
}
