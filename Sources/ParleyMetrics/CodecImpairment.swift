/// A codec's equipment impairment factor Ie and packet-loss robustness factor Bpl, the
/// two E-model inputs (ITU-T G.107 §7.5) that describe the codec.
///
/// ## Opus: an approximation, not a standardized value
///
/// ITU-T G.113 Appendix I lists Ie and Bpl on the narrowband R scale for ITU-T and
/// mobile codecs (for example G.711 with packet loss concealment: Ie 0, Bpl 25.1;
/// G.729A with VAD, 8 kbit/s: Ie 11, Bpl 19.0; G.723.1 with VAD, 6.3 kbit/s: Ie 15,
/// Bpl 16.1). It gives no values for Opus, and neither does the wideband/fullband
/// framework of G.107.1/G.107.2 for the bitrates Parley uses, as far as published.
/// `opus(bitrate:)` therefore anchors Opus to those G.113 codecs at comparable bitrates
/// and listening quality, which is how published comparisons place Opus in narrowband
/// terms (Opus at ≥ 32 kbit/s is transparent for narrowband speech, like G.711; Opus
/// SILK at 6–8 kbit/s is rated close to G.729A/G.723.1):
///
/// | bitrate (kbit/s) | 6   | 8   | 12  | 16  | 24  | ≥ 32 |
/// |------------------|-----|-----|-----|-----|-----|------|
/// | Ie               | 15  | 11  | 6   | 3   | 1   | 0    |
/// | Bpl              | 16.1| 19.0| 20.0| 21.0| 23.0| 25.1 |
///
/// with linear interpolation between rows (and the end rows beyond them). Bpl rises with
/// the bitrate towards G.711+PLC's 25.1 because Opus always conceals a lost frame (its
/// PLC is at least as good as G.711 Appendix I's). In-band FEC is not part of these
/// figures: feed the E-model the loss that remained after FEC recovery. Replace the table
/// with P.833/P.834-derived values (listening tests or POLQA) when they exist.
public struct CodecImpairment: Sendable, Equatable, Codable {
    /// Ie, equipment impairment factor (0 for a transparent codec).
    public var ie: Double
    /// Bpl, packet-loss robustness factor (larger is more robust).
    public var bpl: Double

    public init(ie: Double, bpl: Double) {
        self.ie = ie
        self.bpl = bpl
    }

    /// G.711 with packet loss concealment (G.113 Appendix I): Ie 0, Bpl 25.1.
    public static let g711PLC = CodecImpairment(ie: 0, bpl: 25.1)

    /// The G.107 defaults: Ie 0, Bpl 4.3.
    public static let g107Default = CodecImpairment(ie: 0, bpl: 4.3)

    /// The Opus rows of the table above: bitrate in bit/s, Ie, Bpl.
    public static let opusTable: [(bitrate: Double, ie: Double, bpl: Double)] = [
        (6_000, 15, 16.1),
        (8_000, 11, 19.0),
        (12_000, 6, 20.0),
        (16_000, 3, 21.0),
        (24_000, 1, 23.0),
        (32_000, 0, 25.1),
    ]

    /// Ie and Bpl of Opus at `bitsPerSecond` (see the type's documentation for the
    /// source): interpolated linearly in the table, clamped to its end rows. A
    /// non-finite or non-positive bitrate gives the lowest row.
    public static func opus(bitrate bitsPerSecond: Double) -> CodecImpairment {
        let table = opusTable
        guard bitsPerSecond.isFinite, bitsPerSecond > table[0].bitrate else {
            return CodecImpairment(ie: table[0].ie, bpl: table[0].bpl)
        }
        for i in 1..<table.count where bitsPerSecond <= table[i].bitrate {
            let a = table[i - 1], b = table[i]
            let f = (bitsPerSecond - a.bitrate) / (b.bitrate - a.bitrate)
            return CodecImpairment(ie: a.ie + f * (b.ie - a.ie), bpl: a.bpl + f * (b.bpl - a.bpl))
        }
        let last = table[table.count - 1]
        return CodecImpairment(ie: last.ie, bpl: last.bpl)
    }
}
