#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws a `QRCode` for people: as text for a terminal, or as a PNG image.
///
/// The PNG writer is self-contained: 1-bit grayscale, one IDAT chunk holding a zlib
/// stream of stored (uncompressed) deflate blocks, with its own CRC-32 and Adler-32.
public enum QRCodeRenderer {
    // MARK: Terminal

    /// The code as lines of UTF-8 half blocks (▀ ▄ █ and space), two module rows per
    /// line, each line `size + 2 × quietZone` characters wide and ending with "\n".
    ///
    /// By default a block is a dark module (dark text on a light background); `invert`
    /// draws the light modules and the quiet zone instead, for light-on-dark terminals.
    public static func terminal(_ code: QRCode, quietZone: Int = 2, invert: Bool = false) -> String {
        precondition(quietZone >= 0, "quietZone must not be negative")
        let side = code.size + 2 * quietZone
        var text = ""
        text.reserveCapacity((side + 1) / 2 * (side * 3 + 1))
        // A row past the bottom edge (odd side) counts as light, like the quiet zone.
        func inked(_ column: Int, _ row: Int) -> Bool {
            let dark = row < side && code.isDark(x: column - quietZone, y: row - quietZone)
            return dark != invert
        }
        var row = 0
        while row < side {
            for column in 0..<side {
                switch (inked(column, row), inked(column, row + 1)) {
                case (true, true): text.append("█")
                case (true, false): text.append("▀")
                case (false, true): text.append("▄")
                case (false, false): text.append(" ")
                }
            }
            text.append("\n")
            row += 2
        }
        return text
    }

    // MARK: PNG

    /// The code as a 1-bit grayscale PNG, `scale` pixels per module, with `quietZone`
    /// light modules around it: `(size + 2 × quietZone) × scale` pixels square.
    public static func png(_ code: QRCode, scale: Int = 8, quietZone: Int = 4) -> [UInt8] {
        precondition(scale >= 1, "scale must be at least 1")
        precondition(quietZone >= 0, "quietZone must not be negative")
        let pixels = (code.size + 2 * quietZone) * scale
        let rowBytes = (pixels + 7) / 8

        // Scanlines: filter byte 0 then the pixels, 1 bit each, most significant first;
        // 0 = black (dark module), 1 = white. Rows repeat `scale` times per module row.
        var raw = [UInt8]()
        raw.reserveCapacity(pixels * (rowBytes + 1))
        var line = [UInt8](repeating: 0, count: rowBytes)
        for moduleRow in 0..<(code.size + 2 * quietZone) {
            for index in line.indices { line[index] = 0xFF }
            for x in 0..<pixels where code.isDark(x: x / scale - quietZone, y: moduleRow - quietZone) {
                line[x >> 3] &= ~(UInt8(0x80) >> UInt8(x & 7))
            }
            for _ in 0..<scale {
                raw.append(0)
                raw.append(contentsOf: line)
            }
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        appendBigEndian(UInt32(pixels), to: &header)  // width
        appendBigEndian(UInt32(pixels), to: &header)  // height
        header += [1, 0, 0, 0, 0]  // bit depth 1, grayscale, deflate, filter 0, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// Writes `png(code, scale:, quietZone:)` to `path` atomically: a temporary file in
    /// the same directory, flushed, then renamed over `path`.
    public static func writePNG(_ code: QRCode, to path: String, scale: Int = 8, quietZone: Int = 4) throws {
        let bytes = png(code, scale: scale, quietZone: quietZone)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SecurityError.fileWriteFailed(path: path, errno: errno) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw SecurityError.fileWriteFailed(path: path, errno: failure)
        }
    }

    // MARK: Checksums

    /// CRC-32 (ISO-HDLC, as PNG and zlib use: reflected polynomial 0xEDB88320).
    public static func crc32<Bytes: Sequence>(_ bytes: Bytes, initial: UInt32 = 0) -> UInt32 where Bytes.Element == UInt8 {
        var crc = ~initial
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    /// Adler-32 (RFC 1950), the zlib stream checksum.
    public static func adler32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        var pending = 0
        for byte in bytes {
            a += UInt32(byte)
            b += a
            pending += 1
            if pending == 5552 {  // the most bytes before b can overflow 32 bits
                a %= 65521
                b %= 65521
                pending = 0
            }
        }
        return (b % 65521) << 16 | (a % 65521)
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    // MARK: Helpers

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4), ≤ 65535 bytes each.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window, no dictionary; 0x7801 % 31 == 0
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 11)
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE 00 (stored), rest of the byte padding
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<(offset + length)])
            offset += length
        } while offset < data.count
        appendBigEndian(adler32(data), to: &out)
        return out
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &png)
        let typeBytes = Array(type.utf8)
        png += typeBytes
        png += data
        appendBigEndian(crc32(data, initial: crc32(typeBytes)), to: &png)
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
