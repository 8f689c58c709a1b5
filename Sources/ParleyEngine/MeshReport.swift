import Foundation
import ParleyConference
import ParleyMetrics

/// The report of a mesh call: the call, each participant, and every directed link.
public struct MeshReport: Codable, Sendable {
    public struct Inputs: Codable, Sendable {
        public var audio: String
        public var video: String?
        public var audioSampleRate: Int
        public var videoSize: String?
    }

    public struct Outputs: Codable, Sendable {
        public var mix: String
        public var grid: String?
    }

    public struct SpeakerChange: Codable, Sendable, Equatable {
        public var time: Double
        public var participant: Int
        public var name: String
    }

    public struct Participant: Codable, Sendable {
        public var index: Int
        public var name: String
        public var inputs: Inputs?
        public var outputs: Outputs?
        public var joinedAt: Double?
        public var leftAt: Double?
        public var audioFramesSent: Int
        public var audioBytesEncoded: Int
        public var videoFramesEncoded: Int
        public var videoKeyframes: Int
        public var mixFramesWritten: Int
        public var gridFramesWritten: Int
        /// The active speaker as this participant heard it, each change.
        public var speakerChanges: [SpeakerChange]
    }

    /// One direction of one pair: what `to` received from `from`.
    public struct Link: Codable, Sendable {
        public var from: Int
        public var to: Int
        public var openedAt: Double
        public var closedAt: Double?
        public var closeReason: String?
        public var audio: InboundAudioStats?
        public var video: InboundVideoStats?
        public var roundTripTime: Double?
        public var quality: CallQuality?
        /// SRTP and RTP drops at the receiver, by reason.
        public var receiver: SecureRTPReceiver.Counters
        /// What the emulated network did to this direction.
        public var network: EmulatedLinkModel.Statistics?
        public var packetsSent: Int
        public var wireBytesSent: Int
    }

    public struct Summary: Codable, Sendable {
        public var links: Int
        public var meanMOS: Double?
        public var minimumMOS: Double?
        public var audioPacketsReceived: Int
        public var audioPacketsLost: Int
        public var concealedSamples: Int
        public var videoFramesDecoded: Int
        public var freezes: Int
        public var srtpDrops: Int
    }

    public var parleyVersion: String
    public var completed: Bool
    public var error: String?
    public var participants: Int
    public var callID: String
    public var signalingAEAD: String?
    public var srtpSuite: String
    public var rosterVersions: UInt32
    public var network: String?
    public var networkSeed: UInt64?
    public var callSeconds: Double
    public var wallSeconds: Double
    public var realtimeFactor: Double
    public var outputDirectory: String?
    public var report: String?
    public var stats: String?
    public var members: [Participant]
    public var links: [Link]
    public var events: [MeshMembershipEvent]
    public var summary: Summary
}

/// One stats sample of every open link of the call.
public struct MeshStatsSample: Codable, Sendable {
    public struct LinkSample: Codable, Sendable {
        public var from: Int
        public var to: Int
        public var sample: StatsSample
    }
    public var timestamp: Double
    /// The active speaker as each participant hears it (nil: nobody yet, or not in the call).
    public var activeSpeakers: [Int?]
    public var links: [LinkSample]

    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// `t=3.0s links 6 loss 0.4% jitter 3.1ms mos 4.31 (min 4.28) speaker Bob`.
    public func summaryLine(names: [String]) -> String {
        let audio = links.compactMap(\.sample.audio)
        let received = audio.reduce(0) { $0 + $1.packetsReceived }
        let lost = audio.reduce(0) { $0 + max(0, $1.packetsLost) }
        let loss = received + lost > 0 ? Double(lost) / Double(received + lost) * 100 : 0
        let jitter = audio.isEmpty ? 0 : audio.reduce(0) { $0 + $1.jitter } / Double(audio.count) * 1000
        let mos = links.compactMap { $0.sample.quality?.mos }
        let mosText = mos.isEmpty ? "mos -" : String(format: "mos %.2f (min %.2f)", mos.reduce(0, +) / Double(mos.count), mos.min()!)
        var counts: [Int: Int] = [:]
        for case let s? in activeSpeakers { counts[s, default: 0] += 1 }
        let speaker = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }
            .map { names.indices.contains($0.key) ? names[$0.key] : "p\($0.key)" } ?? "-"
        return String(format: "t=%.1fs links %d loss %.1f%% jitter %.1fms ", timestamp, links.count, loss, jitter)
            + mosText + " speaker " + speaker
    }
}

extension MeshSession {
    /// Every open link's cumulative stats at media time `time`.
    public func statsSample(at time: Double) -> MeshStatsSample {
        var links: [MeshStatsSample.LinkSample] = []
        for member in members {
            for case let connection? in member.connections where connection.isOpen {
                links.append(.init(from: connection.remote, to: member.index, sample: sample(of: connection, at: time)))
            }
        }
        return MeshStatsSample(timestamp: time,
                               activeSpeakers: members.map { $0.state == .inCall ? $0.detector.activeSpeaker : nil },
                               links: links)
    }

    /// The E-model's view of what `connection`'s participant heard from its remote, over
    /// the link that carried it (the remote's connection to us).
    func quality(of connection: MeshConnection) -> CallQuality? {
        let back = members[connection.remote].connections[connection.local]
        let network = (back?.link.model as? EmulatedLinkModel)?.meanDelay ?? 0
        return connection.audio?.callQuality(networkDelay: network, frameDurationMilliseconds: configuration.opus.frameDurationMilliseconds,
                                             bitrate: Double(configuration.opus.bitrate))
    }

    func sample(of connection: MeshConnection, at time: Double) -> StatsSample {
        let size = connection.remoteVideoSize
        return .receiving(at: time, audio: connection.audio?.inboundStats(),
                          video: connection.video?.inboundStats(width: size.width, height: size.height),
                          roundTripTime: connection.rtcp?.statistics.roundTripTime, quality: quality(of: connection))
    }

    func report(
        completed: Bool, error: String?, callSeconds: Double, wallSeconds: Double, inputs: [MeshReport.Inputs],
        outputs: [MeshReport.Outputs], reportPath: String?, statsPath: String?, final: MeshStatsSample
    ) -> MeshReport {
        let names = members.map(\.name)
        var links: [MeshReport.Link] = []
        for member in members {
            for case let connection? in member.connections {
                // What member received from connection.remote; what the remote sent to member
                // is on the remote's connection to member.
                let back = members[connection.remote].connections[member.index]
                let sent = back.map { b in b.sender.streams.reduce((0, 0)) { ($0.0 + $1.packetsSent, $0.1 + $1.wireBytesSent) } } ?? (0, 0)
                let size = connection.remoteVideoSize
                links.append(MeshReport.Link(
                    from: connection.remote, to: member.index, openedAt: connection.openedAt, closedAt: connection.closedAt,
                    closeReason: connection.closeReason, audio: connection.audio?.inboundStats(),
                    video: connection.video?.inboundStats(width: size.width, height: size.height),
                    roundTripTime: connection.rtcp?.statistics.roundTripTime, quality: quality(of: connection),
                    receiver: connection.receiver.counters,
                    network: (back?.link.model as? EmulatedLinkModel)?.statistics,
                    packetsSent: sent.0, wireBytesSent: sent.1))
            }
        }
        let participants = members.map { m in
            MeshReport.Participant(
                index: m.index, name: m.name, inputs: inputs.indices.contains(m.index) ? inputs[m.index] : nil,
                outputs: outputs.indices.contains(m.index) ? outputs[m.index] : nil,
                joinedAt: m.joinedAt, leftAt: m.leftAt,
                audioFramesSent: m.sendAudio?.framesEncoded ?? 0, audioBytesEncoded: m.sendAudio?.bytesEncoded ?? 0,
                videoFramesEncoded: m.sendVideo?.framesEncoded ?? 0, videoKeyframes: m.sendVideo?.keyFramesEncoded ?? 0,
                mixFramesWritten: m.mixFramesWritten, gridFramesWritten: m.gridFramesWritten,
                speakerChanges: m.speakerEvents.map { .init(time: $0.time, participant: $0.participant, name: names[$0.participant]) })
        }
        let mos = links.compactMap { $0.quality?.mos }
        let audio = links.compactMap(\.audio)
        let video = links.compactMap(\.video)
        let summary = MeshReport.Summary(
            links: links.count, meanMOS: mos.isEmpty ? nil : mos.reduce(0, +) / Double(mos.count), minimumMOS: mos.min(),
            audioPacketsReceived: audio.reduce(0) { $0 + $1.packetsReceived },
            audioPacketsLost: audio.reduce(0) { $0 + max(0, $1.packetsLost) },
            concealedSamples: audio.reduce(0) { $0 + $1.concealedSamples },
            videoFramesDecoded: video.reduce(0) { $0 + $1.framesDecoded },
            freezes: video.reduce(0) { $0 + $1.freezeCount },
            srtpDrops: links.reduce(0) { $0 + $1.receiver.srtpAuthenticationFailures + $1.receiver.srtpReplayFailures })
        return MeshReport(
            parleyVersion: FileLoopback.parleyVersion, completed: completed, error: error, participants: members.count,
            callID: callID, signalingAEAD: signalingAlgorithm, srtpSuite: configuration.srtpSuite.rawValue,
            rosterVersions: rosterVersion, network: configuration.network?.name,
            networkSeed: configuration.network != nil ? configuration.networkSeed : nil,
            callSeconds: callSeconds, wallSeconds: wallSeconds, realtimeFactor: wallSeconds > 0 ? callSeconds / wallSeconds : 0,
            outputDirectory: outputs.first.map { (($0.mix as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent },
            report: reportPath, stats: statsPath, members: participants, links: links, events: events, summary: summary)
    }
}
