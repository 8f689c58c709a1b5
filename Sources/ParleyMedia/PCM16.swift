/// Conversions between Float samples (-1...1) and speexdsp's 16-bit samples, into
/// caller-provided buffers of equal length (no allocation).
enum PCM16 {
    /// Float -> Int16, scaled by 32768, rounded, saturating.
    /// - Throws: `MediaError.nonFiniteSample` at the first NaN/infinite sample (`output` is then partly written).
    static func convert(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Int16>, buffer: String) throws {
        let count = min(input.count, output.count)
        for i in 0..<count {
            let x = input[i]
            guard x.isFinite else { throw MediaError.nonFiniteSample(buffer: buffer, index: i) }
            let scaled = (x * 32768).rounded()
            output[i] = scaled >= 32767 ? .max : (scaled <= -32768 ? .min : Int16(scaled))
        }
    }

    /// Int16 -> Float, divided by 32768.
    static func convert(_ input: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Float>) {
        let count = min(input.count, output.count)
        for i in 0..<count { output[i] = Float(input[i]) * (1 / 32768) }
    }

    /// Checks a Float frame for NaN/infinite samples without converting it.
    static func checkFinite(_ input: UnsafeBufferPointer<Float>, buffer: String) throws {
        for i in 0..<input.count where !input[i].isFinite {
            throw MediaError.nonFiniteSample(buffer: buffer, index: i)
        }
    }
}
