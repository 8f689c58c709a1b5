import Foundation
import ParleyConference
import ParleyTestSupport
import Testing

/// Garbage never crashes the parsers, the descriptions are valid JSON, and the emulator's
/// steady state allocates nothing (it sits on the media path of in-process loopbacks).
@Suite struct EmulatorRobustnessTests {
    @Test func randomProfileAndTraceTextOnlyEverThrowsConferenceErrors() {
        let alphabet = Array("delayjitterlossburstgilbertreorderduprateuqueuefifoblackoutat=,;:%+.-0123456789msbitkKBµ# \n\t\u{0}é")
        let keys = NetworkProfileParser.keys
        let values = ["40ms", "0", "2%", "5%:3", "1%:30%", "1%:30%:1%:50%", "1mbit", "50ms", "64KB", "on", "off", "5s+2s",
                      "10s", "10ms:normal", "3ms:pareto:2.5", "3ms:pareto:1.5", "1%:20ms", "-1", "1e400", "nan%", "", ":", "+", "100%", "0.5ms"]
        var random = EmulatorRandom(seed: 2024)
        var accepted = 0
        for round in 0..<20_000 {
            var text = ""
            if round % 2 == 0 {
                // Plausible shapes: key=value pairs with values from a pool of good and bad ones,
                // sometimes mangled by one random character.
                for index in 0..<(1 + Int(random.next() % 4)) {
                    if index > 0 { text += random.next() % 6 == 0 ? ";at=\(index)s," : "," }
                    text += keys[Int(random.next() % UInt64(keys.count))] + "="
                    text += values[Int(random.next() % UInt64(values.count))]
                    if random.next() % 4 == 0 { text.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
                }
            } else {
                for _ in 0..<Int(random.next() % 40) { text.append(alphabet[Int(random.next() % UInt64(alphabet.count))]) }
            }
            do {
                let profile = try NetworkProfile(parsing: text) { _ in text }
                accepted += 1
                // Whatever is accepted can be described and run.
                #expect((try? JSONSerialization.jsonObject(with: Data(profile.json.utf8))) != nil, "\(profile.json)")
                let emulator = NetworkEmulator<Int>(profile: profile, seed: 1)
                for index in 0..<20 { emulator.submit(index, size: 1200, at: Double(index) * 0.02) }
                _ = emulator.deliveries(until: .infinity)
            } catch is ConferenceError {
            } catch {
                Issue.record("'\(text)' threw \(error)")
            }
            do { _ = try NetworkTrace(parsing: text) } catch is ConferenceError {} catch { Issue.record("trace '\(text)' threw \(error)") }
        }
        #expect(accepted > 100, "the generator should produce some valid profiles too")
    }

    @Test func profileAndCounterDescriptionsAreValidJSON() throws {
        let trace = "0 10 0\n1 20 1\n"
        for text in NetworkPresets.names + ["trace:x", "jitter=3ms:pareto:1.5", "wifi;at=10s,congested,blackout=12s+1s;at=20.5s,gilbert=1%:30%:0.5%:80%,fifo=off"] {
            let profile = try NetworkProfile(parsing: text) { _ in trace }
            let object = try JSONSerialization.jsonObject(with: Data(profile.json.utf8)) as? [String: Any]
            #expect(object?["profile"] as? String == text)
            let emulator = NetworkEmulator<Int>(profile: profile, seed: 9)
            for index in 0..<500 { emulator.submit(index, size: 300, at: Double(index) * 0.05) }
            _ = emulator.deliveries(until: .infinity)
            let counters = try JSONSerialization.jsonObject(with: Data(emulator.counters.json.utf8)) as? [String: Any]
            #expect(counters?["packetsSubmitted"] as? Int == 500)
        }
    }

    @Test func steadyStateSubmitAndDeliverAllocateNothing() throws {
        try #require(AllocationCounter.isActive, "the allocation counter is not interposed in this test process")
        let emulator = NetworkEmulator<Int>(profile: try NetworkProfile(parsing: EmulatorBehaviourTests.busy + ",blackout=100s+1s"), seed: 4)
        var time = 0.0
        var delivered = 0
        func run(_ count: Int) {
            for index in 0..<count {
                emulator.submit(index, size: 600, at: time)
                while let delivery = emulator.nextDelivery(until: time) { delivered &+= delivery.payload }
                time += 0.005
            }
        }
        run(2_000) // warm up: the queue's storage reaches its working size
        let allocations = AllocationCounter.count { run(10_000) }
        #expect(allocations == 0)
        #expect(delivered > 0)
    }
}
