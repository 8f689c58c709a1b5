/// The stream header of a YUV4MPEG2 (Y4M) file, limited to 8-bit I420 (4:2:0).
public struct Y4MHeader: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var frameRateNumerator: Int
    public var frameRateDenominator: Int
    /// The C tag's value without the "C", e.g. "420jpeg"; "420jpeg" when the tag is absent
    /// (the format's default). Always one of the 4:2:0 8-bit layouts.
    public var colorSpace: String
    /// The I tag's value ("p", "t", "b", "m", "?"), or nil when absent.
    public var interlace: String?

    /// The largest width or height accepted.
    public static let maxDimension = 16384
    /// The 4:2:0 8-bit colour spaces, all read as I420.
    public static let i420ColorSpaces: Set<String> = ["420", "420jpeg", "420paldv", "420mpeg2"]

    public init(width: Int, height: Int, frameRateNumerator: Int = 30, frameRateDenominator: Int = 1,
                colorSpace: String = "420jpeg", interlace: String? = "p") {
        self.width = width
        self.height = height
        self.frameRateNumerator = frameRateNumerator
        self.frameRateDenominator = frameRateDenominator
        self.colorSpace = colorSpace
        self.interlace = interlace
    }

    /// Frames per second.
    public var frameRate: Double {
        frameRateDenominator > 0 ? Double(frameRateNumerator) / Double(frameRateDenominator) : 0
    }

    /// The header line as written to a file, ending in "\n".
    public var line: String {
        var text = "YUV4MPEG2 W\(width) H\(height) F\(frameRateNumerator):\(frameRateDenominator)"
        if let interlace { text += " I\(interlace)" }
        text += " A1:1 C\(colorSpace)\n"
        return text
    }

    /// Parses a header line (without its "\n"). `path` names the file in errors.
    static func parse(_ line: String, path: String) throws -> Y4MHeader {
        var tokens = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let magic = tokens.first, magic == "YUV4MPEG2" else {
            throw MediaError.notY4M(path: path)
        }
        tokens.removeFirst()
        var width: Int?
        var height: Int?
        var rate = (30, 1)
        var colorSpace = "420jpeg"
        var interlace: String?
        for token in tokens {
            guard let tag = token.first else { continue }
            let value = String(token.dropFirst())
            switch tag {
            case "W":
                guard let w = Int(value), (1...maxDimension).contains(w) else {
                    throw MediaError.unsupportedY4M(path: path, reason: "width W\(value) is not in 1...\(maxDimension)")
                }
                width = w
            case "H":
                guard let h = Int(value), (1...maxDimension).contains(h) else {
                    throw MediaError.unsupportedY4M(path: path, reason: "height H\(value) is not in 1...\(maxDimension)")
                }
                height = h
            case "F":
                let parts = value.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]),
                      (1...1_000_000_000).contains(n), (1...1_000_000_000).contains(d) else {
                    throw MediaError.unsupportedY4M(path: path, reason: "frame rate F\(value) is not a positive fraction like F30:1")
                }
                rate = (n, d)
            case "C":
                guard i420ColorSpaces.contains(value) else {
                    throw MediaError.unsupportedY4M(path: path, reason: colorSpaceProblem(value))
                }
                colorSpace = value
            case "I":
                interlace = value
            default:
                continue // A (aspect), X (extensions) and unknown tags are ignored.
            }
        }
        guard let width else {
            throw MediaError.unsupportedY4M(path: path, reason: "the header has no width (W); write e.g. W640")
        }
        guard let height else {
            throw MediaError.unsupportedY4M(path: path, reason: "the header has no height (H); write e.g. H480")
        }
        return Y4MHeader(width: width, height: height, frameRateNumerator: rate.0, frameRateDenominator: rate.1,
                         colorSpace: colorSpace, interlace: interlace)
    }

    private static func colorSpaceProblem(_ value: String) -> String {
        let name: String
        if value.hasPrefix("444") {
            name = " (4:4:4)"
        } else if value.hasPrefix("422") {
            name = " (4:2:2)"
        } else if value.hasPrefix("411") {
            name = " (4:1:1)"
        } else if value.hasPrefix("mono") {
            name = " (greyscale)"
        } else if value.hasPrefix("420") {
            name = " (4:2:0 with more than 8 bits)"
        } else {
            name = ""
        }
        return "colour space C\(value)\(name) is not supported; convert to I420 (4:2:0) with: ffmpeg -i in.y4m -pix_fmt yuv420p out.y4m"
    }
}
