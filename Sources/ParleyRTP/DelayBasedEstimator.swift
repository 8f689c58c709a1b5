/// The delay-based overuse detector of Google Congestion Control (after libwebrtc's
/// `InterArrival`, `TrendlineEstimator` and its adaptive threshold):
///
/// 1. packets are grouped into bursts: a group holds the packets sent within 5 ms of its
///    first one (and packets that arrive within 5 ms of the previous one while the
///    propagation delay shrinks, a burst released by a queue);
/// 2. between consecutive groups, the delay variation d = Δarrival − Δsend (ms) is
///    accumulated and smoothed (α = 0.9);
/// 3. the slope of the smoothed accumulated delay against arrival time is fitted over the
///    last 20 groups (least squares), then scaled: m = min(deltas, 60) × slope × 4;
/// 4. m is compared with an adaptive threshold γ (starts at 12.5, kept in 6 … 600):
///    γ += k × (|m| − γ) × Δt(ms, ≤ 100), k = 0.0087 when |m| > γ else 0.039 (not updated
///    when |m| > γ + 15); m > γ for more than 10 ms (and two groups, with a slope not
///    falling) is overuse, m < −γ underuse, otherwise normal.
///
/// Times are seconds; send and arrival times are on different clocks (only differences matter).
public struct DelayBasedEstimator: Sendable {
    public enum Usage: String, Sendable, Codable, Equatable {
        case normal, overusing, underusing
    }

    public struct Configuration: Sendable, Equatable {
        public var burstInterval = 0.005
        public var windowSize = 20
        public var smoothing = 0.9
        public var thresholdGain = 4.0
        public var initialThreshold = 12.5
        public var kUp = 0.0087
        public var kDown = 0.039
        /// Overuse must last this long (ms of send time) before it is signalled.
        public var overuseTime = 10.0
        public init() {}
    }

    private struct Group: Sendable {
        var firstSend: Double
        var lastSend: Double
        var firstArrival: Double
        var lastArrival: Double
    }

    public let configuration: Configuration
    public private(set) var usage = Usage.normal
    /// The adaptive threshold γ.
    public private(set) var threshold: Double
    /// The last fitted slope (ms of delay per ms), and its scaled value m.
    public private(set) var trend = 0.0
    public private(set) var modifiedTrend = 0.0
    /// Groups compared so far.
    public private(set) var deltaCount = 0

    private var current: Group?
    private var previous: Group?
    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var firstArrival: Double?
    private var window: [(x: Double, y: Double)] = []
    private var timeOverUsing = -1.0
    private var overuseCounter = 0
    private var previousTrend = 0.0
    private var lastThresholdUpdate: Double?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        threshold = configuration.initialThreshold
        window.reserveCapacity(configuration.windowSize + 1)
    }

    /// Feeds the received packets of one feedback (lost ones and ones without an arrival
    /// time are skipped), in arrival order; returns the usage after them.
    @discardableResult
    public mutating func update(_ results: [TransportFeedbackAdapter.PacketResult]) -> Usage {
        let received = results.filter { $0.received && $0.arrivalTime != nil }
            .sorted { ($0.arrivalTime!, $0.sequenceNumber) < ($1.arrivalTime!, $1.sequenceNumber) }
        for packet in received {
            if let arrival = packet.arrivalTime { add(sendTime: packet.sendTime, arrivalTime: arrival) }
        }
        return usage
    }

    /// One received packet (seconds).
    public mutating func add(sendTime: Double, arrivalTime: Double) {
        guard var group = current else {
            current = Group(firstSend: sendTime, lastSend: sendTime, firstArrival: arrivalTime, lastArrival: arrivalTime)
            return
        }
        // Reordered across groups: ignore, as libwebrtc does.
        if sendTime < group.firstSend { return }
        if sendTime - group.firstSend <= configuration.burstInterval || belongsToBurst(group, sendTime, arrivalTime) {
            group.lastSend = max(group.lastSend, sendTime)
            group.lastArrival = max(group.lastArrival, arrivalTime)
            current = group
            return
        }
        if let previous {
            let sendDelta = (group.lastSend - previous.lastSend) * 1000
            let arrivalDelta = (group.lastArrival - previous.lastArrival) * 1000
            updateTrendline(arrivalDelta: arrivalDelta, sendDelta: sendDelta, arrivalTime: group.lastArrival * 1000)
        }
        previous = group
        current = Group(firstSend: sendTime, lastSend: sendTime, firstArrival: arrivalTime, lastArrival: arrivalTime)
    }

    private func belongsToBurst(_ group: Group, _ sendTime: Double, _ arrivalTime: Double) -> Bool {
        let arrivalDelta = arrivalTime - group.lastArrival
        let sendDelta = sendTime - group.lastSend
        if sendDelta == 0 { return true }
        let propagation = arrivalDelta - sendDelta
        return propagation < 0 && arrivalDelta <= configuration.burstInterval && arrivalTime - group.firstArrival < 0.1
    }

    private mutating func updateTrendline(arrivalDelta: Double, sendDelta: Double, arrivalTime: Double) {
        let delta = arrivalDelta - sendDelta
        deltaCount = min(deltaCount + 1, 1000)
        accumulatedDelay += delta
        smoothedDelay = configuration.smoothing * smoothedDelay + (1 - configuration.smoothing) * accumulatedDelay
        let origin = firstArrival ?? arrivalTime
        firstArrival = origin
        window.append((arrivalTime - origin, smoothedDelay))
        if window.count > configuration.windowSize { window.removeFirst() }
        var slope = previousTrend
        if window.count == configuration.windowSize, let fitted = Self.slope(window) { slope = fitted }
        detect(slope, sendDelta: sendDelta, now: arrivalTime)
    }

    /// Least-squares slope of y over x; nil when every x is the same.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard !points.isEmpty else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var numerator = 0.0
        var denominator = 0.0
        for point in points {
            numerator += (point.x - meanX) * (point.y - meanY)
            denominator += (point.x - meanX) * (point.x - meanX)
        }
        return denominator == 0 ? nil : numerator / denominator
    }

    private mutating func detect(_ slope: Double, sendDelta: Double, now: Double) {
        trend = slope
        guard deltaCount >= 2 else {
            modifiedTrend = 0
            usage = .normal
            previousTrend = slope
            return
        }
        let modified = Double(min(deltaCount, 60)) * slope * configuration.thresholdGain
        modifiedTrend = modified
        if modified > threshold {
            if timeOverUsing == -1 {
                timeOverUsing = sendDelta / 2
            } else {
                timeOverUsing += sendDelta
            }
            overuseCounter += 1
            if timeOverUsing > configuration.overuseTime && overuseCounter > 1 && slope >= previousTrend {
                timeOverUsing = 0
                overuseCounter = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .underusing
        } else {
            timeOverUsing = -1
            overuseCounter = 0
            usage = .normal
        }
        previousTrend = slope
        updateThreshold(modified, now: now)
    }

    private mutating func updateThreshold(_ modified: Double, now: Double) {
        let last = lastThresholdUpdate ?? now
        lastThresholdUpdate = now
        if abs(modified) > threshold + 15 { return }
        let k = abs(modified) < threshold ? configuration.kDown : configuration.kUp
        let elapsed = min(max(now - last, 0), 100)
        threshold += k * (abs(modified) - threshold) * elapsed
        threshold = min(max(threshold, 6), 600)
    }
}
