import Foundation

/// An iterative radix-2 complex FFT over power-of-two sizes, in double precision, with
/// its twiddle factors and bit-reversal permutation computed once at initialisation.
///
/// `forward` computes X[k] = Σ x[t]·e^(−2πi·k·t/n); `inverse` computes the scaled
/// inverse, x[t] = (1/n)·Σ X[k]·e^(+2πi·k·t/n), so `inverse(forward(x)) == x` up to rounding.
/// The transform runs in place on split real and imaginary arrays and allocates nothing.
public struct FFT: Sendable {
    /// Number of complex points of the transform (a power of two).
    public let size: Int
    /// Bit-reversed index of each position.
    private let bitReversed: [Int32]
    /// Twiddles of every stage, concatenated: the stage with butterfly span `h` uses
    /// entries `h − 1 ..< 2h − 1`, holding cos and −sin of 2πj/(2h) for j in 0..<h.
    private let twiddleReal: [Double]
    private let twiddleImaginary: [Double]

    /// Prepares a transform of `size` points. Throws `MetricsError.invalidFFTSize` unless
    /// `size` is a power of two (1, 2, 4, … up to 2^30).
    public init(size: Int) throws {
        guard size > 0, size & (size - 1) == 0, size <= 1 << 30 else {
            throw MetricsError.invalidFFTSize(size)
        }
        self.init(validatedSize: size)
    }

    /// The smallest power of two ≥ `count` (1 for `count` ≤ 1).
    public static func size(atLeast count: Int) -> Int {
        var n = 1
        while n < count { n <<= 1 }
        return n
    }

    /// `n` must be a power of two.
    init(validatedSize n: Int) {
        size = n
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        var reversed = [Int32](repeating: 0, count: n)
        if n > 1 {
            reversed.withUnsafeMutableBufferPointer { r in
                for i in 1..<n {
                    r[i] = (r[i >> 1] >> 1) | Int32((i & 1) << (bits - 1))
                }
            }
        }
        bitReversed = reversed

        // The largest stage's twiddles from the trigonometric functions; the smaller
        // stages stride through them (exactly the same angles).
        let half = n / 2
        var largestRe = [Double](repeating: 1, count: max(half, 1))
        var largestIm = [Double](repeating: 0, count: max(half, 1))
        for j in 0..<half {
            let angle = 2 * Double.pi * Double(j) / Double(n)
            largestRe[j] = cos(angle)
            largestIm[j] = -sin(angle)
        }
        var twRe = [Double](repeating: 0, count: max(n - 1, 0))
        var twIm = [Double](repeating: 0, count: max(n - 1, 0))
        var h = 1
        while h < n {
            let stride = half / h
            for j in 0..<h {
                twRe[h - 1 + j] = largestRe[j * stride]
                twIm[h - 1 + j] = largestIm[j * stride]
            }
            h <<= 1
        }
        twiddleReal = twRe
        twiddleImaginary = twIm
    }

    /// Transforms `real` + i·`imaginary` in place (forward, e^(−2πikt/n)). Both arrays
    /// must hold `size` values, or `MetricsError.fftBufferSizeMismatch` is thrown.
    public func forward(real: inout [Double], imaginary: inout [Double]) throws {
        try run(real: &real, imaginary: &imaginary, inverse: false)
    }

    /// Transforms `real` + i·`imaginary` in place (inverse, e^(+2πikt/n), scaled by 1/n).
    /// Both arrays must hold `size` values, or `MetricsError.fftBufferSizeMismatch` is thrown.
    public func inverse(real: inout [Double], imaginary: inout [Double]) throws {
        try run(real: &real, imaginary: &imaginary, inverse: true)
    }

    private func run(real: inout [Double], imaginary: inout [Double], inverse: Bool) throws {
        guard real.count == size, imaginary.count == size else {
            throw MetricsError.fftBufferSizeMismatch(expected: size, real: real.count, imaginary: imaginary.count)
        }
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                transform(re.baseAddress!, im.baseAddress!, inverse: inverse)
            }
        }
    }

    /// The transform of the `size` values at `re` and `im`, in place.
    func transform(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, inverse: Bool) {
        let n = size
        guard n > 1 else { return }
        bitReversed.withUnsafeBufferPointer { rev in
            let r = rev.baseAddress!
            for i in 0..<n {
                let j = Int(r[i])
                if i < j {
                    let tr = re[i], ti = im[i]
                    re[i] = re[j]
                    im[i] = im[j]
                    re[j] = tr
                    im[j] = ti
                }
            }
        }

        // First stage (span 1): the twiddle is 1.
        var a = 0
        while a < n {
            let b = a + 1
            let br = re[b], bi = im[b]
            re[b] = re[a] - br
            im[b] = im[a] - bi
            re[a] += br
            im[a] += bi
            a += 2
        }

        let sign: Double = inverse ? -1 : 1
        twiddleReal.withUnsafeBufferPointer { twr in
            twiddleImaginary.withUnsafeBufferPointer { twi in
                var h = 2
                while h < n {
                    let wr = twr.baseAddress! + (h - 1)
                    let wi = twi.baseAddress! + (h - 1)
                    var start = 0
                    while start < n {
                        let pr = re + start, pi = im + start
                        let qr = pr + h, qi = pi + h
                        for j in 0..<h {
                            let cr = wr[j], ci = sign * wi[j]
                            let xr = qr[j], xi = qi[j]
                            let tr = xr * cr - xi * ci
                            let ti = xr * ci + xi * cr
                            let ur = pr[j], ui = pi[j]
                            qr[j] = ur - tr
                            qi[j] = ui - ti
                            pr[j] = ur + tr
                            pi[j] = ui + ti
                        }
                        start += 2 * h
                    }
                    h <<= 1
                }
            }
        }

        if inverse {
            let scale = 1 / Double(n)
            for i in 0..<n {
                re[i] *= scale
                im[i] *= scale
            }
        }
    }
}
