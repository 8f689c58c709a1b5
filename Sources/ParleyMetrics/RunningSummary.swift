/// Count, mean, extremes and spread of a series of values, accumulated one value at a
/// time in constant space (Welford's algorithm): per-frame PSNR or SSIM, per-frame costs.
///
/// Non-finite values (NaN, ±∞) are not accumulated, only counted in `nonFiniteCount`, so
/// that a summary always serialises to JSON. An empty summary reports 0 for `mean`, `min`,
/// `max` and the deviations.
public struct RunningSummary: Sendable, Equatable, Codable {
    /// Number of finite values added.
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    public private(set) var min: Double = 0
    public private(set) var max: Double = 0
    /// Σ(value − mean)² over the values added.
    public private(set) var sumOfSquaredDeviations: Double = 0
    /// Number of NaN or infinite values that were passed to `add` and left out.
    public private(set) var nonFiniteCount: Int = 0

    public init() {}

    public init<S: Sequence>(_ values: S) where S.Element == Double {
        for value in values { add(value) }
    }

    public mutating func add(_ value: Double) {
        guard value.isFinite else {
            nonFiniteCount += 1
            return
        }
        count += 1
        if count == 1 {
            min = value
            max = value
            mean = value
            sumOfSquaredDeviations = 0
            return
        }
        min = Swift.min(min, value)
        max = Swift.max(max, value)
        let delta = value - mean
        mean += delta / Double(count)
        sumOfSquaredDeviations += delta * (value - mean)
    }

    /// Adds every value `other` summarised, as if they had been added to this summary.
    public mutating func merge(_ other: RunningSummary) {
        nonFiniteCount += other.nonFiniteCount
        guard other.count > 0 else { return }
        guard count > 0 else {
            let skipped = nonFiniteCount
            self = other
            nonFiniteCount = skipped
            return
        }
        let total = count + other.count
        let delta = other.mean - mean
        sumOfSquaredDeviations += other.sumOfSquaredDeviations
            + delta * delta * Double(count) * Double(other.count) / Double(total)
        mean += delta * Double(other.count) / Double(total)
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        count = total
    }

    /// Sum of the values added.
    public var sum: Double { mean * Double(count) }

    /// Population variance, Σ(x − mean)² / count (0 when empty).
    public var variance: Double { count > 0 ? sumOfSquaredDeviations / Double(count) : 0 }

    /// Population standard deviation, √(Σ(x − mean)² / count).
    public var standardDeviation: Double { variance.squareRoot() }

    /// Sample variance, Σ(x − mean)² / (count − 1) (0 for fewer than two values).
    public var sampleVariance: Double { count > 1 ? sumOfSquaredDeviations / Double(count - 1) : 0 }

    /// Sample standard deviation, √(Σ(x − mean)² / (count − 1)).
    public var sampleStandardDeviation: Double { sampleVariance.squareRoot() }

    /// The `p`-th percentile (0...100) of `values` by linear interpolation between the
    /// closest ranks (the usual "type 7" definition: p = 50 is the median, 0 the minimum,
    /// 100 the maximum). NaN values are ignored. Nil when no value is left or `p` is
    /// outside 0...100.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard p >= 0, p <= 100 else { return nil }
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let rank = p / 100 * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = rank - Double(lower)
        if fraction == 0 { return sorted[lower] }
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case count, mean, min, max, standardDeviation, sumOfSquaredDeviations, nonFiniteCount
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decode(Int.self, forKey: .count)
        mean = try container.decode(Double.self, forKey: .mean)
        min = try container.decode(Double.self, forKey: .min)
        max = try container.decode(Double.self, forKey: .max)
        if let squares = try container.decodeIfPresent(Double.self, forKey: .sumOfSquaredDeviations) {
            sumOfSquaredDeviations = squares
        } else {
            let deviation = try container.decodeIfPresent(Double.self, forKey: .standardDeviation) ?? 0
            sumOfSquaredDeviations = deviation * deviation * Double(count)
        }
        nonFiniteCount = try container.decodeIfPresent(Int.self, forKey: .nonFiniteCount) ?? 0
        guard count >= 0, nonFiniteCount >= 0, sumOfSquaredDeviations >= 0 else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: decoder.codingPath,
                debugDescription: "a running summary needs a non-negative count and spread"))
        }
    }

    /// Encodes the stored fields and, for readers of the JSON, `standardDeviation`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(mean, forKey: .mean)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
        try container.encode(standardDeviation, forKey: .standardDeviation)
        try container.encode(sumOfSquaredDeviations, forKey: .sumOfSquaredDeviations)
        try container.encode(nonFiniteCount, forKey: .nonFiniteCount)
    }
}
