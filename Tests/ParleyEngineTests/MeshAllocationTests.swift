import ParleyCodecs
import ParleyCore
import ParleyEngine
import ParleySecurity
import ParleyTestSupport
import Testing

/// The mesh's steady state allocates nothing of its own per 20 ms tick: everything a tick
/// does (encode once, RTP and SRTP per link, link delivery, N−1 jitter buffers and
/// decoders per participant, mixing, speaker detection, the 10 ms timers) uses buffers made
/// when the call or a stream started. Debian's libsrtp2 (on NSS) allocates inside each
/// protect and unprotect, so the count is compared with the same number of bare libsrtp2
/// round trips; RTCP reports (a few per second across 30 connections) build their
/// compound packets with arrays and are counted separately.
@Suite("Mesh call: no heap allocation of its own per 20 ms tick")
struct MeshAllocationTests {
    @Test("6-party audio mesh: a tick without an RTCP report allocates only what libsrtp2 allocates for its 30 protects and 30 unprotects")
    func steadyStateTick() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let parties = 6
        let opus = OpusConfiguration()
        let frames = BenchmarkSignals.speechFrames(frames: 400)
        var ios: [MeshMemberIO] = []
        for p in 0..<parties {
            var index = p * 40
            ios.append(MeshMemberIO(
                name: "p\(p)",
                readAudio: { frame in
                    let source = frames[index % frames.count]
                    index += 1
                    var i = 0
                    while i < frame.count { frame[i] = source[i]; i += 1 }
                    return frame.count
                },
                writeMix: { _ in }))
        }
        let session = try MeshSession(configuration: MeshConfiguration(participants: parties, opus: opus), members: ios)
        try session.join(Array(0..<parties))
        var t = 0.0
        func ticks(_ n: Int) throws -> (allocations: Int, reports: Int) {
            let before = session.rtcpReportsSent
            let count = try AllocationCounter.count {
                t += Double(n) * 0.020
                try session.run(until: t)
            }
            return (count, session.rtcpReportsSent - before)
        }
        _ = try ticks(150)  // warm-up: jitter buffers settle, first RTCP reports, libsrtp streams created

        let suite = SRTPSuite.default
        let key = try SecureRandom.bytes(count: suite.keyingMaterialLength)
        // What libsrtp2 itself allocates for one tick's 30 protects and 30 unprotects.
        let srtpPerTick = Double(try bareSRTPAllocations(suite: suite, key: key, roundTrips: 300)) / 10

        var quiet: [Int] = []  // allocations of each tick in which no RTCP report went out
        var withReports = 0
        for _ in 0..<60 {
            let tick = try ticks(1)
            if tick.reports == 0 { quiet.append(tick.allocations) } else { withReports += 1 }
        }
        try #require(quiet.count >= 30, "only \(quiet.count) of 60 ticks went without an RTCP report")
        let own = quiet.map { Double($0) - srtpPerTick }
        // NSS makes an odd one-off allocation now and then; one allocation per packet, frame
        // or link of our own would add at least 30 to every tick.
        #expect(own.filter { $0 > 3 }.isEmpty,
                "ticks without RTCP allocated \(quiet) (libsrtp2 alone: \(srtpPerTick) per tick); \(withReports) ticks sent RTCP")
        #expect(abs(own.reduce(0, +) / Double(own.count)) < 1,
                "mean allocations of our own per tick: \(own.reduce(0, +) / Double(own.count))")
    }
}
