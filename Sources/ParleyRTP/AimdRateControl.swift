/// The rate controller of Google Congestion Control (after libwebrtc's `AimdRateControl`):
/// driven by the delay detector's usage signal and the acknowledged (received) rate.
///
/// - States: overuse → decrease; underuse → hold; normal → increase (from hold).
/// - Increase: multiplicative, ×1.08 per second, while the link capacity is unknown or the
///   received rate left its estimate (above mean + 3σ); additive near it (about one
///   packet per response time, RTT + 100 ms, at least 4 kbit/s per second). Never above
///   1.5 × the acknowledged rate + 10 kbit/s.
/// - Decrease: to 0.85 × the acknowledged rate, which also updates the link capacity
///   estimate (an average of the rates at decreases).
///
/// Rates in bit/s, times in seconds.
public struct AimdRateControl: Sendable {
    public enum State: String, Sendable, Codable { case hold, increase, decrease }

    public var minimumRate: Double
    public var maximumRate: Double
    public var beta = 0.85
    /// Round-trip time used for the additive increase (seconds).
    public var roundTripTime = 0.1
    public private(set) var rate: Double
    public private(set) var state = State.hold
    /// Average acknowledged rate at the decreases (kbit/s), nil while unknown.
    public private(set) var linkCapacity: Double?
    private var linkDeviation = 0.4
    private var lastChange: Double?
    public private(set) var lastDecrease: Double?

    public init(startRate: Double, minimumRate: Double, maximumRate: Double) {
        self.minimumRate = minimumRate
        self.maximumRate = max(minimumRate, maximumRate)
        rate = min(max(startRate, minimumRate), self.maximumRate)
    }

    /// Forces the estimate (a probe result); the link capacity is forgotten.
    public mutating func setEstimate(_ newRate: Double, at now: Double) {
        rate = min(max(newRate, minimumRate), maximumRate)
        linkCapacity = nil
        lastChange = now
    }

    /// Applies one detector output; returns the new rate.
    @discardableResult
    public mutating func update(usage: DelayBasedEstimator.Usage, acknowledgedRate: Double?, at now: Double) -> Double {
        switch usage {
        case .normal:
            if state == .hold {
                state = .increase
                lastChange = now
            }
        case .overusing:
            if state != .decrease { state = .decrease }
        case .underusing:
            state = .hold
        }
        let acknowledged = acknowledgedRate ?? rate
        var newRate = rate
        switch state {
        case .hold:
            break
        case .increase:
            if let capacity = linkCapacity, acknowledged / 1000 > upperBound(capacity) { linkCapacity = nil }
            let elapsed = min(max(now - (lastChange ?? now), 0), 1)
            if linkCapacity != nil {
                newRate += additiveIncrease(per: elapsed)
            } else {
                newRate += max(rate * Self.growth(elapsed), 1000 * elapsed)
            }
            lastChange = now
            let limit = 1.5 * acknowledged + 10_000
            if newRate > limit { newRate = max(rate, limit) }
        case .decrease:
            let decreased = beta * acknowledged
            if decreased < rate { newRate = decreased }
            if let capacity = linkCapacity, acknowledged / 1000 < lowerBound(capacity) { linkCapacity = nil }
            updateLinkCapacity(sample: acknowledged / 1000)
            state = .hold
            lastChange = now
            lastDecrease = now
        }
        rate = min(max(newRate, minimumRate), maximumRate)
        return rate
    }

    /// 1.08^t − 1 for t in 0 … 1 s (a short series: no Foundation in this module).
    static func growth(_ seconds: Double) -> Double {
        let x = seconds * 0.076_961_041_136_128_3  // ln 1.08
        return x * (1 + x / 2 * (1 + x / 3 * (1 + x / 4 * (1 + x / 5))))
    }

    private func additiveIncrease(per elapsed: Double) -> Double {
        let bitsPerFrame = rate / 30
        let packetsPerFrame = max(1, (bitsPerFrame / (1200 * 8)).rounded(.up))
        let packetBits = bitsPerFrame / packetsPerFrame
        let perSecond = max(4000, packetBits / (roundTripTime + 0.1))
        return perSecond * elapsed
    }

    private func deviation(_ capacity: Double) -> Double { (linkDeviation * capacity).squareRoot() }
    private func upperBound(_ capacity: Double) -> Double { capacity + 3 * deviation(capacity) }
    private func lowerBound(_ capacity: Double) -> Double { capacity - 3 * deviation(capacity) }

    private mutating func updateLinkCapacity(sample: Double) {
        let alpha = 0.05
        let estimate = linkCapacity.map { (1 - alpha) * $0 + alpha * sample } ?? sample
        linkCapacity = estimate
        let error = estimate - sample
        linkDeviation = (1 - alpha) * linkDeviation + alpha * error * error / max(estimate, 1)
        linkDeviation = min(max(linkDeviation, 0.4), 2.5)
    }
}
