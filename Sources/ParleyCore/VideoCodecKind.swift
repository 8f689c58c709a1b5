/// The video codecs Parley carries.
public enum VideoCodecKind: String, Sendable, CaseIterable, Codable {
    case vp8 = "VP8"
    case vp9 = "VP9"

    /// The IVF container fourcc of this codec.
    public var fourcc: String {
        switch self {
        case .vp8: return "VP80"
        case .vp9: return "VP90"
        }
    }

    /// The codec whose IVF fourcc is `fourcc`, or nil.
    public init?(fourcc: String) {
        switch fourcc {
        case "VP80": self = .vp8
        case "VP90": self = .vp9
        default: return nil
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "vp8": self = .vp8
        case "vp9": self = .vp9
        default: return nil
        }
    }
}
