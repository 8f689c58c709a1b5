import Foundation
import ParleySecurity
import Testing

/// QR codes for invitations: libqrencode through `QRCode`, the terminal and PNG renderings,
/// the PNG checked by parsing it back (and by zbarimg when installed).
@Suite("QR code")
struct QRCodeTests {
    /// A `parley:` invitation-like URI of about 200 characters.
    static let invitation: String = {
        let key = String(repeating: "Ab3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z_", count: 4)
        return "parley:invite?v=1&id=Q7x2Lk9&name=Ada%20Lovelace&pk=\(key)&relay=relay.example.net:3478"
    }()

    @Test func invitationURIEncodesInAVersionSizedSymbol() throws {
        let text = Self.invitation
        #expect(text.utf8.count == 209)
        let code = try QRCode.encode(text)
        #expect(code.size >= 21 && code.size <= 177)
        #expect((code.size - 21) % 4 == 0)
        #expect(code.version == (code.size - 21) / 4 + 1)
        // 209 bytes at level M: version 10 in 8-bit mode (10-M holds 213 bytes, 9-M 180).
        #expect(code.version == 10, "version \(code.version) for \(text.utf8.count) bytes")
        // A higher error-correction level never gives a smaller symbol.
        let high = try QRCode.encode(text, errorCorrection: .high)
        #expect(high.size >= code.size)
        let low = try QRCode.encode(text, errorCorrection: .low)
        #expect(low.size <= code.size)
    }

    @Test func finderPatternsSitAtThreeCorners() throws {
        let code = try QRCode.encode(Self.invitation)
        let n = code.size
        for (ox, oy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
            for dy in 0..<7 {
                for dx in 0..<7 {
                    let ring = max(abs(dx - 3), abs(dy - 3))  // 3 outer border, 2 light ring, ≤1 center
                    #expect(code.isDark(x: ox + dx, y: oy + dy) == (ring != 2), "finder at (\(ox),\(oy)) +(\(dx),\(dy))")
                }
            }
        }
        // Separators: the light row/column next to each finder.
        for i in 0..<8 {
            #expect(!code.isDark(x: 7, y: i) && !code.isDark(x: i, y: 7))
            #expect(!code.isDark(x: n - 8, y: i) && !code.isDark(x: n - 1 - i, y: 7))
            #expect(!code.isDark(x: 7, y: n - 1 - i) && !code.isDark(x: i, y: n - 8))
        }
        // No finder in the bottom-right corner (it is not a solid 7x7 border there).
        let bottomRightBorder = (0..<7).allSatisfy { code.isDark(x: n - 1, y: n - 7 + $0) && code.isDark(x: n - 7 + $0, y: n - 1) }
        let bottomRightRing = (1..<6).allSatisfy { !code.isDark(x: n - 6, y: n - 7 + $0) }
        #expect(!(bottomRightBorder && bottomRightRing))
        // Outside the symbol is light.
        #expect(!code.isDark(x: -1, y: 0) && !code.isDark(x: n, y: n))
    }

    @Test func encodingIsCaseSensitiveAndDeterministic() throws {
        let lower = try QRCode.encode("parley:abc")
        let upper = try QRCode.encode("PARLEY:ABC")
        #expect(lower != upper)
        #expect(try QRCode.encode("parley:abc") == lower)
    }

    @Test(arguments: [(0, false), (2, false), (2, true), (1, false), (3, true)])
    func terminalRenderingHasHalfBlockLines(quietZone: Int, invert: Bool) throws {
        let code = try QRCode.encode(Self.invitation)
        let text = QRCodeRenderer.terminal(code, quietZone: quietZone, invert: invert)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let side = code.size + 2 * quietZone
        #expect(lines.count == (side + 1) / 2)
        for line in lines {
            #expect(line.count == side)
            #expect(line.allSatisfy { " ▀▄█".contains($0) })
        }
        // Decode the half blocks back into modules and compare.
        let allLines = Array(lines)
        for y in 0..<side {
            for x in 0..<side {
                let character = Array(allLines[y / 2])[x]
                let top = character == "▀" || character == "█"
                let bottom = character == "▄" || character == "█"
                let inked = y % 2 == 0 ? top : bottom
                let dark = code.isDark(x: x - quietZone, y: y - quietZone)
                #expect(inked == (dark != invert), "module (\(x - quietZone),\(y - quietZone))")
            }
        }
    }

    @Test func checksumsMatchKnownAnswers() {
        #expect(QRCodeRenderer.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(QRCodeRenderer.crc32([UInt8]()) == 0)
        #expect(QRCodeRenderer.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(QRCodeRenderer.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(QRCodeRenderer.adler32([UInt8]()) == 1)
        // Long input: the deferred modulo must not overflow (0xFF × 100 000 checked against zlib).
        #expect(QRCodeRenderer.adler32([UInt8](repeating: 0xFF, count: 100_000)) == Self.slowAdler32([UInt8](repeating: 0xFF, count: 100_000)))
    }

    static func slowAdler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    @Test(arguments: [(8, 4), (1, 0), (3, 2), (20, 4)])
    func pngParsesBackToTheModules(scale: Int, quietZone: Int) throws {
        let code = try QRCode.encode(Self.invitation)
        let png = QRCodeRenderer.png(code, scale: scale, quietZone: quietZone)
        let image = try PNGReader.read(png)
        let pixels = (code.size + 2 * quietZone) * scale
        #expect(image.width == pixels && image.height == pixels)
        #expect(image.bitDepth == 1 && image.colorType == 0)
        // Large images need several stored blocks.
        if pixels * ((pixels + 7) / 8 + 1) > 65535 { #expect(image.storedBlocks > 1) }
        for my in -quietZone..<(code.size + quietZone) {
            for mx in -quietZone..<(code.size + quietZone) {
                let px = (mx + quietZone) * scale + scale / 2
                let py = (my + quietZone) * scale + scale / 2
                #expect(image.isBlack(x: px, y: py) == code.isDark(x: mx, y: my), "module (\(mx),\(my))")
            }
        }
    }

    @Test func writePNGReplacesTheFileAtomically() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parley-qr-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("invite.png").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let code = try QRCode.encode(Self.invitation)
        try QRCodeRenderer.writePNG(code, to: path)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == QRCodeRenderer.png(code))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["invite.png"])
        #expect(throws: SecurityError.self) {
            try QRCodeRenderer.writePNG(code, to: directory.appendingPathComponent("missing/dir/x.png").path)
        }
    }

    static let zbarimg: String? = ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: QRCodeTests.zbarimg != nil, "zbarimg not installed (Tools/install-deps test)"),
          arguments: [QRCode.Level.low, .medium, .quartile, .high])
    func zbarimgDecodesThePNG(level: QRCode.Level) throws {
        let text = Self.invitation
        let code = try QRCode.encode(text, errorCorrection: level)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parley-qr-\(UUID().uuidString.prefix(8)).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try QRCodeRenderer.writePNG(code, to: path, scale: 4)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.zbarimg!)
        process.arguments = ["--raw", "-q", "-Sbinary", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        var decoded = String(decoding: data, as: UTF8.self)
        if decoded.hasSuffix("\n") { decoded.removeLast() }
        #expect(decoded == text)
    }

    @Test func textTooLongThrows() throws {
        let text = String(repeating: "x", count: 5000)
        #expect(throws: SecurityError.qrTextTooLong(byteCount: 5000, errorCorrection: .medium)) {
            try QRCode.encode(text)
        }
        // Just over the version-40 capacity at each level (UTF-8 bytes, not characters), and exactly at it.
        for level in QRCode.Level.allCases {
            #expect(throws: SecurityError.self) {
                try QRCode.encode(String(repeating: "é", count: level.maximumByteCount / 2 + 1), errorCorrection: level)
            }
            #expect(try QRCode.encode(String(repeating: "\u{1}", count: level.maximumByteCount), errorCorrection: level).size == 177)
        }
        let error = SecurityError.qrTextTooLong(byteCount: 5000, errorCorrection: .medium)
        #expect(error.description.contains("too long for a QR code"))
    }

    @Test func nulInTextThrows() {
        #expect(throws: SecurityError.qrTextContainsNUL) { try QRCode.encode("parley:\u{0}x") }
    }
}

/// A minimal PNG reader for the tests: checks the signature and every chunk CRC, reads
/// IHDR, inflates stored deflate blocks only, checks the Adler-32, unfilters filter 0.
struct PNGReader {
    struct Failure: Error, CustomStringConvertible { var description: String }

    var width = 0
    var height = 0
    var bitDepth = 0
    var colorType = 0
    var storedBlocks = 0
    var rows: [[UInt8]] = []

    func isBlack(x: Int, y: Int) -> Bool {
        precondition(bitDepth == 1)
        return rows[y][x >> 3] & (0x80 >> UInt8(x & 7)) == 0
    }

    static func read(_ png: [UInt8]) throws -> PNGReader {
        func check(_ condition: Bool, _ message: String) throws { if !condition { throw Failure(description: message) } }
        func u32(_ at: Int) -> UInt32 { png[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        try check(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "signature")
        var reader = PNGReader()
        var idat = [UInt8]()
        var offset = 8
        var types: [String] = []
        while offset < png.count {
            try check(offset + 12 <= png.count, "truncated chunk header")
            let length = Int(u32(offset))
            try check(offset + 12 + length <= png.count, "truncated chunk")
            let type = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = Array(png[(offset + 8)..<(offset + 8 + length)])
            let crc = u32(offset + 8 + length)
            try check(QRCodeRenderer.crc32(png[(offset + 4)..<(offset + 8 + length)]) == crc, "CRC of \(type)")
            types.append(type)
            switch type {
            case "IHDR":
                try check(length == 13, "IHDR length")
                reader.width = Int(data[0..<4].reduce(0) { $0 << 8 | UInt32($1) })
                reader.height = Int(data[4..<8].reduce(0) { $0 << 8 | UInt32($1) })
                reader.bitDepth = Int(data[8])
                reader.colorType = Int(data[9])
                try check(data[10] == 0 && data[11] == 0 && data[12] == 0, "compression/filter/interlace")
            case "IDAT": idat += data
            case "IEND": try check(length == 0, "IEND length")
            default: break
            }
            offset += 12 + length
        }
        try check(types.first == "IHDR" && types.last == "IEND" && types.contains("IDAT"), "chunk order \(types)")

        // zlib header, stored blocks, Adler-32.
        try check(idat.count >= 6, "IDAT too short")
        try check(idat[0] & 0x0F == 8 && (UInt16(idat[0]) << 8 | UInt16(idat[1])) % 31 == 0 && idat[1] & 0x20 == 0, "zlib header")
        var raw = [UInt8]()
        var at = 2
        var final = false
        while !final {
            try check(at + 5 <= idat.count, "truncated block header")
            final = idat[at] & 1 == 1
            try check((idat[at] >> 1) & 3 == 0, "not a stored block")
            let len = Int(idat[at + 1]) | Int(idat[at + 2]) << 8
            let nlen = Int(idat[at + 3]) | Int(idat[at + 4]) << 8
            try check(len ^ nlen == 0xFFFF, "LEN/NLEN")
            try check(at + 5 + len <= idat.count, "truncated block")
            raw += idat[(at + 5)..<(at + 5 + len)]
            at += 5 + len
            reader.storedBlocks += 1
        }
        try check(at + 4 == idat.count, "trailing bytes after the deflate stream")
        let adler = idat[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        try check(QRCodeRenderer.adler32(raw) == adler, "Adler-32")

        try check(reader.colorType == 0, "grayscale")
        let rowBytes = (reader.width * reader.bitDepth + 7) / 8
        try check(raw.count == reader.height * (rowBytes + 1), "image data size \(raw.count)")
        for y in 0..<reader.height {
            let start = y * (rowBytes + 1)
            try check(raw[start] == 0, "filter type \(raw[start]) on row \(y)")
            reader.rows.append(Array(raw[(start + 1)..<(start + 1 + rowBytes)]))
        }
        return reader
    }
}
