/// The Gilbert–Elliott two-state burst-loss model. The channel is Good or Bad; before each
/// packet it moves Good→Bad with probability `p` and Bad→Good with probability `r`, then the
/// packet is lost with probability `lossInGood` or `lossInBad` of the state it is in.
///
/// With `lossInGood` 0 and `lossInBad` 1 (the simple Gilbert model, what `burst=RATE:LENGTH`
/// builds) the loss rate is p/(p + r) and a burst of losses lasts 1/r packets on average.
public struct GilbertElliott: Equatable, Sendable {
    public var p: Double
    public var r: Double
    public var lossInGood: Double
    public var lossInBad: Double

    public init(p: Double, r: Double, lossInGood: Double = 0, lossInBad: Double = 1) {
        self.p = p
        self.r = r
        self.lossInGood = lossInGood
        self.lossInBad = lossInBad
    }

    /// The simple Gilbert model with a given long-run loss rate (0 < rate < 1) and mean burst
    /// length in packets (≥ 1): r = 1/length, p = r·rate/(1 − rate).
    public init(lossRate: Double, meanBurstLength: Double) {
        let r = 1 / meanBurstLength
        self.init(p: r * lossRate / (1 - lossRate), r: r)
    }

    /// The share of time spent in the Bad state: p/(p + r).
    public var badStateShare: Double { p + r > 0 ? p / (p + r) : 0 }

    /// The long-run loss rate.
    public var lossRate: Double { lossInGood * (1 - badStateShare) + lossInBad * badStateShare }

    /// The mean number of packets spent in the Bad state per visit (1/r); for the simple
    /// model this is the mean burst length of losses.
    public var meanBurstLength: Double { r > 0 ? 1 / r : .infinity }
}

/// The running state of one Gilbert–Elliott channel.
struct GilbertElliottState {
    var bad = false

    /// Advances the chain by one packet and says whether that packet is lost.
    mutating func step(_ model: GilbertElliott, using random: inout EmulatorRandom) -> Bool {
        let move = random.unit()
        if bad { if move < model.r { bad = false } } else if move < model.p { bad = true }
        let lossDraw = random.unit()
        return lossDraw < (bad ? model.lossInBad : model.lossInGood)
    }
}
