import Foundation

/// The ITU-T G.107 E-model (narrowband, 3.1 kHz handset telephony): the transmission
/// rating factor R of a connection, and the MOS (conversational quality) it predicts.
///
/// R = Ro − Is − Id − Ie,eff + A (G.107 §7.1), with
/// - Ro, the basic signal-to-noise ratio, from the noise sources (circuit noise Nc, noise
///   floor Nfor, room noise Ps/Pr) and the loudness ratings (§7.2);
/// - Is, the simultaneous impairments: too-loud connection Iolr, non-optimum sidetone Ist,
///   quantizing distortion Iq (§7.3);
/// - Id = Idte + Idle + Idd, the delay impairments: talker echo, listener echo and pure
///   (absolute) delay (§7.4; Idd with the delay-sensitivity parameters sT and mT of the
///   2014 and later editions, whose defaults give the earlier formula);
/// - Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl), the codec's equipment impairment
///   under packet loss (§7.5);
/// - A, the advantage factor (§7.6).
///
/// With every parameter at its default (`Parameters()`, G.107 Table 3), R ≈ 93.2.
/// Usage: `EModel.evaluate(EModel.Parameters(absoluteDelay: 150, ...)).mos`.
public enum EModel {
    /// The inputs of the E-model, with G.107 Table 3 defaults. Levels in dB (dBm0p or
    /// dB(A) where stated), times in milliseconds.
    public struct Parameters: Sendable, Equatable, Codable {
        /// SLR, send loudness rating, dB (default 8).
        public var sendLoudnessRating: Double = 8
        /// RLR, receive loudness rating, dB (default 2).
        public var receiveLoudnessRating: Double = 2
        /// STMR, sidetone masking rating, dB (default 15).
        public var sidetoneMaskingRating: Double = 15
        /// LSTR, listener sidetone rating, dB (default 18).
        public var listenerSidetoneRating: Double = 18
        /// Ds, D-value of the telephone, send side (default 3).
        public var sendDValue: Double = 3
        /// Dr, D-value of the telephone, receive side (default 3).
        public var receiveDValue: Double = 3
        /// TELR, talker echo loudness rating, dB (default 65).
        public var talkerEchoLoudnessRating: Double = 65
        /// WEPL, weighted echo path loss, dB (default 110).
        public var weightedEchoPathLoss: Double = 110
        /// T, mean one-way delay of the echo path, ms (default 0).
        public var meanOneWayDelay: Double = 0
        /// Ta, absolute delay in echo-free connections (mouth to ear), ms (default 0).
        public var absoluteDelay: Double = 0
        /// Tr, round-trip delay in a 4-wire loop, ms (default 0).
        public var roundTripDelay: Double = 0
        /// Ps, room noise at the send side, dB(A) (default 35).
        public var sendRoomNoise: Double = 35
        /// Pr, room noise at the receive side, dB(A) (default 35).
        public var receiveRoomNoise: Double = 35
        /// Nc, circuit noise referred to the 0 dBr point, dBm0p (default −70).
        public var circuitNoise: Double = -70
        /// Nfor, noise floor at the receive side, dBmp (default −64).
        public var noiseFloor: Double = -64
        /// qdu, number of quantizing distortion units (default 1).
        public var quantizingDistortionUnits: Double = 1
        /// Ie, equipment impairment factor of the codec (default 0).
        public var equipmentImpairment: Double = 0
        /// Bpl, packet-loss robustness factor of the codec (default 4.3).
        public var packetLossRobustness: Double = 4.3
        /// Ppl, packet-loss probability, percent 0...100 (default 0).
        public var packetLossPercent: Double = 0
        /// BurstR, burst ratio: 1 for random loss, > 1 for bursty loss (default 1).
        public var burstRatio: Double = 1
        /// A, advantage factor (default 0).
        public var advantage: Double = 0
        /// sT, delay sensitivity (default 1).
        public var delaySensitivity: Double = 1
        /// mT, minimum perceivable delay, ms (default 100).
        public var minimumPerceivableDelay: Double = 100

        /// The G.107 defaults, changed by the arguments given.
        public init(
            absoluteDelay: Double = 0, meanOneWayDelay: Double = 0, roundTripDelay: Double = 0,
            equipmentImpairment: Double = 0, packetLossRobustness: Double = 4.3,
            packetLossPercent: Double = 0, burstRatio: Double = 1, advantage: Double = 0
        ) {
            self.absoluteDelay = absoluteDelay
            self.meanOneWayDelay = meanOneWayDelay
            self.roundTripDelay = roundTripDelay
            self.equipmentImpairment = equipmentImpairment
            self.packetLossRobustness = packetLossRobustness
            self.packetLossPercent = packetLossPercent
            self.burstRatio = burstRatio
            self.advantage = advantage
        }
    }

    /// Every intermediate value of one E-model computation.
    public struct Result: Sendable, Equatable, Codable {
        /// Basic signal-to-noise ratio.
        public var ro: Double
        /// Simultaneous impairment factor (Iolr + Ist + Iq).
        public var simultaneousImpairment: Double
        /// Talker-echo impairment.
        public var idte: Double
        /// Listener-echo impairment.
        public var idle: Double
        /// Impairment of the absolute delay Ta (0 for Ta ≤ mT).
        public var idd: Double
        /// Effective equipment impairment factor under packet loss.
        public var ieEff: Double
        /// The advantage factor that was added.
        public var advantage: Double
        /// Transmission rating factor.
        public var r: Double
        /// MOS (conversational quality) predicted from `r`, 1...4.5.
        public var mos: Double

        /// Delay impairment factor Idte + Idle + Idd.
        public var id: Double { idte + idle + idd }
    }

    /// Runs the E-model on `p`. Non-finite inputs give non-finite results; the inputs are
    /// not clamped except that Ppl is limited to 0...100 and BurstR to ≥ 0.01 (a burst
    /// ratio of 0 would divide by zero).
    public static func evaluate(_ p: Parameters) -> Result {
        let slr = p.sendLoudnessRating, rlr = p.receiveLoudnessRating
        let olr = slr + rlr
        let t = p.meanOneWayDelay

        // §7.2 Basic signal-to-noise ratio.
        let pre = p.receiveRoomNoise + 10 * log10(1 + pow(10, (10 - p.listenerSidetoneRating) / 10))
        let nor = rlr - 121 + pre + 0.008 * (pre - 35) * (pre - 35)
        let nosTerm = p.sendRoomNoise - olr - p.sendDValue - 14
        let nos = p.sendRoomNoise - slr - p.sendDValue - 100 + 0.004 * nosTerm * nosTerm
        let nfo = p.noiseFloor + rlr
        let no = 10 * log10(pow(10, p.circuitNoise / 10) + pow(10, nos / 10) + pow(10, nor / 10) + pow(10, nfo / 10))
        let ro = 15 - 1.5 * (slr + no)

        // §7.3 Simultaneous impairment factor.
        let xolr = olr + 0.2 * (64 + no - rlr)
        let iolr = 20 * (pow(1 + pow(xolr / 8, 8), 1.0 / 8) - xolr / 8)
        let stmro = -10 * log10(pow(10, -p.sidetoneMaskingRating / 10) + exp(-t / 4) * pow(10, -p.talkerEchoLoudnessRating / 10))
        let ist = 12 * pow(1 + pow((stmro - 13) / 6, 8), 1.0 / 8)
            - 28 * pow(1 + pow((stmro + 1) / 19.4, 35), 1.0 / 35)
            - 13 * pow(1 + pow((stmro - 3) / 33, 13), 1.0 / 13)
            + 29
        let q = 37 - 15 * log10(p.quantizingDistortionUnits)
        let g = 1.07 + 0.258 * q + 0.0602 * q * q
        let y = (ro - 100) / 15 + 46.0 / 8.4 - g / 9
        let z = 46.0 / 30 - g / 40
        let iq = 15 * log10(1 + pow(10, y) + pow(10, z))
        let isFactor = iolr + ist + iq

        // §7.4 Delay impairment factor.
        let roe = -1.5 * (no - rlr)
        var terv = p.talkerEchoLoudnessRating - 40 * log10((1 + t / 10) / (1 + t / 150)) + 6 * exp(-0.3 * t * t)
        if p.sidetoneMaskingRating < 9 { terv += ist / 2 }
        let re = 80 + 2.5 * (terv - 14)
        var idte = ((roe - re) / 2 + ((roe - re) * (roe - re) / 4 + 100).squareRoot() - 1) * (1 - exp(-t))
        if p.sidetoneMaskingRating > 20 { idte = (idte * idte + ist * ist).squareRoot() }
        let rle = 10.5 * (p.weightedEchoPathLoss + 7) * pow(p.roundTripDelay + 1, -0.25)
        let idle = (ro - rle) / 2 + ((ro - rle) * (ro - rle) / 4 + 169).squareRoot()
        let idd: Double
        let ta = p.absoluteDelay, mT = p.minimumPerceivableDelay, sT = p.delaySensitivity
        if ta > mT {
            let x = log10(ta / mT) / log10(2)
            let e = 6 * sT
            idd = 25 * (pow(1 + pow(x, e), 1 / e) - 3 * pow(1 + pow(x / 3, e), 1 / e) + 2)
        } else {
            idd = 0
        }

        // §7.5 Effective equipment impairment factor.
        let ieEff = effectiveEquipmentImpairment(
            ie: p.equipmentImpairment, bpl: p.packetLossRobustness,
            packetLossPercent: p.packetLossPercent, burstRatio: p.burstRatio)

        let r = ro - isFactor - idte - idle - idd - ieEff + p.advantage
        return Result(
            ro: ro, simultaneousImpairment: isFactor, idte: idte, idle: idle, idd: idd,
            ieEff: ieEff, advantage: p.advantage, r: r, mos: mos(r: r))
    }

    /// Ie,eff = Ie + (95 − Ie)·Ppl / (Ppl/BurstR + Bpl), with Ppl in percent (limited to
    /// 0...100) and BurstR limited to ≥ 0.01.
    public static func effectiveEquipmentImpairment(ie: Double, bpl: Double, packetLossPercent: Double, burstRatio: Double) -> Double {
        let ppl = Swift.min(100, Swift.max(0, packetLossPercent))
        guard ppl > 0 else { return ie }
        let burst = Swift.max(0.01, burstRatio)
        return ie + (95 - ie) * ppl / (ppl / burst + bpl)
    }

    /// The MOS (conversational quality estimate) of a rating R, G.107 Annex B:
    /// 1 for R < 0, 4.5 for R > 100, otherwise 1 + 0.035·R + R·(R − 60)·(100 − R)·7·10⁻⁶.
    /// The polynomial dips just below 1 (to 0.99) for 0 < R < 6.5; it is held at 1 there
    /// so that MOS never decreases as R rises. NaN stays NaN.
    public static func mos(r: Double) -> Double {
        if r.isNaN { return r }
        if r <= 0 { return 1 }
        if r >= 100 { return 4.5 }
        return Swift.max(1, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6)
    }
}
