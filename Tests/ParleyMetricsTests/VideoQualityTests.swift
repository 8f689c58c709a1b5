import Foundation
import ParleyCore
import Testing
import ParleyMetrics

@Suite struct VideoQualityTests {
    @Test func psnrOfIdenticalFramesIsCappedAt100() throws {
        let frame = TestSignals.texturedFrame(width: 64, height: 48)
        let psnr = try VideoQuality.psnr(reference: frame, distorted: frame)
        #expect(psnr == PlanePSNR(y: 100, u: 100, v: 100, combined: 100))
        // Capped, so it serialises to JSON.
        let json = try JSONEncoder().encode(psnr)
        #expect(try JSONDecoder().decode(PlanePSNR.self, from: json) == psnr)
    }

    @Test func psnrOfLumaOffByTwo() throws {
        let reference = TestSignals.texturedFrame(width: 64, height: 48)
        var distorted = reference
        for i in 0..<reference.lumaCount {
            let value = reference.data[i]
            distorted.data[i] = value >= 128 ? value - 2 : value + 2
        }
        let psnr = try VideoQuality.psnr(reference: reference, distorted: distorted)
        let expectedY = 10 * log10(255.0 * 255.0 / 4)
        #expect(abs(psnr.y - expectedY) < 1e-9)
        #expect(abs(psnr.y - 42.1102) < 1e-3)
        #expect(psnr.u == 100)
        #expect(psnr.v == 100)
        // Weighted MSE: 4 over the luma samples, 0 over the chroma ones.
        let luma = Double(reference.lumaCount), chroma = Double(reference.chromaCount)
        let mse = 4 * luma / (luma + 2 * chroma)
        #expect(abs(psnr.combined - 10 * log10(255.0 * 255.0 / mse)) < 1e-9)
        #expect(psnr.combined > psnr.y)
    }

    @Test func psnrOfOddSizedFrameCountsEveryChromaSample() throws {
        // 5x3: chroma planes are 3x2; one V sample off by 10.
        let reference = TestSignals.texturedFrame(width: 5, height: 3)
        var distorted = reference
        distorted.data[reference.vOffset + 5] &+= 10
        let psnr = try VideoQuality.psnr(reference: reference, distorted: distorted)
        #expect(psnr.y == 100)
        #expect(psnr.u == 100)
        #expect(abs(psnr.v - 10 * log10(255.0 * 255.0 / (100.0 / 6))) < 1e-9)
        #expect(abs(psnr.combined - 10 * log10(255.0 * 255.0 / (100.0 / 27))) < 1e-9)
    }

    @Test func sizeMismatchThrows() {
        let a = VideoFrame(width: 64, height: 48)
        let b = VideoFrame(width: 48, height: 64)
        let expected = MetricsError.sizeMismatch(
            referenceWidth: 64, referenceHeight: 48, distortedWidth: 48, distortedHeight: 64)
        #expect(throws: expected) { try VideoQuality.psnr(reference: a, distorted: b) }
        #expect(throws: expected) { try VideoQuality.ssim(reference: a, distorted: b) }
        #expect(throws: expected) { try VideoQuality.ssimPlanes(reference: a, distorted: b) }
        #expect(expected.description.contains("64x48"))
    }

    @Test func truncatedAndEmptyFramesThrow() {
        let good = VideoFrame(width: 16, height: 16)
        var short = good
        short.data.removeLast(10)
        #expect(throws: MetricsError.truncatedFrame(width: 16, height: 16, expectedBytes: 384, actualBytes: 374)) {
            try VideoQuality.psnr(reference: good, distorted: short)
        }
        let empty = VideoFrame(width: 0, height: 0)
        #expect(throws: MetricsError.emptyFrame) { try VideoQuality.ssim(reference: empty, distorted: empty) }
    }

    @Test func ssimOfIdenticalFramesIsOne() throws {
        let frame = TestSignals.texturedFrame(width: 64, height: 48)
        #expect(try VideoQuality.ssim(reference: frame, distorted: frame) == 1)
        #expect(try VideoQuality.ssimPlanes(reference: frame, distorted: frame)
            == PlaneSSIM(y: 1, u: 1, v: 1, combined: 1))
    }

    @Test func ssimDecreasesWithMoreNoise() throws {
        let reference = TestSignals.texturedFrame(width: 64, height: 48)
        var previous = 1.0
        for amplitude in [2, 8, 32, 96] {
            let noisy = TestSignals.addingLumaNoise(to: reference, amplitude: amplitude)
            let ssim = try VideoQuality.ssim(reference: reference, distorted: noisy)
            #expect(ssim < previous, "amplitude \(amplitude): \(ssim) >= \(previous)")
            #expect(ssim > 0)
            previous = ssim
        }
        #expect(previous < 0.5)
    }

    @Test func ssimOfConstantShiftIsHighButBelowOne() throws {
        let reference = TestSignals.texturedFrame(width: 64, height: 48)
        var shifted = reference
        for i in 0..<reference.lumaCount { shifted.data[i] = reference.data[i] + 10 }
        let ssim = try VideoQuality.ssim(reference: reference, distorted: shifted)
        #expect(ssim < 1)
        #expect(ssim > 0.95)
    }

    @Test func ssimMatchesDirectWindowComputation() throws {
        // Reference implementation: every 8x8 window at multiples of 4, computed from the
        // pixels with population statistics.
        let reference = TestSignals.texturedFrame(width: 30, height: 22)
        let distorted = TestSignals.addingLumaNoise(to: reference, amplitude: 12)
        let w = reference.width, h = reference.height
        var total = 0.0, windows = 0
        for y0 in stride(from: 0, through: h - 8, by: 4) {
            for x0 in stride(from: 0, through: w - 8, by: 4) {
                var mx = 0.0, my = 0.0
                for y in y0..<(y0 + 8) {
                    for x in x0..<(x0 + 8) {
                        mx += Double(reference.data[y * w + x])
                        my += Double(distorted.data[y * w + x])
                    }
                }
                mx /= 64
                my /= 64
                var vx = 0.0, vy = 0.0, cxy = 0.0
                for y in y0..<(y0 + 8) {
                    for x in x0..<(x0 + 8) {
                        let a = Double(reference.data[y * w + x]) - mx
                        let b = Double(distorted.data[y * w + x]) - my
                        vx += a * a
                        vy += b * b
                        cxy += a * b
                    }
                }
                vx /= 64
                vy /= 64
                cxy /= 64
                let c1: Double = (0.01 * 255) * (0.01 * 255), c2: Double = (0.03 * 255) * (0.03 * 255)
                total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
                windows += 1
            }
        }
        #expect(windows == 6 * 4)
        let ssim = try VideoQuality.ssim(reference: reference, distorted: distorted)
        #expect(abs(ssim - total / Double(windows)) < 1e-9)
    }

    @Test func ssimPlanesWeighsChroma() throws {
        let reference = TestSignals.texturedFrame(width: 32, height: 32)
        var distorted = reference
        var lcg = LCG(seed: 5)
        for i in reference.uOffset..<reference.vOffset {
            distorted.data[i] = UInt8(clamping: Int(reference.data[i]) + lcg.nextInt(amplitude: 40))
        }
        let planes = try VideoQuality.ssimPlanes(reference: reference, distorted: distorted)
        #expect(planes.y == 1)
        #expect(planes.v == 1)
        #expect(planes.u < 0.9)
        #expect(abs(planes.combined - (0.8 + 0.1 * planes.u + 0.1)) < 1e-12)
        // Tiny planes (chroma of an 8x8 frame is 4x4) are one window.
        let small = TestSignals.texturedFrame(width: 8, height: 8)
        let smallNoisy = TestSignals.addingLumaNoise(to: small, amplitude: 20)
        let smallPlanes = try VideoQuality.ssimPlanes(reference: small, distorted: smallNoisy)
        #expect(smallPlanes.u == 1)
        #expect(smallPlanes.y < 1)
    }

    // MARK: Small known images, values worked out by hand

    /// An 8x8 I420 frame with luma 16·x + 8·y (mean 84) and flat chroma 128.
    static func ramp8x8() -> VideoFrame {
        var frame = VideoFrame(width: 8, height: 8)
        for y in 0..<8 { for x in 0..<8 { frame.data[y * 8 + x] = UInt8(16 * x + 8 * y) } }
        for i in frame.uOffset..<frame.byteCount { frame.data[i] = 128 }
        return frame
    }

    @Test func psnrOfAnEightByEightFrameWithAKnownError() throws {
        let reference = Self.ramp8x8()
        var distorted = reference
        for x in 0..<8 { distorted.data[x] += 4 }      // row 0: 8 errors of 4 → 128
        distorted.data[5 * 8 + 3] -= 12                // one error of 12 → 144
        // SSE 272 over 64 luma samples: MSE 4.25, PSNR = 10·log10(255²/4.25) = 41.8469 dB.
        // Over all 96 samples (64 + 2·16 chroma): MSE 272/96, PSNR 43.6078 dB.
        let psnr = try VideoQuality.psnr(reference: reference, distorted: distorted)
        #expect(abs(psnr.y - 41.846914) < 1e-5)
        #expect(abs(psnr.combined - 43.607827) < 1e-5)
        #expect(psnr.u == 100 && psnr.v == 100)
    }

    @Test func ssimOfAConstantOffsetIsTheLuminanceTerm() throws {
        // One 8x8 window. Adding a constant keeps the variances and the covariance, so the
        // contrast-structure factor is (2σ² + C2)/(2σ² + C2) = 1 and SSIM is the luminance
        // term (2·μx·μy + C1)/(μx² + μy² + C1), C1 = (0.01·255)² = 6.5025.
        let reference = Self.ramp8x8()
        var shifted = reference
        for i in 0..<64 { shifted.data[i] += 10 }
        // μx = 84, μy = 94: (15792 + 6.5025)/(7056 + 8836 + 6.5025) = 0.9937101.
        #expect(abs(try VideoQuality.ssim(reference: reference, distorted: shifted) - 0.99371010) < 1e-7)

        // A flat grey 100 against a flat 110: (22000 + C1)/(10000 + 12100 + C1) = 0.9954764.
        var flat = VideoFrame(width: 8, height: 8)
        for i in 0..<64 { flat.data[i] = 100 }
        var brighter = flat
        for i in 0..<64 { brighter.data[i] = 110 }
        #expect(abs(try VideoQuality.ssim(reference: flat, distorted: brighter) - 0.99547644) < 1e-7)
        // Identical small frames: exactly 1.
        #expect(try VideoQuality.ssim(reference: reference, distorted: reference) == 1)
    }
}
