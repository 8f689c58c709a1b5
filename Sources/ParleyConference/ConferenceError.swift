/// What can go wrong in the conference module: a network profile, a parameter or a
/// trace file that cannot be used. Every message names the field (or the line) and says
/// what would be accepted, so the command line can print it as is.
public enum ConferenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A profile field whose value is out of range or unreadable.
    case invalidParameter(field: String, value: String, expected: String)
    /// A word in a profile that is neither a preset nor `key=value`.
    case unknownProfile(name: String, presets: [String])
    /// A key that profiles do not have.
    case unknownField(field: String, known: [String])
    /// A key given twice in one segment.
    case duplicateField(field: String)
    /// Segments whose start times are not increasing.
    case segmentOrder(reason: String)
    /// A trace line that cannot be read; `line` counts from 1.
    case malformedTrace(source: String, line: Int, field: String, reason: String)
    /// A trace with no data lines.
    case emptyTrace(source: String)
    /// A trace file that could not be read.
    case unreadableTrace(path: String, reason: String)
    /// A mixer or speaker-detector setting (or a frame handed to them) that cannot be used.
    case invalidAudioSetting(field: String, value: String, expected: String)
    /// A video grid asked for no tiles or more than it can lay out.
    case gridTileCount(count: Int, maximum: Int)
    /// A video grid tile index outside the current layout.
    case gridTileIndex(index: Int, tileCount: Int)
    /// A video grid canvas that is odd, too small for its tiles, or too large.
    case gridCanvas(width: Int, height: Int, reason: String)
    /// A highlight border width that is odd, negative or too wide.
    case gridBorder(width: Int, maximum: Int)
    /// A participant frame the compositor cannot read.
    case gridFrame(tile: Int, width: Int, height: Int, reason: String)

    public var description: String {
        switch self {
        case .invalidParameter(let field, let value, let expected):
            return "network profile: \(field)=\(value) is not valid: \(expected)"
        case .unknownProfile(let name, let presets):
            return "network profile: '\(name)' is neither a preset nor key=value; "
                + "give one of \(presets.joined(separator: ", ")), key=value pairs such as delay=40ms,loss=1%, or trace:FILE"
        case .unknownField(let field, let known):
            return "network profile: unknown field '\(field)'; the fields are \(known.joined(separator: ", "))"
        case .duplicateField(let field):
            return "network profile: \(field) is given twice in one segment; give it once"
        case .segmentOrder(let reason):
            return "network profile: at: \(reason)"
        case .malformedTrace(let source, let line, let field, let reason):
            return "trace \(source) line \(line): \(field): \(reason); lines are `time_s delay_ms lost(0/1)`"
        case .emptyTrace(let source):
            return "trace \(source) has no data lines; give lines `time_s delay_ms lost(0/1)` (# starts a comment)"
        case .unreadableTrace(let path, let reason):
            return "trace \(path) cannot be read: \(reason)"
        case .invalidAudioSetting(let field, let value, let expected):
            return "audio mixer: \(field)=\(value) is not valid: \(expected)"
        case .gridTileCount(let count, let maximum):
            return "video grid: \(count) tiles cannot be laid out; give 1 to \(maximum) tiles (one per other participant)"
        case .gridTileIndex(let index, let tileCount):
            return "video grid: tile \(index) does not exist; the layout has \(tileCount) tiles, numbered 0 to \(tileCount - 1)"
        case .gridCanvas(let width, let height, let reason):
            return "video grid: a \(width)x\(height) canvas cannot be used: \(reason)"
        case .gridBorder(let width, let maximum):
            return "video grid: a highlight border of \(width) px is not valid; give an even width from 0 to \(maximum) px"
        case .gridFrame(let tile, let width, let height, let reason):
            return "video grid: the \(width)x\(height) frame for tile \(tile) cannot be composed: \(reason)"
        }
    }
}
