/// NetEq-style target delay: each packet's *relative arrival delay* — how much later it
/// arrived than the fastest packet of the last `window` seconds, given its media
/// timestamp — goes into a histogram that forgets old packets geometrically; the target
/// is a quantile of that histogram plus one packet, clamped to floor and ceiling.
/// Storage is allocated once.
struct DelayManager {
    private let bucketWidth: Double
    private let quantile: Double
    private let forgetFactor: Double
    private let window: Double
    private let startDelay: Double
    let floor: Double
    let ceiling: Double
    private let packetDuration: Double

    /// The histogram is `histogram[j] × scale`: forgetting multiplies `scale` instead of
    /// every bucket (a thousand of them, per packet, per stream), and the buckets are
    /// brought back to scale 1 only when it gets small.
    private var histogram: [Double]
    private var scale = 1.0
    private var updates = 0
    // Ring of arrival times over the last `window` seconds (their transits are in the queue).
    private var ringArrival: [Double]
    private var ringStart = 0
    private var ringCount = 0
    /// The monotonic queue of the window's transits (its fastest first) and their serials.
    private var queueTransit: [Double]
    private var querySerial: [Int]
    private var queueHead = 0
    private var queueCount = 0
    private var nextSerial = 0
    private(set) var targetDelay: Double
    private(set) var lastRelativeDelay: Double = 0

    init(configuration c: JitterBufferConfiguration) {
        bucketWidth = c.bucketWidth
        quantile = c.quantile
        forgetFactor = c.forgetFactor
        window = c.relativeDelayWindow
        startDelay = c.startDelay
        packetDuration = Double(c.packetMilliseconds) / 1000
        floor = c.minimumDelay
        ceiling = max(floor, c.maximumDelay)
        let buckets = max(2, Int((ceiling / c.bucketWidth).rounded(.up)) + 1)
        histogram = [Double](repeating: 0, count: buckets)
        let ringSize = max(64, Int(c.relativeDelayWindow * 1000 / 5) + 8)
        ringArrival = [Double](repeating: 0, count: ringSize)
        queueTransit = [Double](repeating: 0, count: ringSize)
        querySerial = [Int](repeating: 0, count: ringSize)
        targetDelay = min(max(c.startDelay, floor), ceiling)
        resetHistogram()
    }

    mutating func resetHistogram() {
        for i in 0..<histogram.count { histogram[i] = 0 }
        let b = min(histogram.count - 1, max(0, Int(startDelay / bucketWidth)))
        histogram[b] = 1
        scale = 1
        updates = 0
        ringCount = 0
        ringStart = 0
        queueCount = 0
        queueHead = 0
        targetDelay = min(max(startDelay, floor), ceiling)
    }

    /// Restarts the fastest-packet window (the media timeline changed); keeps the histogram.
    mutating func resetWindow() {
        ringCount = 0
        ringStart = 0
        queueCount = 0
        queueHead = 0
    }

    /// Records one packet: `arrival` on the receiver clock, `mediaTime` its timestamp in seconds.
    mutating func update(arrival: Double, mediaTime: Double) {
        let transit = arrival - mediaTime
        // Drop entries older than the window, then append (overwriting the oldest when full).
        while ringCount > 0 && ringArrival[ringStart] < arrival - window {
            ringStart = (ringStart + 1) % ringArrival.count
            ringCount -= 1
        }
        if ringCount == ringArrival.count {
            ringStart = (ringStart + 1) % ringArrival.count
            ringCount -= 1
        }
        let slot = (ringStart + ringCount) % ringArrival.count
        ringArrival[slot] = arrival
        ringCount += 1
        let serial = nextSerial
        nextSerial += 1
        // The fastest transit of the window from a monotonic queue (increasing transits,
        // oldest first): O(1) per packet instead of a scan of the whole window.
        let oldestKept = nextSerial - ringCount
        let capacity = queueTransit.count
        while queueCount > 0 {
            let back = (queueHead + queueCount - 1) % capacity
            guard queueTransit[back] >= transit else { break }
            queueCount -= 1
        }
        let tail = (queueHead + queueCount) % capacity
        queueTransit[tail] = transit
        querySerial[tail] = serial
        queueCount += 1
        while queueCount > 1 && querySerial[queueHead] < oldestKept {
            queueHead = (queueHead + 1) % capacity
            queueCount -= 1
        }
        let fastest = queueTransit[queueHead]
        let relative = transit - fastest
        lastRelativeDelay = relative

        // Forgetting histogram; the first packets weigh more (NetEq's start forget weight).
        let f = min(forgetFactor, 1 - 1 / Double(updates + 2))
        updates += 1
        let bucket = min(histogram.count - 1, Int(relative / bucketWidth))
        let quantile = self.quantile
        scale *= f
        let renormalize = scale < 1e-30
        let newScale = renormalize ? 1.0 : scale
        let oldScale = scale
        let k = histogram.withUnsafeMutableBufferPointer { h -> Int in
            if renormalize {
                var j = 0
                while j < h.count { h[j] *= oldScale; j += 1 }
            }
            h[bucket] += (1 - f) / newScale
            // The quantile on the stored buckets: their sum reaches quantile / scale.
            let threshold = quantile / newScale
            var sum = 0.0
            var k = 0
            while k < h.count - 1 {
                sum += h[k]
                if sum >= threshold { break }
                k += 1
            }
            return k
        }
        scale = newScale
        let q = Double(k + 1) * bucketWidth
        targetDelay = min(max(q, floor), ceiling)
    }
}
