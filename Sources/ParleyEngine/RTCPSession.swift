import Foundation
import ParleyRTP

/// A receive stream whose RFC 3550 statistics go into RTCP report blocks.
public protocol ReportingReceiveStream: AnyObject {
    var ssrc: UInt32? { get }
    /// A report block for the interval since the last one (resets the interval counters).
    func makeReportBlock(now: Double, lastSRNtpMiddle: UInt32?, lastSRArrival: Double?) -> RTCPReportBlock?
}

/// The RTCP side of a call (RFC 3550 §6, RFC 4585): sends compound reports (SR for each
/// sending stream, report blocks for each received one, SDES CNAME) at the randomized
/// §6.3 interval; answers NACK with retransmissions from the packet history and PLI/FIR
/// with a keyframe request; measures round-trip time from LSR/DLSR; sends PLI and NACK
/// for the receive side. RTCP goes through the same SRTP sender and receiver as the media
/// (rtcp-mux, RFC 5761).
public final class RTCPSession {
    public struct Statistics: Sendable, Codable, Equatable {
        public var reportsSent = 0
        public var senderReportsReceived = 0
        public var receiverReportsReceived = 0
        public var nackPacketsReceived = 0
        public var nackedSequenceNumbers = 0
        public var retransmissionsSent = 0
        public var retransmissionsUnavailable = 0
        public var pliReceived = 0
        public var firReceived = 0
        public var pliSent = 0
        public var nackSent = 0
        public var goodbyesReceived = 0
        public var malformedPackets = 0
        /// Last round-trip time from a report block (seconds), webrtc-stats' roundTripTime.
        public var roundTripTime: Double?
        /// Loss the remote side reports for our streams (fraction 0...1, last report).
        public var remoteFractionLost: Double?
        public var remotePacketsLost: Int?
        public var remoteJitter: Double?
    }

    public private(set) var statistics = Statistics()
    public let cname: String
    /// The SSRC this side reports from when it sends no media.
    public let localSSRC: UInt32
    /// Called with the SSRC of one of our video streams when the remote side asks for a keyframe.
    public var keyframeRequested: ((UInt32) -> Void)?
    /// Called when the remote side says goodbye.
    public var goodbye: ((UInt32, String?) -> Void)?

    private let sender: SecureRTPSender
    private var receiveStreams: [ReportingReceiveStream] = []
    /// Clock rates of our sending streams, by SSRC, for the SR's RTP timestamp.
    private var clockRates: [UInt32: Int] = [:]
    private var interval: RTCPInterval
    private var random = SystemRandomNumberGenerator()
    /// The RFC 3550 randomization factor of each report interval, in [0.5, 1.5]; random by
    /// default. A seeded run (the loopback over an emulated network) sets a seeded one, so
    /// the same seed sends the same reports at the same times.
    public var randomFactor: (() -> Double)?
    private var nextReport: Double?
    /// Last SR per remote SSRC: its NTP middle 32 bits and when it arrived.
    private var lastSenderReports: [UInt32: (middle: UInt32, arrival: Double)] = [:]
    private let wallClock: () -> Double
    private var buffer = [UInt8](repeating: 0, count: 1500)
    private var firSequence: UInt8 = 0

    /// - Parameters:
    ///   - sessionBandwidth: bits per second of the session (RTCP gets 5 %).
    ///   - wallClock: Unix time in seconds for the SR's NTP timestamp.
    public init(sender: SecureRTPSender, receiver: SecureRTPReceiver, cname: String, localSSRC: UInt32,
                sessionBandwidth: Double, wallClock: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.sender = sender
        self.cname = cname
        self.localSSRC = localSSRC
        self.wallClock = wallClock
        interval = RTCPInterval(sessionBandwidth: sessionBandwidth, members: 2, averageRTCPSize: 100)
        receiver.controlHandler = { [weak self] bytes, arrival in self?.received(bytes, arrival: arrival) }
    }

    public func addReceiveStream(_ stream: ReportingReceiveStream) { receiveStreams.append(stream) }
    public func addSendStream(ssrc: UInt32, clockRate: Int) { clockRates[ssrc] = clockRate }

    /// Sends a report when it is due. Call it often (every media tick).
    public func tick(now: Double) {
        guard let due = nextReport else {
            nextReport = now + interval.interval(randomFactor: { randomFactor?() ?? Double.random(in: 0.5...1.5, using: &random) })
            return
        }
        guard now >= due else { return }
        sendReport(now: now)
        interval.initial = false
        interval.weSent = sender.hasSent
        interval.senders = interval.weSent ? 1 : 0
        nextReport = now + interval.interval(randomFactor: { randomFactor?() ?? Double.random(in: 0.5...1.5, using: &random) })
    }

    /// Sends a compound report now (also used for a final report).
    public func sendReport(now: Double, bye reason: String? = nil) {
        var blocks: [RTCPReportBlock] = []
        for stream in receiveStreams {
            guard let ssrc = stream.ssrc else { continue }
            let last = lastSenderReports[ssrc]
            if let block = stream.makeReportBlock(now: now, lastSRNtpMiddle: last?.middle, lastSRArrival: last?.arrival) {
                blocks.append(block)
            }
        }
        var packets: [RTCPPacket] = []
        let ntp = NTPTimestamp(unixTime: wallClock())
        let sending = sender.streams.filter { $0.packetsSent > 0 }
        if sending.isEmpty {
            packets.append(.receiverReport(RTCPReceiverReport(ssrc: localSSRC, reports: Array(blocks.prefix(31)))))
        } else {
            for (i, s) in sending.enumerated() {
                let rate = Double(clockRates[s.ssrc] ?? 90_000)
                let rtp = s.lastTimestamp &+ UInt32(truncatingIfNeeded: Int64(max(0, now - s.lastSendTime) * rate))
                packets.append(.senderReport(RTCPSenderReport(
                    ssrc: s.ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp,
                    packetCount: UInt32(truncatingIfNeeded: s.packetsSent), octetCount: UInt32(truncatingIfNeeded: s.payloadBytesSent),
                    reports: i == 0 ? Array(blocks.prefix(31)) : [])))
            }
        }
        let ssrcs = sending.isEmpty ? [localSSRC] : sending.map(\.ssrc)
        packets.append(.sourceDescription(RTCPSourceDescription(chunks: ssrcs.map { .init(ssrc: $0, cname: cname) })))
        if let reason { packets.append(.goodbye(RTCPGoodbye(sources: ssrcs, reasonText: reason))) }
        if send(packets, now: now) { statistics.reportsSent += 1 }
    }

    /// Asks the sender of `mediaSSRC` for a keyframe (PLI, RFC 4585 §6.3.1).
    public func sendPictureLossIndication(mediaSSRC: UInt32, now: Double) {
        if send([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: reportingSSRC, mediaSSRC: mediaSSRC))], now: now) {
            statistics.pliSent += 1
        }
    }

    /// Asks the sender of `mediaSSRC` to resend `lost` (generic NACK, RFC 4585 §6.2.1).
    public func sendNACK(mediaSSRC: UInt32, lost: [UInt16], now: Double) {
        guard !lost.isEmpty else { return }
        if send([.genericNACK(RTCPGenericNACK(senderSSRC: reportingSSRC, mediaSSRC: mediaSSRC, lostSequenceNumbers: lost))], now: now) {
            statistics.nackSent += 1
        }
    }

    private var reportingSSRC: UInt32 { sender.streamCount > 0 ? sender.statistics(of: 0).ssrc : localSSRC }

    @discardableResult
    private func send(_ packets: [RTCPPacket], now: Double) -> Bool {
        do {
            let length = try buffer.withUnsafeMutableBytes { try RTCPCompound.serialize(packets, into: $0) }
            try buffer.withUnsafeBytes { try sender.sendRTCP(UnsafeRawBufferPointer(rebasing: $0[0..<length]), now: now) }
            interval.packetSent(size: length + 28)
            return true
        } catch {
            statistics.malformedPackets += 1
            return false
        }
    }

    private func received(_ bytes: UnsafeRawBufferPointer, arrival: Double) {
        let packets: [RTCPPacket]
        do {
            packets = try RTCPCompound.parse(bytes)
        } catch {
            statistics.malformedPackets += 1
            return
        }
        interval.packetReceived(size: bytes.count + 28)
        let arrivalMiddle = NTPTimestamp(unixTime: wallClock()).middle32
        for packet in packets {
            switch packet {
            case .senderReport(let sr):
                statistics.senderReportsReceived += 1
                lastSenderReports[sr.ssrc] = (sr.ntpTimestamp.middle32, arrival)
                useReportBlocks(sr.reports, arrivalMiddle: arrivalMiddle)
            case .receiverReport(let rr):
                statistics.receiverReportsReceived += 1
                useReportBlocks(rr.reports, arrivalMiddle: arrivalMiddle)
            case .genericNACK(let nack):
                statistics.nackPacketsReceived += 1
                guard let stream = sender.stream(ssrc: nack.mediaSSRC) else { continue }
                for sequenceNumber in nack.lostSequenceNumbers {
                    statistics.nackedSequenceNumbers += 1
                    let resent = (try? sender.retransmit(stream: stream, sequenceNumber: sequenceNumber, now: arrival)) ?? false
                    if resent { statistics.retransmissionsSent += 1 } else { statistics.retransmissionsUnavailable += 1 }
                }
            case .pictureLossIndication(let pli):
                statistics.pliReceived += 1
                keyframeRequested?(pli.mediaSSRC)
            case .fullIntraRequest(let fir):
                statistics.firReceived += 1
                for entry in fir.entries { keyframeRequested?(entry.ssrc) }
            case .goodbye(let bye):
                statistics.goodbyesReceived += 1
                for source in bye.sources { goodbye?(source, bye.reasonText) }
            default:
                break
            }
        }
    }

    private func useReportBlocks(_ blocks: [RTCPReportBlock], arrivalMiddle: UInt32) {
        for block in blocks where sender.stream(ssrc: block.ssrc) != nil {
            if let rtt = block.roundTripTime(arrivalNtpMiddle: arrivalMiddle) { statistics.roundTripTime = rtt }
            statistics.remoteFractionLost = Double(block.fractionLost) / 256
            statistics.remotePacketsLost = Int(block.cumulativeLost)
            let rate = Double(clockRates[block.ssrc] ?? 90_000)
            statistics.remoteJitter = Double(block.jitter) / rate
        }
    }
}
