import ParleyConference
import ParleyRTP

/// `parley bench --bwe`: the bandwidth estimator against a bottleneck whose capacity steps
/// (300 kbit/s → 1 Mbit/s → 500 kbit/s by default), on a virtual clock, deterministic.
///
/// - Sender: 20 ms audio packets (Opus rate from `BandwidthAllocation`, + 50 bytes of
///   headers) and 1200-byte video packets paced at the rest of the target (1 ms ticks);
///   probe clusters when the estimator asks (video pauses meanwhile). Every packet has a
///   transport-wide sequence number and goes through `BandwidthEstimator.onPacketSent`.
/// - Link: `NetworkEmulator` with `rate=…,queue=…,delay=…` segments (`at=` for each step).
/// - Receiver: every `feedbackInterval` a transport-wide feedback (serialized and parsed as
///   RTCP) covering the packets since the last one; it reaches the sender after the base delay.
///
/// Per step: convergence = the end of the first 1 s window (windows every 100 ms) after
/// which the windowed send rate stays within [`lowerBand`, `upperBand`] × capacity until the step
/// ends (nil: never); utilisation = bits delivered / (capacity × time) from convergence
/// (from the step start when it never converged) to the step end; queueing delay = one-way
/// delay − base delay − the packet's own serialization at the cap, over every packet sent
/// during the step (mean and p95). Goal: converged within 5 s and p95 queueing delay under
/// 100 ms.
public enum BandwidthBenchmark {
    public struct Parameters: Sendable {
        public var capacities: [Double] = [300_000, 1_000_000, 500_000]
        public var stepDuration = 20.0
        public var baseDelay = 0.02
        public var queue = "250ms"
        public var feedbackInterval = 0.05
        public var startRate = 100_000.0
        public var seed: UInt64 = 1
        public var lowerBand = 0.85
        public var upperBand = 1.15
        /// The send-rate averaging window for convergence.
        public var rateWindow = 1.0
        public var convergenceGoal = 5.0
        public var delayGoal = 0.1
        /// Also return a sample every 100 ms (time, target, send rate, queueing delay).
        public var recordTimeline = false

        public init() {}
        public static var quick: Parameters {
            var p = Parameters()
            p.stepDuration = 10
            return p
        }
    }

    public struct Step: Codable, Sendable, Equatable {
        public var capacityBitsPerSecond: Double
        public var start: Double
        public var end: Double
        /// Seconds from the step start; nil when the send rate never settled in the band.
        public var convergenceTime: Double?
        public var utilisation: Double
        public var meanQueueingDelayMs: Double
        public var p95QueueingDelayMs: Double
        public var maxQueueingDelayMs: Double
        /// The same over the packets sent from convergence on (the whole step if it never converged).
        public var steadyMeanQueueingDelayMs: Double
        public var steadyP95QueueingDelayMs: Double
        public var meanSendRateBitsPerSecond: Double
        public var meanTargetBitsPerSecond: Double
        public var packetsSent: Int
        public var packetsLost: Int
        public var probes: Int
        public var convergedInTime: Bool
        public var delayWithinGoal: Bool
        public var meetsGoal: Bool
    }

    public struct Report: Codable, Sendable, Equatable {
        public var profile: String
        public var seed: UInt64
        public var stepDuration: Double
        public var feedbackIntervalMs: Double
        public var convergenceBand: [Double]
        public var definitions: [String: String]
        public var steps: [Step]
        public var meetsGoal: Bool
        /// With `recordTimeline`: [time s, target kbit/s, send rate kbit/s (500 ms window), queueing delay ms of the last packet sent].
        public var timeline: [[Double]]?
    }

    private struct Sent {
        var time: Double
        var size: Int
        var step: Int
        var probe: Int?
    }

    public static func profileText(_ p: Parameters) -> String {
        p.capacities.enumerated().map { index, rate in
            let at = index == 0 ? "" : "at=\(Int(Double(index) * p.stepDuration))s,"
            return "\(at)rate=\(Int(rate)),queue=\(p.queue),delay=\(Int(p.baseDelay * 1000))ms"
        }.joined(separator: ";")
    }

    public static func run(_ p: Parameters = Parameters()) throws -> Report {
        let text = profileText(p)
        let profile = try NetworkProfile(parsing: text)
        let emulator = NetworkEmulator<UInt16>(profile: profile, seed: p.seed)
        var configuration = BandwidthEstimator.Configuration()
        configuration.startRate = p.startRate
        var bwe = BandwidthEstimator(configuration: configuration)

        let tick = 0.001
        let duration = p.stepDuration * Double(p.capacities.count)
        let ticks = Int((duration / tick).rounded())
        var sent: [Sent] = []
        sent.reserveCapacity(Int(duration * 400))
        var arrivals: [Double?] = []
        arrivals.reserveCapacity(Int(duration * 400))
        var nextSequence: UInt16 = 0
        var videoBudget = 0.0
        var probeQueue: [(time: Double, size: Int, id: Int)] = []
        var pendingFeedback: [(time: Double, bytes: [UInt8])] = []
        var nextFeedback = p.feedbackInterval
        var firstUnreported = 0
        var highestReceived = -1
        var feedbackCount: UInt8 = 0
        var targetSamples: [(time: Double, target: Double)] = []
        var probes = Array(repeating: 0, count: p.capacities.count)

        func stepIndex(_ time: Double) -> Int { min(p.capacities.count - 1, max(0, Int(time / p.stepDuration))) }

        func send(size: Int, at time: Double, probe: Int?) {
            let sequence = nextSequence
            nextSequence &+= 1
            bwe.onPacketSent(sequenceNumber: sequence, size: size, at: time, probeCluster: probe)
            sent.append(Sent(time: time, size: size, step: stepIndex(time), probe: probe))
            arrivals.append(nil)
            emulator.submit(sequence, size: size, at: time)
        }

        for index in 0..<ticks {
            let now = Double(index) * tick
            // Feedback reaching the sender.
            while let first = pendingFeedback.first, first.time <= now + 1e-12 {
                pendingFeedback.removeFirst()
                for packet in try RTCPCompound.parse(first.bytes) {
                    if case .transportWideFeedback(let feedback) = packet {
                        bwe.onFeedback(feedback, at: now, roundTripTime: 2 * p.baseDelay)
                    }
                }
            }
            targetSamples.append((now, bwe.target))
            let allocation = BandwidthAllocation.split(target: bwe.target, lossFraction: bwe.loss.lossFraction)
            // Audio every 20 ms.
            let audioSize = allocation.audioBitrate * 20 / 8000 + 50
            if index % 20 == 0 { send(size: audioSize, at: now, probe: nil) }
            // Probes, then paced video.
            if probeQueue.isEmpty, let cluster = bwe.probe(at: now) {
                probes[stepIndex(now)] += 1
                let spacing = Double(cluster.packetSize * 8) / cluster.rate
                for i in 0..<cluster.packets {
                    probeQueue.append((now + Double(i) * spacing, cluster.packetSize, cluster.id))
                }
            }
            if !probeQueue.isEmpty {
                while let first = probeQueue.first, first.time <= now + 1e-12 {
                    probeQueue.removeFirst()
                    send(size: first.size, at: now, probe: first.id)
                }
                videoBudget = 0
            } else {
                let videoRate = max(0, bwe.target - Double(audioSize * 8) / 0.02)
                videoBudget = min(videoBudget + videoRate * tick, 2 * 1200 * 8)
                while videoBudget >= 1200 * 8 {
                    videoBudget -= 1200 * 8
                    send(size: 1200, at: now, probe: nil)
                }
            }
            // Receiver.
            while let delivery = emulator.nextDelivery(until: now) {
                let sequenceIndex = delivery.sequence
                if arrivals[sequenceIndex] == nil { arrivals[sequenceIndex] = delivery.time }
                highestReceived = max(highestReceived, sequenceIndex)
                emulator.countDeliveredBytes(sent[sequenceIndex].size)
            }
            if now + 1e-12 >= nextFeedback {
                nextFeedback += p.feedbackInterval
                if highestReceived >= firstUnreported {
                    let range = firstUnreported...highestReceived
                    let firstArrival = range.compactMap { arrivals[$0] }.first ?? now
                    let reference = UInt32(firstArrival / RTCPTransportFeedback.referenceTimeUnit)
                    var previous = Int((Double(reference) * RTCPTransportFeedback.referenceTimeUnit / RTCPTransportFeedback.receiveDeltaUnit).rounded())
                    let deltas: [Int16?] = range.map { index in
                        guard let arrival = arrivals[index] else { return nil }
                        let units = Int((arrival / RTCPTransportFeedback.receiveDeltaUnit).rounded())
                        defer { previous = units }
                        return Int16(clamping: units - previous)
                    }
                    let feedback = RTCPTransportFeedback(
                        senderSSRC: 2, mediaSSRC: 1, baseSequenceNumber: UInt16(truncatingIfNeeded: firstUnreported),
                        referenceTime: reference & 0xFF_FFFF, feedbackPacketCount: feedbackCount, packetDeltas: deltas)
                    feedbackCount &+= 1
                    pendingFeedback.append((now + p.baseDelay, try RTCPCompound.serialize([.transportWideFeedback(feedback)])))
                    firstUnreported = highestReceived + 1
                }
            }
        }

        var steps: [Step] = []
        for (index, capacity) in p.capacities.enumerated() {
            let start = Double(index) * p.stepDuration
            let end = start + p.stepDuration
            // Send rate over `rateWindow` windows ending every 100 ms inside the step.
            var samples: [(time: Double, rate: Double)] = []
            var t = start + p.rateWindow
            var lo = 0
            while lo < sent.count, sent[lo].time < start { lo += 1 }
            while t <= end + 1e-9 {
                var bits = 0
                var i = lo
                while i < sent.count, sent[i].time < t {
                    if sent[i].time >= t - p.rateWindow { bits += sent[i].size * 8 }
                    i += 1
                }
                samples.append((t, Double(bits) / p.rateWindow))
                t += 0.1
            }
            var convergence: Double?
            for (i, sample) in samples.enumerated().reversed() {
                let inBand = sample.rate >= p.lowerBand * capacity && sample.rate <= p.upperBand * capacity
                if !inBand { break }
                convergence = samples[i].time - start
            }
                        let from = start + (convergence ?? 0)
            var deliveredBits = 0
            var delays: [Double] = []
            var steady: [Double] = []
            var lost = 0
            var count = 0
            var sentBits = 0
            for (i, packet) in sent.enumerated() {
                if let arrival = arrivals[i], arrival >= from, arrival < end { deliveredBits += packet.size * 8 }
                guard packet.step == index else { continue }
                count += 1
                sentBits += packet.size * 8
                if let arrival = arrivals[i] {
                    let serialization = Double(packet.size * 8) / capacity
                    let queueing = max(0, arrival - packet.time - p.baseDelay - serialization)
                    delays.append(queueing)
                    if packet.time >= from { steady.append(queueing) }
                } else {
                    lost += 1
                }
            }
            delays.sort()
            steady.sort()
            let steadyMean = steady.isEmpty ? 0 : steady.reduce(0, +) / Double(steady.count)
            let steadyP95 = steady.isEmpty ? 0 : steady[min(steady.count - 1, Int(0.95 * Double(steady.count)))]
            let mean = delays.isEmpty ? 0 : delays.reduce(0, +) / Double(delays.count)
            let p95 = delays.isEmpty ? 0 : delays[min(delays.count - 1, Int(0.95 * Double(delays.count)))]
            let targets = targetSamples.filter { $0.time >= start && $0.time < end }.map(\.target)
            let converged = convergence.map { $0 <= p.convergenceGoal } ?? false
            let delayOK = p95 < p.delayGoal
            steps.append(Step(
                capacityBitsPerSecond: capacity, start: start, end: end, convergenceTime: convergence.map { ($0 * 10).rounded() / 10 },
                utilisation: Double(deliveredBits) / (capacity * max(end - from, 1e-9)),
                meanQueueingDelayMs: mean * 1000, p95QueueingDelayMs: p95 * 1000, maxQueueingDelayMs: (delays.last ?? 0) * 1000,
                steadyMeanQueueingDelayMs: steadyMean * 1000, steadyP95QueueingDelayMs: steadyP95 * 1000,
                meanSendRateBitsPerSecond: Double(sentBits) / p.stepDuration,
                meanTargetBitsPerSecond: targets.isEmpty ? 0 : targets.reduce(0, +) / Double(targets.count),
                packetsSent: count, packetsLost: lost, probes: probes[index],
                convergedInTime: converged, delayWithinGoal: delayOK, meetsGoal: converged && delayOK))
        }
        return Report(
            profile: text, seed: p.seed, stepDuration: p.stepDuration, feedbackIntervalMs: p.feedbackInterval * 1000,
            convergenceBand: [p.lowerBand, p.upperBand],
            definitions: [
                "convergenceTime": "seconds from the step start until the send rate (\(p.rateWindow) s windows, every 100 ms) is within [\(p.lowerBand), \(p.upperBand)] x capacity from then (window end) to the step end; absent if never",
                "utilisation": "bits delivered / (capacity x time), from convergence (or the step start) to the step end",
                "queueingDelay": "one-way delay - base delay - the packet's serialization at the cap, every packet sent in the step (steady: sent from convergence on)",
                "goal": "converged within \(p.convergenceGoal) s and p95 queueing delay < \(Int(p.delayGoal * 1000)) ms",
            ],
            steps: steps, meetsGoal: steps.allSatisfy(\.meetsGoal), timeline: p.recordTimeline ? timeline(sent, arrivals, targetSamples, p) : nil)
    }

    private static func timeline(_ sent: [Sent], _ arrivals: [Double?], _ targets: [(time: Double, target: Double)], _ p: Parameters) -> [[Double]] {
        var rows: [[Double]] = []
        var index = 0
        var t = 0.1
        var windowStart = 0
        let end = p.stepDuration * Double(p.capacities.count)
        while t <= end + 1e-9 {
            while index < sent.count, sent[index].time < t { index += 1 }
            while windowStart < index, sent[windowStart].time < t - 0.5 { windowStart += 1 }
            let bits = sent[windowStart..<index].reduce(0) { $0 + $1.size * 8 }
            var delay = -1.0
            var last = index - 1
            while last >= 0, arrivals[last] == nil { last -= 1 }
            if last >= 0, let arrival = arrivals[last] {
                let capacity = p.capacities[min(p.capacities.count - 1, Int(sent[last].time / p.stepDuration))]
                delay = (arrival - sent[last].time - p.baseDelay - Double(sent[last].size * 8) / capacity) * 1000
            }
            let target = targets[min(targets.count - 1, max(0, Int(t * 1000) - 1))].target
            rows.append([(t * 10).rounded() / 10, (target / 100).rounded() / 10, Double(bits) / 0.5 / 1000, (delay * 10).rounded() / 10])
            t += 0.1
        }
        return rows
    }

    /// The human-readable table.
    public static func table(_ report: Report) -> String {
        func f(_ v: Double, _ d: Int = 1) -> String {
            let scale = d == 0 ? 1.0 : (d == 1 ? 10.0 : 100.0)
            let r = (v * scale).rounded() / scale
            return d == 0 ? String(Int(r)) : String(r)
        }
        var lines = ["capacity    converged  util   mean delay  p95 delay  steady p95  send rate  lost  probes  goal"]
        for s in report.steps {
            let cap = "\(Int(s.capacityBitsPerSecond / 1000)) kbit/s"
            let conv = s.convergenceTime.map { "\(f($0)) s" } ?? "never"
            lines.append([
                cap.padding(11), conv.padding(10), f(s.utilisation, 2).padding(6), "\(f(s.meanQueueingDelayMs)) ms".padding(11),
                "\(f(s.p95QueueingDelayMs)) ms".padding(10), "\(f(s.steadyP95QueueingDelayMs)) ms".padding(11), "\(Int(s.meanSendRateBitsPerSecond / 1000)) kbit/s".padding(10),
                "\(s.packetsLost)".padding(5), "\(s.probes)".padding(7), s.meetsGoal ? "ok" : "MISSED",
            ].joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
