import Foundation
import ParleyCore

/// Deterministic synthetic inputs for `parley bench`, generated in code so that every
/// run on every machine encodes the same thing.
public enum BenchmarkSignals {
    /// Speech-like mono audio cut into `frames` frames of `frameSize` samples: a harmonic
    /// series on a gliding pitch (90–230 Hz), shaped by two moving formants, under a
    /// syllable envelope (about 4 syllables a second, with short pauses), plus a little
    /// deterministic noise for fricatives.
    public static func speechFrames(sampleRate: Int = 48000, frameSize: Int = 960, frames: Int) -> [[Float]] {
        let rate = Double(sampleRate)
        var phase = 0.0
        var noise: UInt32 = 0x1234_5678
        var result: [[Float]] = []
        result.reserveCapacity(frames)
        var sampleIndex = 0
        for _ in 0..<max(0, frames) {
            var frame = [Float](repeating: 0, count: frameSize)
            for i in 0..<frameSize {
                let t = Double(sampleIndex) / rate
                sampleIndex += 1
                // Pitch glides within each syllable and drifts over sentences.
                let f0 = 160 + 50 * sin(2 * .pi * 0.37 * t) + 20 * sin(2 * .pi * 4.1 * t)
                phase += 2 * .pi * f0 / rate
                if phase > 2 * .pi * 1000 { phase -= 2 * .pi * 1000 }
                let formant1 = 600 + 250 * sin(2 * .pi * 1.7 * t)
                let formant2 = 1700 + 500 * sin(2 * .pi * 1.1 * t + 1)
                var voiced = 0.0
                var harmonic = 1
                while harmonic <= 24, Double(harmonic) * f0 < 3800 {
                    let f = Double(harmonic) * f0
                    let d1 = (f - formant1) / 180
                    let d2 = (f - formant2) / 260
                    let gain = 0.08 + 1 / (1 + d1 * d1) + 0.6 / (1 + d2 * d2)
                    voiced += gain / Double(harmonic) * sin(Double(harmonic) * phase)
                    harmonic += 1
                }
                // Syllables: a raised-sine envelope at ~4 Hz, a pause every 1.5 s.
                let syllable = max(0, sin(2 * .pi * 4 * t))
                let pause = (t.truncatingRemainder(dividingBy: 1.5)) > 1.25 ? 0.0 : 1.0
                noise = noise &* 1_664_525 &+ 1_013_904_223
                let white = Double(Int32(bitPattern: noise)) / Double(Int32.max)
                let fricative = 0.04 * white * max(0, sin(2 * .pi * 4 * t + .pi))
                frame[i] = Float(0.22 * voiced * syllable * pause + fricative * pause)
            }
            result.append(frame)
        }
        return result
    }

    /// A moving I420 clip: a smooth gradient under a texture that pans 2 pixels a frame
    /// (like a slow camera pan, so every frame costs bits), a static patch of fine
    /// stripes and a textured square crossing the picture.
    public static func movingClip(width: Int = 640, height: Int = 360, frames: Int) -> [VideoFrame] {
        let width = max(2, width)
        let height = max(2, height)
        let frames = max(0, frames)
        let sceneWidth = width + 2 * frames
        var texture = [Int](repeating: 0, count: sceneWidth * height)
        var hash: UInt32 = 2_166_136_261
        for y in 0..<height {
            for x in 0..<sceneWidth {
                hash = (hash ^ UInt32(truncatingIfNeeded: x &* 31 &+ y)) &* 16_777_619
                let wave = 14 * sin(Double(x) * 0.11) * cos(Double(y) * 0.07) + 8 * sin(Double(x + 2 * y) * 0.045)
                texture[y * sceneWidth + x] = Int(wave) + Int(hash >> 28) - 8
            }
        }
        let side = max(4, min(width, height) * 4 / 15)
        return (0..<frames).map { t in
            var frame = VideoFrame(width: width, height: height, timestamp: Int64(t))
            let cw = frame.chromaWidth
            let ch = frame.chromaHeight
            let uOffset = frame.uOffset
            let vOffset = frame.vOffset
            let squareX = (width / 16 + 6 * t) % max(1, width)
            let squareY = (height / 6 + 3 * t) % max(1, height)
            let stripeX0 = width - width * 7 / 32
            let stripeX1 = width - width / 16
            let stripeY0 = height - height * 11 / 36
            let stripeY1 = height - height / 12
            frame.data.withUnsafeMutableBufferPointer { p in
                for y in 0..<height {
                    for x in 0..<width {
                        var value = 40 + x * 120 / width + y * 60 / height + texture[y * sceneWidth + x + 2 * t]
                        if x >= stripeX0, x < stripeX1, y >= stripeY0, y < stripeY1 {
                            value = (x / 2) % 2 == 0 ? 70 : 180
                        }
                        let sx = x - squareX
                        let sy = y - squareY
                        if sx >= 0, sx < side, sy >= 0, sy < side {
                            let checker = ((sx / 8) + (sy / 8)) % 2 == 0 ? 60 : 200
                            value = checker + (sx * 3 + sy * 5) % 24 - 12
                        }
                        p[y * width + x] = UInt8(clamping: value)
                    }
                }
                for y in 0..<ch {
                    for x in 0..<cw {
                        var u = 128 + (x - cw / 2) / 4
                        var v = 128 + (y - ch / 2) / 3
                        let sx = 2 * x - squareX
                        let sy = 2 * y - squareY
                        if sx >= 0, sx < side, sy >= 0, sy < side {
                            u = 90
                            v = 170
                        }
                        p[uOffset + y * cw + x] = UInt8(clamping: u)
                        p[vOffset + y * cw + x] = UInt8(clamping: v)
                    }
                }
            }
            return frame
        }
    }
}
