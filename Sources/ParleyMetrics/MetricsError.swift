/// The errors of `ParleyMetrics`: each message says what went wrong and what to do.
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The two frames compared do not have the same picture size.
    case sizeMismatch(referenceWidth: Int, referenceHeight: Int, distortedWidth: Int, distortedHeight: Int)
    /// A frame holds fewer bytes than an I420 picture of its size needs.
    case truncatedFrame(width: Int, height: Int, expectedBytes: Int, actualBytes: Int)
    /// A frame has no pixels, so there is nothing to measure.
    case emptyFrame
    /// An FFT size that is not a power of two (or is smaller than 1).
    case invalidFFTSize(Int)
    /// Buffers handed to an FFT whose lengths are not the transform size.
    case fftBufferSizeMismatch(expected: Int, real: Int, imaginary: Int)
    /// The stats JSON-lines file could not be created.
    case statsFileUnwritable(path: String)
    /// Writing a stats line failed (disk full, file closed).
    case statsWriteFailed(path: String, reason: String)
    /// A stats or report file could not be read.
    case statsFileUnreadable(path: String, reason: String)
    /// A line of a stats JSON-lines file is not a stats sample.
    case statsLineInvalid(path: String, line: Int, reason: String)
    /// A stats JSON-lines file without a single sample.
    case statsFileEmpty(path: String)

    public var description: String {
        switch self {
        case let .sizeMismatch(rw, rh, dw, dh):
            return "cannot compare a \(rw)x\(rh) reference frame with a \(dw)x\(dh) distorted frame: "
                + "scale or crop one of them so both have the same size"
        case let .truncatedFrame(w, h, expected, actual):
            return "a \(w)x\(h) I420 frame needs \(expected) bytes but holds \(actual): "
                + "the frame buffer is truncated; check the reader or decoder that filled it"
        case .emptyFrame:
            return "the frames have no pixels (width or height is 0): nothing to measure"
        case let .invalidFFTSize(n):
            return "FFT size \(n) is not a power of two: use FFT.size(atLeast:) to pick one"
        case let .fftBufferSizeMismatch(expected, re, im):
            return "an FFT of size \(expected) was given buffers of \(re) real and \(im) imaginary values: "
                + "both must hold exactly \(expected) values"
        case let .statsFileUnwritable(path):
            return "cannot create the stats file \(path): check that its folder exists and is writable"
        case let .statsWriteFailed(path, reason):
            return "writing the stats file \(path) failed (\(reason)); the lines written before are intact: free some space or choose another --stats-json path"
        case let .statsFileUnreadable(path, reason):
            return "cannot read \(path) (\(reason)): check the path"
        case let .statsLineInvalid(path, line, reason):
            return "\(path) line \(line): not a stats sample (\(reason)); give a file written by --stats-json or a report.json from parley loopback"
        case let .statsFileEmpty(path):
            return "\(path) holds no stats sample: give a file written by --stats-json or a report.json from parley loopback"
        }
    }
}
