import ParleyConference
import Testing

/// Determinism, ordering, blackouts, time-varying profiles and trace replay.
@Suite struct EmulatorBehaviourTests {
    static let busy = "delay=30ms,jitter=10ms:normal,loss=3%,burst=2%:2,reorder=1%,dup=1%,rate=2mbit,queue=50ms"

    @Test func sameSeedGivesIdenticalOutputAndADifferentSeedDoesNot() throws {
        let a = try EmulatorRun(Self.busy, seed: 7, count: 5_000, size: 600)
        let b = try EmulatorRun(Self.busy, seed: 7, count: 5_000, size: 600)
        let c = try EmulatorRun(Self.busy, seed: 8, count: 5_000, size: 600)
        #expect(a.fates == b.fates)
        #expect(a.deliveries.map(\.time) == b.deliveries.map(\.time))
        #expect(a.deliveries.map(\.sequence) == b.deliveries.map(\.sequence))
        #expect(a.counters == b.counters)
        #expect(a.fates != c.fates)
        #expect(a.fates.map(\.isLost) != c.fates.map(\.isLost))
    }

    @Test func generatorSequenceIsFixedAcrossPlatforms() {
        // xoshiro256** seeded by SplitMix64: these values are what any platform must produce.
        var random = EmulatorRandom(seed: 12345)
        let first = (0..<3).map { _ in random.next() }
        var again = EmulatorRandom(seed: 12345)
        #expect((0..<3).map { _ in again.next() } == first)
        // SplitMix64's published first output for seed 0 is 0xE220A8397B1DCDAF.
        var state: UInt64 = 0
        #expect(EmulatorRandom.splitMix(&state) == 0xE220_A839_7B1D_CDAF)
        var other = EmulatorRandom(seed: 12345, stream: 1)
        #expect(other.next() != first[0])
    }

    @Test func turningDuplicationOnDoesNotMoveTheLosses() throws {
        let plain = try EmulatorRun("loss=5%,jitter=5ms:normal", count: 3_000)
        let withDup = try EmulatorRun("loss=5%,jitter=5ms:normal,dup=5%", count: 3_000)
        #expect(plain.fates.map(\.isLost) == withDup.fates.map(\.isLost))
        #expect(plain.fates.map(\.arrivalTime) == withDup.fates.map(\.arrivalTime))
    }

    @Test func jitterKeepsFIFOOrderUnlessReorderingIsAllowed() throws {
        // 30 ms normal jitter on packets 10 ms apart would reorder often.
        let fifo = try EmulatorRun("delay=50ms,jitter=30ms:normal", count: 5_000, interval: 0.01)
        #expect(fifo.counters.packetsReordered == 0)
        #expect(fifo.deliveries.map(\.sequence) == Array(0..<5_000))
        let arrivals = fifo.fates.compactMap(\.arrivalTime)
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0 <= $1 })

        let free = try EmulatorRun("delay=50ms,jitter=30ms:normal,fifo=off", count: 5_000, interval: 0.01)
        #expect(free.counters.packetsReordered > 500)
        #expect(free.deliveries.map(\.time) == free.deliveries.map(\.time).sorted())
    }

    @Test func blackoutDropsExactlyThePacketsSentInsideTheWindow() throws {
        let emulator = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: "delay=20ms,blackout=1s+500ms,blackout=3s+10ms"), seed: 3)
        var lost: [Int] = []
        for index in 0..<400 where emulator.submit(index, size: 100, at: Double(index) / 100).isLost { lost.append(index) }
        #expect(lost == Array(100..<150) + [300])
        #expect(emulator.counters.lostBlackout == 51 && emulator.counters.packetsLost == 51)
    }

    @Test func timeVaryingProfileSwitchesAtTheBoundary() throws {
        let profile = try NetworkProfile(parsing: "delay=10ms;at=5s,delay=100ms,loss=100%;at=8s,delay=30ms")
        #expect(profile.segments.map(\.start) == [0, 5, 8])
        let emulator = NetworkEmulator<Int>(profile: profile, seed: 1)
        for index in 0..<1_000 {
            let time = Double(index) / 100
            let fate = emulator.submit(index, size: 100, at: time)
            if time < 5 {
                #expect(fate.arrivalTime.map { abs($0 - time - 0.010) < 1e-9 } == true, "packet \(index)")
            } else if time < 8 {
                #expect(fate == .lost(.random), "packet \(index)")
            } else {
                #expect(fate.arrivalTime.map { abs($0 - time - 0.030) < 1e-9 } == true, "packet \(index)")
            }
        }
        #expect(emulator.counters.lostRandom == 300)
    }

    @Test func traceReplayReproducesTheTraceExactly() throws {
        // A per-packet trace with losses, a delay spike that reorders, and comments.
        var text = "# time_s delay_ms lost\n\n"
        var expected: [(Double, Double, Bool)] = []
        var random = EmulatorRandom(seed: 99)
        for index in 0..<2_000 {
            let time = Double(index) * 0.02
            let delay = Double(Int(random.unit() * 80_000)) / 1000 // ms, 3 decimals
            let lost = random.unit() < 0.03
            expected.append((time, delay, lost))
            text += "\(time)\t\(delay) \(lost ? 1 : 0)   # packet \(index)\n"
        }
        let profile = try NetworkProfile(parsing: "trace:path.trace") { path in
            #expect(path == "path.trace")
            return text
        }
        let emulator = NetworkEmulator<Int>(profile: profile, seed: 5)
        for (index, point) in expected.enumerated() {
            let fate = emulator.submit(index, size: 100, at: point.0)
            if point.2 {
                #expect(fate == .lost(.trace))
            } else {
                let arrival = try #require(fate.arrivalTime)
                #expect(abs(arrival - point.0 - point.1 / 1000) < 1e-12)
            }
        }
        #expect(emulator.counters.lostTrace == expected.filter(\.2).count)
        // Between points the last one holds; before the first, the first.
        let trace = try NetworkTrace(parsing: "1.0 10 0\n2.0 50 1\n3 20 0\n")
        #expect(trace.point(at: 0.5).delay == 0.010)
        #expect(trace.point(at: 1.999).delay == 0.010)
        #expect(trace.point(at: 2.0).lost)
        #expect(trace.point(at: 99).delay == 0.020)
        #expect(try NetworkTrace(parsing: trace.text).points == trace.points)
    }

    @Test func storageGrowsPastItsInitialCapacityAndKeepsEveryPayload() throws {
        // 3000 packets in flight in a queue sized for 16; duplicates share a slot.
        let emulator = NetworkEmulator<String>(profile: try NetworkProfile(parsing: "delay=10s,jitter=1s:uniform,fifo=off,dup=20%"), seed: 11, capacity: 16)
        for index in 0..<3_000 { emulator.submit("p\(index)", size: 100, at: Double(index) * 0.001) }
        #expect(emulator.pending > 3_450)
        let out = emulator.deliveries(until: .infinity)
        #expect(emulator.pending == 0)
        #expect(out.count == 3_000 + out.filter { $0.copy == 1 }.count)
        #expect(out.filter { $0.copy == 1 }.count > 450)
        #expect(out.allSatisfy { $0.payload == "p\($0.sequence)" })
        #expect(Set(out.map(\.sequence)).count == 3_000)
        // Exactly one copy of each packet is the last, and it comes out after any other copy.
        #expect(out.filter(\.isLastCopy).count == 3_000)
        var copies: [Int: Int] = [:]
        for delivery in out { copies[delivery.sequence, default: 0] += 1 }
        var seen: [Int: Int] = [:]
        for delivery in out {
            seen[delivery.sequence, default: 0] += 1
            #expect(delivery.isLastCopy == (seen[delivery.sequence] == copies[delivery.sequence]))
        }
        #expect(out.map(\.time) == out.map(\.time).sorted())
        // The slots are reused after draining.
        for index in 0..<100 { emulator.submit("q\(index)", size: 100, at: 10 + Double(index)) }
        #expect(Set(emulator.deliveries(until: .infinity).map(\.payload)) == Set((0..<100).map { "q\($0)" }))
    }

    @Test func countersAndProfileDescribeThemselvesAsJSON() throws {
        let run = try EmulatorRun(Self.busy, count: 1_000, size: 600)
        #expect(run.counters.json.contains("\"lostByCause\":{\"random\":\(run.counters.lostRandom),"))
        #expect(run.counters.summary.hasPrefix("submitted 1000, delivered \(run.counters.packetsDelivered), lost \(run.counters.packetsLost)"))
        let json = try NetworkProfile(parsing: "4g;at=10s,lossy-burst,blackout=12s+1s").json
        #expect(json.contains("\"delayMs\":50"))
        #expect(json.contains("\"meanBurstLength\":3"))
        #expect(json.contains("\"blackouts\":[{\"startS\":12,\"durationS\":1}]"))
    }
}
