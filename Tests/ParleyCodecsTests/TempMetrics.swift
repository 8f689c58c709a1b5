// Temporary stand-in until ParleyMetrics lands; removed at merge.
import Foundation
enum AudioAlignment {
    static func dominantFrequency(_ s: [Float], sampleRate: Int) -> Double {
        var best = 0.0, bestF = 0.0
        var f = 50.0
        while f < Double(sampleRate) / 2 {
            var re = 0.0, im = 0.0
            for (i, x) in s.enumerated() { let a = 2 * Double.pi * f * Double(i) / Double(sampleRate); re += Double(x) * cos(a); im += Double(x) * sin(a) }
            let m = re * re + im * im
            if m > best { best = m; bestF = f }
            f += 1
        }
        return bestF
    }
    static func energy(_ s: ArraySlice<Float>) -> Double { s.isEmpty ? 0 : s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(s.count) }
}
