import Foundation
import ParleyCore

/// PSNR of the three planes of an I420 frame, in dB.
///
/// Values are capped at `VideoQuality.maximumPSNR` (100 dB): 100 means the planes are
/// identical (the mathematical value, +∞, does not serialise to JSON).
public struct PlanePSNR: Sendable, Equatable, Codable {
    public var y: Double
    public var u: Double
    public var v: Double
    /// PSNR of the mean squared error over all samples of the three planes, each sample
    /// weighing the same (ffmpeg's "average").
    public var combined: Double

    public init(y: Double, u: Double, v: Double, combined: Double) {
        self.y = y
        self.u = u
        self.v = v
        self.combined = combined
    }
}

/// SSIM of the three planes of an I420 frame (1 means identical).
public struct PlaneSSIM: Sendable, Equatable, Codable {
    public var y: Double
    public var u: Double
    public var v: Double
    /// 0.8·y + 0.1·u + 0.1·v, the weighting libvpx and x264 report.
    public var combined: Double

    public init(y: Double, u: Double, v: Double, combined: Double) {
        self.y = y
        self.u = u
        self.v = v
        self.combined = combined
    }
}

/// Full-reference objective quality of decoded video frames against their source.
public enum VideoQuality {
    /// The PSNR reported for identical planes, in dB.
    public static let maximumPSNR: Double = 100

    /// PSNR (peak 255) of each plane of `distorted` against `reference`, and of all
    /// samples together. Throws `MetricsError.sizeMismatch` when the frames differ in size,
    /// `.emptyFrame` for a 0-pixel frame and `.truncatedFrame` when a buffer is short.
    public static func psnr(reference: VideoFrame, distorted: VideoFrame) throws -> PlanePSNR {
        try validate(reference, distorted)
        let luma = reference.lumaCount, chroma = reference.chromaCount
        let (sy, su, sv): (UInt64, UInt64, UInt64) = reference.data.withUnsafeBufferPointer { r in
            distorted.data.withUnsafeBufferPointer { d in
                let rp = r.baseAddress!, dp = d.baseAddress!
                return (
                    sumOfSquaredDifferences(rp, dp, count: luma),
                    sumOfSquaredDifferences(rp + luma, dp + luma, count: chroma),
                    sumOfSquaredDifferences(rp + luma + chroma, dp + luma + chroma, count: chroma)
                )
            }
        }
        return PlanePSNR(
            y: psnr(sumOfSquares: sy, count: luma),
            u: psnr(sumOfSquares: su, count: chroma),
            v: psnr(sumOfSquares: sv, count: chroma),
            combined: psnr(sumOfSquares: sy + su + sv, count: luma + 2 * chroma)
        )
    }

    /// SSIM of the Y plane of `distorted` against `reference`: 8×8 windows stepping by 4
    /// pixels in both directions (libvpx/x264 style), C1 = (0.01·255)², C2 = (0.03·255)²,
    /// the mean over all windows. 1.0 for identical planes. A plane narrower or shorter
    /// than 8 pixels is measured as one window covering it all. Throws like `psnr`.
    public static func ssim(reference: VideoFrame, distorted: VideoFrame) throws -> Double {
        try validate(reference, distorted)
        return reference.data.withUnsafeBufferPointer { r in
            distorted.data.withUnsafeBufferPointer { d in
                planeSSIM(r.baseAddress!, d.baseAddress!, width: reference.width, height: reference.height)
            }
        }
    }

    /// SSIM of the Y, U and V planes (as `ssim`) and their 0.8/0.1/0.1 combination.
    public static func ssimPlanes(reference: VideoFrame, distorted: VideoFrame) throws -> PlaneSSIM {
        try validate(reference, distorted)
        let luma = reference.lumaCount, chroma = reference.chromaCount
        let cw = reference.chromaWidth, ch = reference.chromaHeight
        let (y, u, v): (Double, Double, Double) = reference.data.withUnsafeBufferPointer { r in
            distorted.data.withUnsafeBufferPointer { d in
                let rp = r.baseAddress!, dp = d.baseAddress!
                return (
                    planeSSIM(rp, dp, width: reference.width, height: reference.height),
                    planeSSIM(rp + luma, dp + luma, width: cw, height: ch),
                    planeSSIM(rp + luma + chroma, dp + luma + chroma, width: cw, height: ch)
                )
            }
        }
        return PlaneSSIM(y: y, u: u, v: v, combined: 0.8 * y + 0.1 * u + 0.1 * v)
    }

    // MARK: - Internals

    private static func validate(_ reference: VideoFrame, _ distorted: VideoFrame) throws {
        guard reference.width == distorted.width, reference.height == distorted.height else {
            throw MetricsError.sizeMismatch(
                referenceWidth: reference.width, referenceHeight: reference.height,
                distortedWidth: distorted.width, distortedHeight: distorted.height)
        }
        guard reference.width > 0, reference.height > 0 else { throw MetricsError.emptyFrame }
        for frame in [reference, distorted] where frame.data.count < frame.byteCount {
            throw MetricsError.truncatedFrame(
                width: frame.width, height: frame.height,
                expectedBytes: frame.byteCount, actualBytes: frame.data.count)
        }
    }

    private static func psnr(sumOfSquares: UInt64, count: Int) -> Double {
        guard sumOfSquares > 0, count > 0 else { return maximumPSNR }
        let mse = Double(sumOfSquares) / Double(count)
        return min(maximumPSNR, 10 * log10(255 * 255 / mse))
    }

    private static func sumOfSquaredDifferences(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int
    ) -> UInt64 {
        var total: UInt64 = 0
        var i = 0
        // Blocks of at most 32768 samples keep the partial sum within UInt32.
        while i < count {
            let end = min(count, i + 32768)
            var partial: UInt32 = 0
            while i < end {
                let d = Int32(a[i]) &- Int32(b[i])
                partial &+= UInt32(bitPattern: d &* d)
                i &+= 1
            }
            total &+= UInt64(partial)
        }
        return total
    }

    /// SSIM of one window from its sums: Σx, Σy, Σx²+Σy², Σxy over `count` samples.
    @inline(__always)
    private static func similarity(_ s1: Int, _ s2: Int, _ ss: Int, _ s12: Int, count: Int) -> Double {
        // SSIM = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)) with population
        // (co)variances, numerator and denominator both multiplied by count⁴. Every product
        // of sums below is an integer under 2^53, so identical planes give exactly 1.
        let n = Double(count)
        let c1 = 0.01 * 255 * 0.01 * 255 * n * n
        let c2 = 0.03 * 255 * 0.03 * 255 * n * n
        let a = Double(s1), b = Double(s2)
        let ab = a * b
        let numerator = (2 * ab + c1) * (2 * (n * Double(s12) - ab) + c2)
        let denominator = (a * a + b * b + c1) * (n * Double(ss) - a * a - b * b + c2)
        return numerator / denominator
    }

    private static func planeSSIM(
        _ x: UnsafePointer<UInt8>, _ y: UnsafePointer<UInt8>, width: Int, height: Int
    ) -> Double {
        if width < 8 || height < 8 {
            var s1 = 0, s2 = 0, ss = 0, s12 = 0
            for i in 0..<(width * height) {
                let p = Int(x[i]), q = Int(y[i])
                s1 += p
                s2 += q
                ss += p * p + q * q
                s12 += p * q
            }
            return similarity(s1, s2, ss, s12, count: width * height)
        }
        // Sums of 4×4 blocks, one row of blocks at a time; each 8×8 window at a multiple
        // of 4 is 2×2 blocks of the previous and the current row.
        let blocksAcross = width / 4, blockRows = height / 4
        var previous = [Int](repeating: 0, count: 4 * blocksAcross)
        var current = previous
        var total = 0.0
        var windows = 0
        for by in 0..<blockRows {
            current.withUnsafeMutableBufferPointer { sums in
                let out = sums.baseAddress!
                for bx in 0..<blocksAcross {
                    var s1 = 0, s2 = 0, ss = 0, s12 = 0
                    var row = (by * 4) * width + bx * 4
                    for _ in 0..<4 {
                        for k in row..<(row + 4) {
                            let p = Int(x[k]), q = Int(y[k])
                            s1 &+= p
                            s2 &+= q
                            ss &+= p &* p &+ q &* q
                            s12 &+= p &* q
                        }
                        row += width
                    }
                    out[4 * bx] = s1
                    out[4 * bx + 1] = s2
                    out[4 * bx + 2] = ss
                    out[4 * bx + 3] = s12
                }
            }
            if by > 0 {
                previous.withUnsafeBufferPointer { top in
                    current.withUnsafeBufferPointer { bottom in
                        let t = top.baseAddress!, b = bottom.baseAddress!
                        for bx in 0..<(blocksAcross - 1) {
                            let i = 4 * bx, j = i + 4
                            total += similarity(
                                t[i] + t[j] + b[i] + b[j],
                                t[i + 1] + t[j + 1] + b[i + 1] + b[j + 1],
                                t[i + 2] + t[j + 2] + b[i + 2] + b[j + 2],
                                t[i + 3] + t[j + 3] + b[i + 3] + b[j + 3],
                                count: 64)
                        }
                    }
                }
                windows += blocksAcross - 1
            }
            swap(&previous, &current)
        }
        return total / Double(windows)
    }
}
