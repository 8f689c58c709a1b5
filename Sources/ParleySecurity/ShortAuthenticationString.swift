/// Five words both sides of a call read to each other: equal when nobody sits in the
/// middle, new for each call (derived from the call secret).
///
/// Words = `SASWordList.words[b]` for each byte `b` of
/// HKDF-Expand(callSecret, info: "parley sas v1", L = 5): 40 bits.
public struct ShortAuthenticationString: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Number of words.
    public static let wordCount = 5
    static let label = Array("parley sas v1".utf8)

    /// Positions in `SASWordList.words`.
    public let indices: [Int]
    /// The words, in order.
    public var words: [String] { indices.map { SASWordList.words[$0] } }

    /// The words of a call secret (32 bytes).
    public init(callSecret: SecretBytes) throws(SecurityError) {
        var prk = callSecret.copyBytes()
        defer { prk.withUnsafeMutableBytes { sodiumWipe($0) } }
        let bytes = try HKDF.expand(prk: prk, info: Self.label, length: Self.wordCount)
        indices = bytes.map { Int($0) }
    }

    /// Words separated by spaces: "apple river ...".
    public var description: String { words.joined(separator: " ") }
}
