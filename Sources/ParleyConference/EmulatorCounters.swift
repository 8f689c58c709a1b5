/// What an emulator did so far. Loss runs and delays are counted at submission, in send
/// order; deliveries, duplicates and reordering when packets come out.
public struct EmulatorCounters: Equatable, Sendable {
    public var packetsSubmitted = 0
    public var bytesSubmitted = 0
    /// Packets handed out, duplicates included.
    public var packetsDelivered = 0
    public var bytesDelivered = 0
    /// Extra copies delivered.
    public var packetsDuplicated = 0
    /// Packets (first copies) that came out after a packet sent later (RFC 4737's definition).
    public var packetsReordered = 0
    public var lostRandom = 0
    public var lostBurst = 0
    public var lostQueue = 0
    public var lostBlackout = 0
    public var lostTrace = 0
    /// Runs of consecutive lost packets (any cause), in send order.
    public var lossBursts = 0
    public var longestLossBurst = 0
    /// Delays (arrival − send, first copies of packets that are not lost).
    public var delayCount = 0
    public var delaySum = 0.0
    public var delaySumOfSquares = 0.0
    public var maxDelay = 0.0

    var currentLossRun = 0

    public init() {}

    public var packetsLost: Int { lostRandom + lostBurst + lostQueue + lostBlackout + lostTrace }

    public func lost(_ cause: LossCause) -> Int {
        switch cause {
        case .random: return lostRandom
        case .burst: return lostBurst
        case .queue: return lostQueue
        case .blackout: return lostBlackout
        case .trace: return lostTrace
        }
    }

    /// Lost / submitted.
    public var lossRate: Double { packetsSubmitted > 0 ? Double(packetsLost) / Double(packetsSubmitted) : 0 }
    /// Mean length of a run of consecutive losses.
    public var meanLossBurstLength: Double { lossBursts > 0 ? Double(packetsLost) / Double(lossBursts) : 0 }
    /// Seconds.
    public var meanDelay: Double { delayCount > 0 ? delaySum / Double(delayCount) : 0 }
    /// Standard deviation of the delay, seconds.
    public var delayStandardDeviation: Double {
        guard delayCount > 1 else { return 0 }
        let mean = meanDelay
        return max(0, delaySumOfSquares / Double(delayCount) - mean * mean).squareRoot()
    }

    mutating func record(size: Int, sentAt time: Double, fate: PacketFate) {
        packetsSubmitted += 1
        bytesSubmitted += size
        switch fate {
        case .lost(let cause):
            switch cause {
            case .random: lostRandom += 1
            case .burst: lostBurst += 1
            case .queue: lostQueue += 1
            case .blackout: lostBlackout += 1
            case .trace: lostTrace += 1
            }
            if currentLossRun == 0 { lossBursts += 1 }
            currentLossRun += 1
            longestLossBurst = max(longestLossBurst, currentLossRun)
        case .delivered(let arrival, _, _):
            currentLossRun = 0
            let delay = arrival - time
            delayCount += 1
            delaySum += delay
            delaySumOfSquares += delay * delay
            maxDelay = max(maxDelay, delay)
        }
    }

    /// One line for logs: `submitted 500, delivered 489, lost 11 (random 3, burst 8), …`.
    public var summary: String {
        var causes: [String] = []
        for cause in LossCause.allCases where lost(cause) > 0 { causes.append("\(cause.rawValue) \(lost(cause))") }
        var text = "submitted \(packetsSubmitted), delivered \(packetsDelivered), lost \(packetsLost)"
        if !causes.isEmpty { text += " (" + causes.joined(separator: ", ") + ")" }
        text += ", duplicated \(packetsDuplicated), reordered \(packetsReordered)"
        if delayCount > 0 {
            text += ", delay mean \(EmulatorFormat.number(meanDelay * 1000, decimals: 1)) ms"
                + " sd \(EmulatorFormat.number(delayStandardDeviation * 1000, decimals: 1)) ms"
                + " max \(EmulatorFormat.number(maxDelay * 1000, decimals: 1)) ms"
        }
        return text
    }

    /// The counters as a JSON object (delays in ms).
    public var json: String {
        var fields = [
            "\"packetsSubmitted\":\(packetsSubmitted)", "\"bytesSubmitted\":\(bytesSubmitted)",
            "\"packetsDelivered\":\(packetsDelivered)", "\"bytesDelivered\":\(bytesDelivered)",
            "\"packetsLost\":\(packetsLost)",
        ]
        let causes = LossCause.allCases.map { "\"\($0.rawValue)\":\(lost($0))" }
        fields.append("\"lostByCause\":{" + causes.joined(separator: ",") + "}")
        fields += [
            "\"packetsDuplicated\":\(packetsDuplicated)", "\"packetsReordered\":\(packetsReordered)",
            "\"lossRate\":\(EmulatorFormat.json(lossRate))", "\"lossBursts\":\(lossBursts)",
            "\"meanLossBurstLength\":\(EmulatorFormat.json(meanLossBurstLength))", "\"longestLossBurst\":\(longestLossBurst)",
            "\"meanDelayMs\":\(EmulatorFormat.json(meanDelay * 1000, decimals: 3))",
            "\"delayStdDevMs\":\(EmulatorFormat.json(delayStandardDeviation * 1000, decimals: 3))",
            "\"maxDelayMs\":\(EmulatorFormat.json(maxDelay * 1000, decimals: 3))",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }
}
