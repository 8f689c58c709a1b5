import CQREncode
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A QR code symbol: a square of dark and light modules, made by libqrencode.
///
/// The matrix is copied out of libqrencode's result, so a `QRCode` is a plain value.
public struct QRCode: Sendable, Equatable {
    /// Error-correction level: how much of the symbol can be damaged and still read.
    public enum Level: String, Sendable, Equatable, CaseIterable {
        /// About 7 % of codewords can be restored.
        case low = "L"
        /// About 15 %.
        case medium = "M"
        /// About 25 %.
        case quartile = "Q"
        /// About 30 %.
        case high = "H"

        var qrencodeLevel: QRecLevel {
            switch self {
            case .low: return QR_ECLEVEL_L
            case .medium: return QR_ECLEVEL_M
            case .quartile: return QR_ECLEVEL_Q
            case .high: return QR_ECLEVEL_H
            }
        }

        /// The most bytes a version-40 symbol holds in 8-bit mode at this level.
        public var maximumByteCount: Int {
            switch self {
            case .low: return 2953
            case .medium: return 2331
            case .quartile: return 1663
            case .high: return 1273
            }
        }
    }

    /// Modules per side: 21 + 4 × (version − 1).
    public let size: Int
    /// The QR version (1…40).
    public let version: Int
    /// Row-major, one entry per module, true = dark.
    private let modules: [Bool]

    /// Whether the module at column `x`, row `y` (0-based, from the top left) is dark.
    /// Outside the symbol every module is light (the quiet zone).
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Encodes `text` (as UTF-8 bytes, 8-bit mode, case-sensitive) in the smallest
    /// version that holds it at `errorCorrection`.
    ///
    /// - Throws: `SecurityError.qrTextTooLong` when no version holds the text,
    ///   `SecurityError.qrTextContainsNUL` for a text with a NUL character,
    ///   `SecurityError.qrEncodingFailed` for another libqrencode failure.
    public static func encode(_ text: String, errorCorrection: Level = .medium) throws -> QRCode {
        let byteCount = text.utf8.count
        if text.utf8.contains(0) { throw SecurityError.qrTextContainsNUL }
        if byteCount > errorCorrection.maximumByteCount {
            throw SecurityError.qrTextTooLong(byteCount: byteCount, errorCorrection: errorCorrection)
        }
        errno = 0
        guard let code = QRcode_encodeString(text, 0, errorCorrection.qrencodeLevel, QR_MODE_8, 1) else {
            let error = errno
            if error == ERANGE {
                throw SecurityError.qrTextTooLong(byteCount: byteCount, errorCorrection: errorCorrection)
            }
            throw SecurityError.qrEncodingFailed(errno: error)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let version = Int(code.pointee.version)
        guard width > 0, let data = code.pointee.data else {
            throw SecurityError.qrEncodingFailed(errno: 0)
        }
        let modules = (0..<(width * width)).map { data[$0] & 1 == 1 }
        return QRCode(size: width, version: version, modules: modules)
    }
}
