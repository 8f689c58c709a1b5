/// The live call-quality estimate of one received audio stream: ITU-T G.107 E-model R
/// and MOS from what a receiver measures.
///
/// The inputs map onto G.107 as follows, every other parameter at its default:
/// - one-way delay (mouth to ear, including the jitter buffer) → Ta and T; Tr = 2·T;
/// - loss ratio (lost or discarded packets ÷ expected packets, after FEC recovery) → Ppl;
/// - burst ratio (`LossRunStatistics.burstRatio`) → BurstR;
/// - codec and bitrate (`CodecImpairment.opus(bitrate:)`) → Ie, Bpl.
///
/// Typical wiring: once per stats interval, `CallQuality(oneWayDelayMilliseconds:
/// rtt/2 + jitterBufferDelay + codec delay, lossRatio: lossRuns.lossRatio, burstRatio:
/// lossRuns.burstRatio, codec: .opus(bitrate: measured bitrate))`, stored in `StatsSample.quality`.
public struct CallQuality: Sendable, Equatable, Codable {
    /// Transmission rating factor R (about 0...93.2 for the inputs used here).
    public var r: Double
    /// MOS predicted from R, 1...4.5.
    public var mos: Double
    /// Effective equipment impairment Ie,eff (codec and loss).
    public var ieEff: Double
    /// Delay impairment Id (Idte + Idle + Idd).
    public var id: Double
    /// The inputs, for the record.
    public var oneWayDelayMilliseconds: Double
    public var lossRatio: Double
    public var burstRatio: Double

    public init(r: Double, mos: Double, ieEff: Double, id: Double,
                oneWayDelayMilliseconds: Double, lossRatio: Double, burstRatio: Double) {
        self.r = r
        self.mos = mos
        self.ieEff = ieEff
        self.id = id
        self.oneWayDelayMilliseconds = oneWayDelayMilliseconds
        self.lossRatio = lossRatio
        self.burstRatio = burstRatio
    }

    /// The E-model estimate for the given measurements. Negative or non-finite delays
    /// count as 0, the loss ratio is limited to 0...1 (NaN as 0), a non-finite or
    /// non-positive burst ratio counts as 1 (random loss).
    public init(oneWayDelayMilliseconds delay: Double, lossRatio: Double, burstRatio: Double, codec: CodecImpairment) {
        let t = delay.isFinite ? Swift.max(0, delay) : 0
        let loss = lossRatio.isNaN ? 0 : Swift.min(1, Swift.max(0, lossRatio))
        let burst = burstRatio.isFinite && burstRatio > 0 ? burstRatio : 1
        var p = EModel.Parameters(
            absoluteDelay: t, meanOneWayDelay: t, roundTripDelay: 2 * t,
            equipmentImpairment: codec.ie, packetLossRobustness: codec.bpl,
            packetLossPercent: 100 * loss, burstRatio: burst)
        p.advantage = 0
        let result = EModel.evaluate(p)
        self.init(r: result.r, mos: result.mos, ieEff: result.ieEff, id: result.id,
                  oneWayDelayMilliseconds: t, lossRatio: loss, burstRatio: burst)
    }
}
