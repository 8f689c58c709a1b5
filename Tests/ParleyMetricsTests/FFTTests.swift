import Foundation
import Testing
import ParleyMetrics

@Suite struct FFTTests {
    /// X[k] = Σ x[t]·e^(−2πikt/n), computed directly.
    func directDFT(_ re: [Double], _ im: [Double]) -> ([Double], [Double]) {
        let n = re.count
        var outRe = [Double](repeating: 0, count: n), outIm = outRe
        for k in 0..<n {
            for t in 0..<n {
                let angle = -2 * Double.pi * Double((k * t) % n) / Double(n)
                outRe[k] += re[t] * cos(angle) - im[t] * sin(angle)
                outIm[k] += re[t] * sin(angle) + im[t] * cos(angle)
            }
        }
        return (outRe, outIm)
    }

    func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func forwardMatchesDirectDFT() throws {
        let n = 64
        let fft = try FFT(size: n)
        var lcg = LCG(seed: 3)
        let signals: [(String, [Double], [Double])] = [
            ("impulse at 5", (0..<n).map { $0 == 5 ? 1 : 0 }, [Double](repeating: 0, count: n)),
            ("cosine bin 3", (0..<n).map { cos(2 * Double.pi * 3 * Double($0) / Double(n)) }, [Double](repeating: 0, count: n)),
            ("complex noise", (0..<n).map { _ in lcg.nextSigned() }, (0..<n).map { _ in lcg.nextSigned() }),
        ]
        for (name, re, im) in signals {
            var xr = re, xi = im
            try fft.forward(real: &xr, imaginary: &xi)
            let (dr, di) = directDFT(re, im)
            #expect(maxDifference(xr, dr) < 1e-9, "\(name)")
            #expect(maxDifference(xi, di) < 1e-9, "\(name)")
        }
        // The cosine lands in bins 3 and 61 with n/2 each.
        var xr = signals[1].1, xi = signals[1].2
        try fft.forward(real: &xr, imaginary: &xi)
        #expect(abs(xr[3] - 32) < 1e-9)
        #expect(abs(xr[61] - 32) < 1e-9)
        #expect(abs(xr[4]) < 1e-9)
    }

    @Test func inverseUndoesForward() throws {
        for n in [1, 2, 8, 1024] {
            let fft = try FFT(size: n)
            var lcg = LCG(seed: UInt64(n))
            let re = (0..<n).map { _ in lcg.nextSigned() }
            let im = (0..<n).map { _ in lcg.nextSigned() }
            var xr = re, xi = im
            try fft.forward(real: &xr, imaginary: &xi)
            if n > 1 { #expect(maxDifference(xr, re) > 1e-3) }
            try fft.inverse(real: &xr, imaginary: &xi)
            #expect(maxDifference(xr, re) < 1e-12, "n = \(n)")
            #expect(maxDifference(xi, im) < 1e-12, "n = \(n)")
        }
    }

    @Test func rejectsBadSizes() throws {
        #expect(throws: MetricsError.invalidFFTSize(48)) { try FFT(size: 48) }
        #expect(throws: MetricsError.invalidFFTSize(0)) { try FFT(size: 0) }
        let fft = try FFT(size: 16)
        var re = [Double](repeating: 0, count: 16), im = [Double](repeating: 0, count: 8)
        #expect(throws: MetricsError.fftBufferSizeMismatch(expected: 16, real: 16, imaginary: 8)) {
            try fft.forward(real: &re, imaginary: &im)
        }
        #expect(FFT.size(atLeast: 0) == 1)
        #expect(FFT.size(atLeast: 64) == 64)
        #expect(FFT.size(atLeast: 65) == 128)
    }
}
