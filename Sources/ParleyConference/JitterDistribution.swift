/// How a packet's delay varies around the base delay. `J` below is the profile's jitter
/// (`jitter=J:…`), the same number for every shape:
///
/// - `uniform`: base + U(−J, +J), netem's default; standard deviation J/√3.
/// - `normal`: base + N(0, J²); standard deviation J.
/// - `pareto(shape: α)`: base + a Lomax (Pareto II) draw with mean J: scale λ = J(α − 1),
///   x = λ(U^(−1/α) − 1). Only adds delay (the base is the floor, as on a real path) and
///   has a heavy tail; standard deviation J·√(α/(α − 2)) for α > 2 (√3·J at the default α = 3).
///
/// A draw that would put the total delay below zero gives zero.
public enum JitterDistribution: Equatable, Sendable, CustomStringConvertible {
    case uniform
    case normal
    case pareto(shape: Double)

    public static let defaultParetoShape = 3.0

    /// The extra delay (seconds, may be negative) for jitter `jitter`.
    public func sample(jitter: Double, using random: inout EmulatorRandom) -> Double {
        guard jitter > 0 else { return 0 }
        switch self {
        case .uniform:
            return (random.unit() * 2 - 1) * jitter
        case .normal:
            return Self.standardNormal(&random) * jitter
        case .pareto(let shape):
            let u = random.unitOpenZero()
            let scale = jitter * (shape - 1)
            return scale * (EmulatorMath.exp(-EmulatorMath.log(u) / shape) - 1)
        }
    }

    /// The standard deviation of the extra delay for jitter `jitter` (infinite for α ≤ 2).
    public func standardDeviation(jitter: Double) -> Double {
        switch self {
        case .uniform: return jitter / 3.0.squareRoot()
        case .normal: return jitter
        case .pareto(let shape): return shape > 2 ? jitter * (shape / (shape - 2)).squareRoot() : .infinity
        }
    }

    /// The mean of the extra delay (0 for the symmetric shapes, J for Pareto).
    public func mean(jitter: Double) -> Double {
        if case .pareto = self { return jitter }
        return 0
    }

    /// Marsaglia's polar method (needs only log and sqrt).
    static func standardNormal(_ random: inout EmulatorRandom) -> Double {
        while true {
            let u = random.unit() * 2 - 1
            let v = random.unit() * 2 - 1
            let s = u * u + v * v
            if s > 0, s < 1 {
                return u * (-2 * EmulatorMath.log(s) / s).squareRoot()
            }
        }
    }

    public var description: String {
        switch self {
        case .uniform: return "uniform"
        case .normal: return "normal"
        case .pareto(let shape): return shape == Self.defaultParetoShape ? "pareto" : "pareto:\(EmulatorFormat.number(shape))"
        }
    }
}
