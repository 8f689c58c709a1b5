/// Natural logarithm and exponential in plain Swift (no Foundation, no libm), for the
/// jitter distributions. Range reduction plus series; about 1e-15 relative error, and the
/// same bits on every platform, which keeps seeded runs identical everywhere.
public enum EmulatorMath {
    static let ln2 = 0.693_147_180_559_945_309_417_232_121_458

    /// ln(x) for x > 0 (returns -infinity for 0, NaN for negatives or NaN).
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return .infinity }
        var exponent = Double(x.exponent)
        var m = x.significand // [1, 2)
        if m > 1.414_213_562_373_095_048_8 {
            m /= 2
            exponent += 1
        }
        // ln(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172.
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var k = 1.0
        while k < 40 {
            sum += term / k
            term *= s2
            k += 2
        }
        return exponent * ln2 + 2 * sum
    }

    /// e^x (0 below -745, infinity above 709.8).
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x > 709.8 { return .infinity }
        if x < -745 { return 0 }
        let k = (x / ln2).rounded()
        let r = x - k * ln2 // |r| <= 0.347
        var term = 1.0
        var sum = 1.0
        var n = 1.0
        while n < 25 {
            term *= r / n
            sum += term
            n += 1
        }
        // Scale by 2^k in two steps so that subnormal results stay exact enough.
        let half = (k / 2).rounded(.down)
        return sum * Double(sign: .plus, exponent: Int(half), significand: 1)
            * Double(sign: .plus, exponent: Int(k - half), significand: 1)
    }
}
