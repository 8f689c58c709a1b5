/// The impairments of one stretch of a network path. Times are seconds, probabilities 0…1,
/// rates bits per second. `NetworkProfile` strings build these (`delay=40ms,loss=1%`, see
/// `NetworkProfileParser`); `validate()` checks every range and names the field.
///
/// The order a packet meets them in is documented on `NetworkModel`.
public struct NetworkParameters: Equatable, Sendable {
    /// How much the drop-tail queue in front of a bandwidth cap holds.
    public enum QueueLimit: Equatable, Sendable {
        /// Bytes waiting (including the packet being sent).
        case bytes(Int)
        /// Time to drain what is waiting at the capped rate.
        case time(Double)
    }

    /// One-way base delay (propagation), seconds.
    public var delay: Double = 0
    /// Jitter size `J` (see `JitterDistribution` for what it means for each shape), seconds.
    public var jitter: Double = 0
    public var jitterDistribution: JitterDistribution = .uniform
    /// Independent (Bernoulli) loss probability per packet.
    public var loss: Double = 0
    /// Gilbert–Elliott burst loss, on top of `loss`.
    public var burst: GilbertElliott?
    /// Probability that a packet is held back by `reorderDelay`, letting later packets overtake it.
    public var reorder: Double = 0
    public var reorderDelay: Double = 0.03
    /// Probability that a packet arrives twice.
    public var duplicate: Double = 0
    /// Bandwidth cap in bits per second (nil: unlimited).
    public var rate: Double?
    /// The drop-tail queue in front of the cap.
    public var queue: QueueLimit = .time(0.1)
    /// True: a packet never arrives before one sent earlier (jitter delays the packets behind
    /// it, like one real queue). False: jitter alone may reorder packets. Packets held by
    /// `reorder` always let later packets pass.
    public var fifo = true

    public init() {}

    /// Throws `ConferenceError.invalidParameter` naming the first field out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: String, _ expected: String) throws {
            if !ok { throw ConferenceError.invalidParameter(field: field, value: value, expected: expected) }
        }
        func probability(_ p: Double, _ field: String) throws {
            try check(p.isFinite && p >= 0 && p <= 1, field, EmulatorFormat.percent(p), "give 0% to 100%")
        }
        try check(delay.isFinite && delay >= 0 && delay <= 60, "delay", EmulatorFormat.duration(delay), "give 0ms to 60s, e.g. delay=40ms")
        try check(jitter.isFinite && jitter >= 0 && jitter <= 10, "jitter", EmulatorFormat.duration(jitter), "give 0ms to 10s, e.g. jitter=10ms:normal")
        if case .pareto(let shape) = jitterDistribution {
            try check(shape.isFinite && shape > 1 && shape <= 100, "jitter", "pareto:\(EmulatorFormat.number(shape))",
                      "the Pareto shape must be more than 1 and at most 100, e.g. jitter=10ms:pareto:3")
        }
        try probability(loss, "loss")
        if let burst {
            try check(burst.p.isFinite && burst.p >= 0 && burst.p <= 1, "gilbert", EmulatorFormat.percent(burst.p), "p (Good→Bad) must be 0% to 100%")
            try check(burst.r.isFinite && burst.r > 0 && burst.r <= 1, "gilbert", EmulatorFormat.percent(burst.r),
                      "r (Bad→Good) must be more than 0% and at most 100% (mean burst 1/r packets)")
            try probability(burst.lossInGood, "gilbert")
            try probability(burst.lossInBad, "gilbert")
        }
        try probability(reorder, "reorder")
        try check(reorderDelay.isFinite && reorderDelay > 0 && reorderDelay <= 10, "reorder", EmulatorFormat.duration(reorderDelay),
                  "the hold-back delay must be more than 0ms and at most 10s, e.g. reorder=1%:30ms")
        try probability(duplicate, "dup")
        if let rate {
            try check(rate.isFinite && rate >= 1000 && rate <= 100e9, "rate", EmulatorFormat.rate(rate), "give 1kbit to 100gbit, e.g. rate=1mbit")
        }
        switch queue {
        case .bytes(let bytes):
            try check(bytes >= 64 && bytes <= 1 << 30, "queue", "\(bytes)B", "give 64B to 1GB, or a time such as queue=50ms")
        case .time(let seconds):
            try check(seconds.isFinite && seconds >= 0.001 && seconds <= 60, "queue", EmulatorFormat.duration(seconds),
                      "give 1ms to 60s, or a size such as queue=64KB")
        }
    }

    /// The parameters in profile syntax (only the fields that differ from a perfect link);
    /// `clean` for a perfect link. Parsing this text gives these parameters back.
    public var profileText: String {
        var parts: [String] = []
        if delay > 0 { parts.append("delay=\(EmulatorFormat.duration(delay))") }
        if jitter > 0 { parts.append("jitter=\(EmulatorFormat.duration(jitter)):\(jitterDistribution)") }
        if loss > 0 { parts.append("loss=\(EmulatorFormat.percent(loss))") }
        if let burst, burst.lossInGood == 0, burst.lossInBad == 1, burst.p < 1 {
            parts.append("burst=\(EmulatorFormat.percent(burst.lossRate)):\(EmulatorFormat.number(burst.meanBurstLength))")
        } else if let burst {
            parts.append("gilbert=\(EmulatorFormat.percent(burst.p)):\(EmulatorFormat.percent(burst.r)):"
                + "\(EmulatorFormat.percent(burst.lossInGood)):\(EmulatorFormat.percent(burst.lossInBad))")
        }
        if reorder > 0 { parts.append("reorder=\(EmulatorFormat.percent(reorder)):\(EmulatorFormat.duration(reorderDelay))") }
        if duplicate > 0 { parts.append("dup=\(EmulatorFormat.percent(duplicate))") }
        if let rate {
            parts.append("rate=\(EmulatorFormat.rate(rate))")
            switch queue {
            case .bytes(let bytes): parts.append("queue=\(bytes)B")
            case .time(let seconds): parts.append("queue=\(EmulatorFormat.duration(seconds))")
            }
        }
        if !fifo { parts.append("fifo=off") }
        return parts.isEmpty ? "clean" : parts.joined(separator: ",")
    }

    /// The effective parameters as a JSON object (times in ms, probabilities 0…1).
    public var json: String {
        var fields: [String] = [
            "\"delayMs\":\(EmulatorFormat.json(delay * 1000))",
            "\"jitterMs\":\(EmulatorFormat.json(jitter * 1000))",
            "\"jitterDistribution\":\(EmulatorFormat.jsonString(jitterDistribution.description))",
            "\"jitterStdDevMs\":\(EmulatorFormat.json(jitterDistribution.standardDeviation(jitter: jitter) * 1000))",
            "\"loss\":\(EmulatorFormat.json(loss))",
        ]
        if let burst {
            fields.append("\"gilbertElliott\":{\"p\":\(EmulatorFormat.json(burst.p)),\"r\":\(EmulatorFormat.json(burst.r)),"
                + "\"lossInGood\":\(EmulatorFormat.json(burst.lossInGood)),\"lossInBad\":\(EmulatorFormat.json(burst.lossInBad)),"
                + "\"lossRate\":\(EmulatorFormat.json(burst.lossRate)),\"meanBurstLength\":\(EmulatorFormat.json(burst.meanBurstLength))}")
        } else {
            fields.append("\"gilbertElliott\":null")
        }
        fields.append("\"reorder\":\(EmulatorFormat.json(reorder))")
        fields.append("\"reorderDelayMs\":\(EmulatorFormat.json(reorderDelay * 1000))")
        fields.append("\"duplicate\":\(EmulatorFormat.json(duplicate))")
        if let rate {
            fields.append("\"rateBitsPerSecond\":\(EmulatorFormat.json(rate))")
            switch queue {
            case .bytes(let bytes): fields.append("\"queueBytes\":\(bytes)")
            case .time(let seconds): fields.append("\"queueMs\":\(EmulatorFormat.json(seconds * 1000))")
            }
        } else {
            fields.append("\"rateBitsPerSecond\":null")
        }
        fields.append("\"fifo\":\(fifo)")
        return "{" + fields.joined(separator: ",") + "}"
    }
}
