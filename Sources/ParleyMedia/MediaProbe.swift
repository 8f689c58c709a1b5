/// Looks at a media file before choosing a reader for it.
public enum MediaProbe {
    /// Up to the first `count` bytes of `path`.
    /// - Throws: `MediaError.fileNotFound`, `.cannotOpen` or `.emptyFile`.
    public static func magic(path: String, count: Int = 16) throws -> [UInt8] {
        let file = try MediaFile.openForReading(path)
        var bytes: [UInt8] = []
        while bytes.count < count, let byte = try file.readByte() {
            bytes.append(byte)
        }
        return bytes
    }

    /// The size of the regular file at `path`, or nil.
    public static func size(path: String) -> Int? {
        (try? MediaFile.openForReading(path))?.size()
    }
}
