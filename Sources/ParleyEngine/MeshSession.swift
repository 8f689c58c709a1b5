import Foundation
import ParleyCodecs
import ParleyConference
import ParleyCore
import ParleyMetrics
import ParleyPlayout
import ParleyRTP
import ParleySecurity

/// How a mesh call is set up (independent of files: see `MeshLoopback` for those).
public struct MeshConfiguration: Sendable {
    /// Most people in a mesh call (each uploads N−1 copies of its media).
    public static let maximumParticipants = 8

    public var participants: Int
    public var opus: OpusConfiguration
    public var srtpSuite: SRTPSuite = .default
    /// How many of the loudest talkers each participant's mixer mixes.
    public var maximumMixed = 3
    /// Video: codec, encoder settings (nil codec: audio only).
    public var videoCodec: VideoCodecKind? = nil
    public var videoBitrateKbps = 500
    public var cpuUsed: Int? = nil
    public var videoThreads = 1
    public var keyframeInterval = 300
    /// The emulated network of every link (nil: perfect links).
    public var network: NetworkProfile? = nil
    public var networkSeed: UInt64 = 1
    /// A peer from which nothing arrived for this long is taken as gone.
    public var silentPeerTimeout = 3.0
    /// How long packets under the keys of an earlier roster are still accepted.
    public var rekeyGrace = 2.0
    /// The grid each participant composes of the others' video.
    public var gridWidth = 640
    public var gridHeight = 360
    public var gridArrangement: GridArrangementChoice = .grid

    public init(participants: Int, opus: OpusConfiguration = OpusConfiguration()) {
        self.participants = participants
        self.opus = opus
    }
}

/// The grid's layout: equal cells, or the active speaker large above the others.
public enum GridArrangementChoice: String, Sendable, Codable, CaseIterable {
    case grid, speaker
}

/// A change in who is in the call, as one participant saw it.
public struct MeshMembershipEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// The participant joined (its keys came with a new roster).
        case joined
        /// It said goodbye (RTCP BYE) and left.
        case left
        /// Nothing arrived from it for the silent-peer timeout.
        case timedOut
        /// The host's new roster no longer lists it: its keys are retired.
        case removed
        /// A new roster version: every pair key changed.
        case rekeyed
        /// The participant went silent without a goodbye (the others time it out).
        case vanished
    }
    public var time: Double
    public var kind: Kind
    /// Who saw it (nil: the call as a whole).
    public var observer: Int?
    public var participant: Int?
    public var rosterVersion: UInt32?
}

/// Where one participant's media comes from and goes to, for `MeshSession`.
public struct MeshMemberIO {
    /// Fills one frame (`frameSize × channels` interleaved samples) of the participant's
    /// microphone; returns the samples per channel read (0 at the end: silence follows).
    public var readAudio: (inout [Float]) throws -> Int
    /// Receives the participant's mix of everyone else, one 20 ms frame at a time.
    public var writeMix: (UnsafeBufferPointer<Float>) throws -> Void
    /// Fills the next camera picture (false at the end); nil: no video.
    public var readVideo: ((inout VideoFrame) throws -> Bool)?
    /// The camera's size and frame rate.
    public var videoWidth = 0
    public var videoHeight = 0
    public var videoFrameRate = 30.0
    /// Receives the participant's composed grid of the others, at `gridFrameRate`.
    public var writeGrid: ((VideoFrame) throws -> Void)?
    public var name: String

    public init(name: String, readAudio: @escaping (inout [Float]) throws -> Int,
                writeMix: @escaping (UnsafeBufferPointer<Float>) throws -> Void) {
        self.name = name
        self.readAudio = readAudio
        self.writeMix = writeMix
    }
}

/// One participant of a mesh call.
final class MeshMember {
    let index: Int
    let io: MeshMemberIO
    var name: String { io.name }
    enum State { case waiting, inCall, left }
    var state = State.waiting
    var joinedAt: Double?
    var leftAt: Double?
    /// Audio input ended: silence is sent from then on.
    var audioEnded = false
    var audioFramesRead = 0
    var videoEnded = false
    var pcm: [Float]
    var sendAudio: AudioSendStream?
    var sendVideo: VideoSendStream?
    let audioIdentity: (ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32)
    let videoIdentity: (ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32)
    /// The connection to each other participant (nil: none yet).
    var connections: [MeshConnection?]
    let mixer: AudioMixer
    let detector: ActiveSpeakerDetector
    var speakerEvents: [ActiveSpeakerEvent] = []
    var picture: VideoFrame
    var videoFramesRead = 0
    var compositor: GridCompositor?
    var grid: VideoFrame
    /// The remote shown in each tile.
    var tileOwners: [Int] = []
    var gridFramesWritten = 0
    var mixFramesWritten = 0

    init(index: Int, io: MeshMemberIO, configuration: MeshConfiguration, identities: inout Set<UInt32>) throws {
        self.index = index
        self.io = io
        let n = configuration.participants
        let opus = configuration.opus
        pcm = [Float](repeating: 0, count: opus.frameSize * opus.channels)
        func identity() throws -> (ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32) {
            while true {
                let id = try MediaProfile.randomStreamIdentity()
                if identities.insert(id.ssrc).inserted { return id }  // no two streams of the call share an SSRC
            }
        }
        audioIdentity = try identity()
        videoIdentity = try identity()
        connections = Array(repeating: nil, count: n)
        mixer = try AudioMixer(participants: n, frameSize: opus.sampleRate / 50, channels: opus.channels,
                               maximumMixed: configuration.maximumMixed)
        detector = try ActiveSpeakerDetector(participants: n)
        picture = VideoFrame(width: max(2, io.videoWidth), height: max(2, io.videoHeight))
        grid = VideoFrame(width: configuration.gridWidth, height: configuration.gridHeight)
        if io.writeGrid != nil {
            compositor = try GridCompositor(canvasWidth: configuration.gridWidth, canvasHeight: configuration.gridHeight,
                                            tileCount: max(1, n - 1))
        }
    }

    /// The open connections' remotes, in participant order.
    var openRemotes: [Int] { connections.compactMap { $0?.isOpen == true ? $0!.remote : nil } }
}

/// A mesh call in one process: every participant encodes each medium once and sends it,
/// under each pair's keys, over its own link to every other; it receives N−1 streams, each
/// through its own jitter buffer and decoder, mixes them (its mixer never holds its own
/// voice), follows the active speaker from the RFC 6464 levels, and composes the others'
/// video into a grid. People join and leave mid-call: the host (participant 0) signs a new
/// roster each time and every pair key changes; a leaver's keys are retired.
///
/// Time is media time, driven by `run(until:)`: events (sends, arrivals, playout ticks,
/// the 10 ms receive timer) are processed in time order, faster than real time.
public final class MeshSession {
    public let configuration: MeshConfiguration
    let members: [MeshMember]
    let keying: MeshKeying
    /// Media time, seconds.
    public private(set) var now = 0.0
    public private(set) var events: [MeshMembershipEvent] = []
    private var nextAudio = 0.0
    private var nextPlayout = 0.0
    private var nextTick = 0.0
    private var nextGrid = 0.0
    private var nextVideo: [Double]
    private let gridInterval: Double
    /// One decode buffer for every receiver's jitter buffer: they are all pulled on the
    /// thread that runs the call, one after another.
    private let decodeScratch = DecodeScratch()
    /// Audio input ends of all participants ("the call has nothing more to say").
    public var allAudioEnded: Bool { members.allSatisfy { $0.audioEnded || $0.state == .left } }

    public init(configuration: MeshConfiguration, members ios: [MeshMemberIO], gridFrameRate: Double = 30) throws {
        let n = configuration.participants
        guard n >= 2, n <= MeshConfiguration.maximumParticipants else {
            throw EngineError.invalidOption(
                "a mesh call has 2 to \(MeshConfiguration.maximumParticipants) participants (asked for \(n)); beyond 8 every member would upload too many copies")
        }
        guard ios.count == n else {
            throw EngineError.invalidOption("\(n) participants need \(n) inputs (got \(ios.count))")
        }
        self.configuration = configuration
        keying = try MeshKeying(names: ios.map(\.name), suite: configuration.srtpSuite)
        var identities = Set<UInt32>()
        var built: [MeshMember] = []
        for (i, io) in ios.enumerated() {
            built.append(try MeshMember(index: i, io: io, configuration: configuration, identities: &identities))
        }
        members = built
        nextVideo = Array(repeating: 0, count: n)
        gridInterval = 1 / max(1, gridFrameRate)
    }

    deinit { keying.close() }

    /// The call id (hex) and the signaling AEAD of the setup.
    public var callID: String { keying.callID }
    public var signalingAlgorithm: String? { keying.signalingAlgorithm?.rawValue }
    public var rosterVersion: UInt32 { keying.rosterVersion }

    /// RTCP reports sent so far over every connection.
    public var rtcpReportsSent: Int {
        members.reduce(0) { sum, m in
            sum + m.connections.reduce(0) { $0 + ($1?.rtcp?.statistics.reportsSent ?? 0) }
        }
    }

    /// Whether participant `i` is in the call now.
    public func isInCall(_ i: Int) -> Bool { members[i].state == .inCall }

    // MARK: Membership

    /// Participants `joining` join now (the host first, at the start): each is invited and
    /// joins over its contact session, then the host signs one new roster for everyone
    /// present and every pair moves to its new keys.
    public func join(_ joining: [Int]) throws {
        for i in joining {
            guard members.indices.contains(i), members[i].state == .waiting else {
                throw EngineError.invalidOption("participant \(i) cannot join: it is not waiting to join")
            }
            if i > 0 { try keying.join(i) }
        }
        for i in joining {
            members[i].state = .inCall
            members[i].joinedAt = now
            // Its audio starts now: the detector and mixer count from the call's start.
        }
        try reroster()
        for i in joining {
            events.append(MeshMembershipEvent(time: now, kind: .joined, observer: nil, participant: i, rosterVersion: keying.rosterVersion))
        }
    }

    /// Participant `i` leaves now: with `goodbye`, an RTCP BYE on each of its connections
    /// (the others close theirs when it arrives, and the host signs a roster without it);
    /// without, it simply goes silent and the others find out by the silent-peer timeout.
    public func leave(_ i: Int, goodbye: Bool) throws {
        guard members.indices.contains(i), i > 0, members[i].state == .inCall else {
            throw EngineError.invalidOption("participant \(i) cannot leave: \(i == 0 ? "participant 0 hosts the call" : "it is not in the call")")
        }
        let member = members[i]
        events.append(MeshMembershipEvent(time: now, kind: goodbye ? .left : .vanished, observer: nil, participant: i, rosterVersion: nil))
        for case let connection? in member.connections where connection.isOpen {
            if goodbye { connection.rtcp.sendReport(now: now, bye: "left the call") }
            connection.link.pump()
            close(connection, of: member, reason: goodbye ? "we left the call" : "we left the call without a word")
        }
        member.state = .left
        member.leftAt = now
    }

    /// Present participants: in the call now.
    private var present: [Int] { members.filter { $0.state == .inCall }.map(\.index) }

    /// A new roster for those present: new pair keys everywhere; new connections for new pairs.
    private func reroster() throws {
        let inCall = present
        try keying.makeRoster(present: inCall)
        let version = keying.rosterVersion
        // Connections to anyone no longer in the roster close: their keys are retired.
        for member in members where member.state == .inCall {
            for case let connection? in member.connections where connection.isOpen && !inCall.contains(connection.remote) {
                close(connection, of: member, reason: "not in roster version \(version): keys retired")
                events.append(MeshMembershipEvent(time: now, kind: .removed, observer: member.index, participant: connection.remote, rosterVersion: version))
            }
        }
        for a in inCall {
            for b in inCall where b != a {
                if let connection = members[a].connections[b], connection.isOpen {
                    // a's sender to b gets the new outbound keys; b's receiver from a the inbound.
                    connection.sender.rekey(try session(from: a, to: b, .outbound))
                    members[b].connections[a]?.receiver.rekey(try session(from: a, to: b, .inbound),
                                                              graceUntil: now + configuration.rekeyGrace)
                } else {
                    try connect(a, b)
                }
            }
        }
        events.append(MeshMembershipEvent(time: now, kind: .rekeyed, observer: nil, participant: nil, rosterVersion: version))
        // A new connection only starts its receive side once both halves exist.
        for a in inCall {
            for b in inCall where b != a {
                guard let connection = members[a].connections[b], connection.audio == nil else { continue }
                try start(connection)
            }
        }
        for a in inCall { try retile(members[a]) }
    }

    /// The SRTP session for the streams (audio and video SSRC) `a` sends to `b`: `.outbound`
    /// is a's, keyed from a's schedule; `.inbound` is b's, keyed from b's.
    private func session(from a: Int, to b: Int, _ direction: SRTPSession.Direction) throws -> SRTPSession {
        let audioSSRC = members[a].audioIdentity.ssrc
        let videoSSRC = members[a].videoIdentity.ssrc
        let holder = direction == .outbound ? a : b
        let audioKey = try keying.key(from: a, to: b, ssrc: audioSSRC, heldBy: holder)
        defer { audioKey.wipe() }
        let videoKey = try keying.key(from: a, to: b, ssrc: videoSSRC, heldBy: holder)
        defer { videoKey.wipe() }
        let session = try SRTPSession(suite: configuration.srtpSuite, masterKey: audioKey, direction: direction,
                                      ssrc: .specific(audioSSRC), allowRepeatTransmission: direction == .outbound)
        try session.addStream(masterKey: videoKey, ssrc: videoSSRC)
        return session
    }

    /// Creates a's connection to b (a's sending half keyed for a→b; its receiving half
    /// keyed for b→a) and adds it as an output of a's send streams.
    private func connect(_ a: Int, _ b: Int) throws {
        let outbound = try session(from: a, to: b, .outbound)
        let inbound = try session(from: b, to: a, .inbound)
        let model = configuration.network.map {
            EmulatedLinkModel(profile: $0, seed: configuration.networkSeed &* 1_000_003 &+ UInt64(a * 16 + b))
        }
        let connection = MeshConnection(local: a, remote: b, now: now, outbound: outbound, inbound: inbound,
                                        model: model, clock: { [unowned self] in self.now })
        let member = members[a]
        member.connections[b] = connection
        let opus = configuration.opus
        if let stream = member.sendAudio {
            connection.audioOutput = stream.addOutput(sender: connection.sender, initialSequenceNumber: try MediaProfile.randomStreamIdentity().sequenceNumber)
        } else {
            let id = member.audioIdentity
            let stream = try AudioSendStream(configuration: opus, sender: connection.sender, payloadType: MediaProfile.audioPayloadType,
                                             ssrc: id.ssrc, initialSequenceNumber: id.sequenceNumber, initialTimestamp: id.timestamp)
            stream.encodeTimer.isEnabled = false  // no CPU clock reads per frame
            member.sendAudio = stream
            connection.audioOutput = 0
        }
        if let codec = configuration.videoCodec, member.io.readVideo != nil {
            let payloadType = codec == .vp8 ? MediaProfile.vp8PayloadType : MediaProfile.vp9PayloadType
            if let stream = member.sendVideo {
                connection.videoOutput = stream.addOutput(sender: connection.sender, initialSequenceNumber: try MediaProfile.randomStreamIdentity().sequenceNumber)
            } else {
                let id = member.videoIdentity
                let io = member.io
                let (numerator, denominator) = Self.rational(io.videoFrameRate)
                let encoder = VideoEncoderConfiguration(
                    codec: codec, width: io.videoWidth, height: io.videoHeight, frameRateNumerator: numerator,
                    frameRateDenominator: denominator, bitrateKbps: configuration.videoBitrateKbps, cpuUsed: configuration.cpuUsed,
                    threads: configuration.videoThreads, keyframeInterval: configuration.keyframeInterval, errorResilient: false)
                member.sendVideo = try VideoSendStream(configuration: encoder, sender: connection.sender, payloadType: payloadType,
                                                       ssrc: id.ssrc, initialSequenceNumber: id.sequenceNumber, initialTimestamp: id.timestamp)
                connection.videoOutput = 0
                nextVideo[a] = now
            }
        }
    }

    static func rational(_ rate: Double) -> (Int, Int) {
        let rounded = rate.rounded()
        if abs(rate - rounded) < 1e-6 { return (Int(rounded), 1) }
        return (Int((rate * 1001).rounded()), 1001)
    }

    /// Wires a's connection to b once b's connection to a exists: the links' far ends, the
    /// receive streams and RTCP.
    private func start(_ connection: MeshConnection) throws {
        let a = connection.local, b = connection.remote
        guard let back = members[b].connections[a] else { return }
        connection.link.receiver = back.receiver
        let member = members[a]
        var random = EmulatorRandom(seed: configuration.networkSeed, stream: 100 + UInt64(a * 16 + b))
        let opus = configuration.opus
        let hasVideo = configuration.videoCodec != nil && members[b].io.readVideo != nil && member.compositor != nil
        try connection.start(
            localAudioSSRC: member.audioIdentity.ssrc, opus: opus, videoCodec: hasVideo ? configuration.videoCodec : nil,
            videoThreads: configuration.videoThreads, sessionBandwidth: Double(opus.bitrate + configuration.videoBitrateKbps * 1000),
            clock: { [unowned self] in self.now }, randomFactor: { 0.5 + random.unit() },
            decodeScratch: decodeScratch,
            audioSink: { _ in },  // played frames go straight into the mixer (see playout())
            videoSink: { [unowned self, unowned member] picture, _ in
                self.submit(picture, from: b, to: member)
            })
        connection.rtcp.addSendStream(ssrc: member.audioIdentity.ssrc, clockRate: OpusPayload.clockRate)
        connection.rtcp.addSendStream(ssrc: member.videoIdentity.ssrc, clockRate: 90_000)
        let videoSSRC = member.videoIdentity.ssrc
        connection.rtcp.keyframeRequested = { [unowned member] ssrc in
            if ssrc == videoSSRC { member.sendVideo?.requestKeyframe() }
        }
        connection.rtcp.goodbye = { [unowned self, unowned member, unowned connection] _, _ in
            self.goodbye(from: connection.remote, at: member, connection: connection)
        }
    }

    private func submit(_ picture: VideoFrame, from remote: Int, to member: MeshMember) {
        guard member.compositor != nil, let tile = member.tileOwners.firstIndex(of: remote) else { return }
        try? member.compositor!.submit(picture, tile: tile)
        member.connections[remote]?.remoteVideoSize = (picture.width, picture.height)
    }

    /// A BYE arrived at `member` from `remote`.
    private func goodbye(from remote: Int, at member: MeshMember, connection: MeshConnection) {
        guard !ended, connection.isOpen, member.state == .inCall else { return }
        close(connection, of: member, reason: "the peer said goodbye (RTCP BYE)")
        events.append(MeshMembershipEvent(time: now, kind: .left, observer: member.index, participant: remote, rosterVersion: nil))
        try? retile(member)
        if member.index == 0 { pendingReroster = true }
    }

    private var pendingReroster = false
    /// After `hangUp`: the BYEs of the end are not people leaving.
    private var ended = false

    private func close(_ connection: MeshConnection, of member: MeshMember, reason: String) {
        guard connection.isOpen else { return }
        connection.close(at: now, reason: reason)
        member.sendAudio?.removeOutput(connection.audioOutput)
        if let output = connection.videoOutput { member.sendVideo?.removeOutput(output) }
    }

    /// Puts the open remotes of `member` into the grid's tiles, keeping each picture with
    /// its participant.
    private func retile(_ member: MeshMember) throws {
        guard var compositor = member.compositor else { return }
        let remotes = member.openRemotes
        var owners = member.tileOwners
        while owners.count < GridLayout.maximumTiles { owners.append(-1) }
        for (t, remote) in remotes.enumerated() {
            if owners[t] == remote { continue }
            if let s = owners.firstIndex(of: remote) {
                try compositor.swapTiles(t, s)
                owners.swapAt(t, s)
            } else {
                try compositor.clearTile(t)
                owners[t] = remote
            }
        }
        for t in remotes.count..<owners.count where owners[t] != -1 {
            try compositor.clearTile(t)
            owners[t] = -1
        }
        member.tileOwners = Array(owners.prefix(remotes.count))
        try compositor.configure(tileCount: max(1, remotes.count), arrangement: arrangement(for: member))
        member.compositor = compositor
    }

    private func arrangement(for member: MeshMember) -> GridArrangement {
        guard configuration.gridArrangement == .speaker, let speaker = member.detector.activeSpeaker,
              let tile = member.tileOwners.firstIndex(of: speaker), member.tileOwners.count > 1 else { return .grid }
        return .speaker(tile)
    }

    // MARK: Running

    /// Processes every event up to media time `end` (sends, link arrivals, playout,
    /// timers), in time order. `sending` false: nothing new is sent (the call is draining).
    public func run(until end: Double, sending: Bool = true) throws {
        let frame = Double(configuration.opus.frameDurationMilliseconds) / 1000
        let hasVideo = configuration.videoCodec != nil
        while true {
            // Index loops: iterating the arrays themselves allocates in unoptimized builds.
            var next = Double.infinity
            if sending { next = min(next, nextAudio) }
            next = min(next, nextPlayout, nextTick)
            if hasVideo { next = min(next, nextGrid) }
            var i = 0
            while i < members.count {
                let member = members[i]
                i += 1
                guard member.state == .inCall else { continue }
                if sending && hasVideo && member.sendVideo != nil && !member.videoEnded {
                    next = min(next, nextVideo[member.index])
                }
                var j = 0
                while j < member.connections.count {
                    if let connection = member.connections[j], connection.isOpen, let arrival = connection.link.nextArrival {
                        next = min(next, arrival)
                    }
                    j += 1
                }
            }
            guard next <= end else { break }
            now = max(now, next)
            if sending && nextAudio <= now {
                try sendAudio()
                nextAudio += frame
            }
            if sending && hasVideo {
                var k = 0
                while k < members.count {
                    let member = members[k]
                    k += 1
                    guard member.state == .inCall, member.sendVideo != nil, !member.videoEnded, nextVideo[member.index] <= now else { continue }
                    try sendVideo(member)
                    nextVideo[member.index] += 1 / max(1, member.io.videoFrameRate)
                }
            }
            pumpLinks()
            if nextPlayout <= now {
                try playout(draining: !sending)
                nextPlayout += 0.020
            }
            if nextTick <= now {
                timers(reporting: sending)
                pumpLinks()
                nextTick += 0.010
            }
            if hasVideo, nextGrid <= now {
                try composeGrids()
                nextGrid += gridInterval
            }
            if pendingReroster {
                pendingReroster = false
                try reroster()
            }
        }
        now = max(now, end)
    }

    private func pumpLinks() {
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard member.state != .waiting else { continue }
            var j = 0
            while j < member.connections.count {
                if let connection = member.connections[j], connection.link.pending > 0 { connection.link.pump() }
                j += 1
            }
        }
    }

    private func sendAudio() throws {
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard member.state == .inCall else { continue }
            if !member.audioEnded {
                let read = try member.io.readAudio(&member.pcm)
                if read == 0 { member.audioEnded = true } else { member.audioFramesRead += 1 }
            }
            if member.audioEnded {
                // Still in the call: the microphone goes on with silence.
                var k = 0
                while k < member.pcm.count { member.pcm[k] = 0; k += 1 }
            }
            try member.sendAudio?.send(member.pcm, now: now)
        }
    }

    private func sendVideo(_ member: MeshMember) throws {
        guard let read = member.io.readVideo, let stream = member.sendVideo else { return }
        guard try read(&member.picture) else {
            member.videoEnded = true
            return
        }
        try stream.send(member.picture, index: member.videoFramesRead, now: now)
        member.videoFramesRead += 1
    }

    /// Every 20 ms: each participant plays one frame of each stream it receives, mixes
    /// them, follows the active speaker and writes its mix.
    /// `draining`: the call is over and only what is still in flight plays out; a peer
    /// whose stream has fully played is no longer pulled (its silence is not a loss).
    private func playout(draining: Bool) throws {
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard member.state == .inCall else { continue }
            var j = 0
            while j < member.connections.count {
                let remote = j
                j += 1
                guard let connection = member.connections[remote], connection.isOpen, let stream = connection.audio else { continue }
                if draining && !stream.hasBufferedAudio && connection.link.pending == 0 {
                    try member.detector.setLevel(127, for: remote)
                    continue  // not in this frame's mix
                }
                // Straight into the mixer's slot for this peer.
                let result = try member.mixer.withInputSlot(for: remote) { slot in stream.pull(now: now, into: slot) }
                let level = connection.level(of: result)
                if result?.decodedTimestamp != nil {
                    // Ranked by the sender's RFC 6464 level; concealment or silence: by RMS.
                    try member.mixer.setAudioLevel(level, for: remote)
                }
                try member.detector.setLevel(level, for: remote)
            }
            member.mixer.mix(onlyFor: member.index)
            if let event = member.detector.advance() {
                member.speakerEvents.append(ActiveSpeakerEvent(participant: event.participant, previous: event.previous, time: now))
                if configuration.gridArrangement == .speaker { try retile(member) }
            }
            try member.mixer.withOutput(for: member.index) { try member.io.writeMix($0) }
            member.mixFramesWritten += 1
        }
    }

    /// Every 10 ms: RTCP (not while the call drains at its end: no new packets then), NACK
    /// retries, frames waiting; peers that went silent.
    private func timers(reporting: Bool) {
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard member.state == .inCall else { continue }
            var j = 0
            while j < member.connections.count {
                let remote = j
                j += 1
                guard let connection = member.connections[remote], connection.isOpen else { continue }
                if reporting { connection.rtcp.tick(now: now) }
                if let video = connection.video {
                    video.roundTripTime = connection.rtcp.statistics.roundTripTime
                    video.tick(now: now)
                }
                let heard = connection.lastArrival ?? connection.openedAt
                if now - heard > configuration.silentPeerTimeout {
                    close(connection, of: member, reason: String(format: "nothing arrived for %.1f s", now - heard))
                    events.append(MeshMembershipEvent(time: now, kind: .timedOut, observer: member.index, participant: remote, rosterVersion: nil))
                    try? retile(member)
                    if member.index == 0 { pendingReroster = true }
                }
            }
        }
    }

    private func composeGrids() throws {
        var i = 0
        while i < members.count {
            let member = members[i]
            i += 1
            guard member.state == .inCall, let compositor = member.compositor, let write = member.io.writeGrid else { continue }
            let highlight = member.detector.activeSpeaker.flatMap { member.tileOwners.firstIndex(of: $0) }
            try compositor.compose(into: &member.grid, highlight: highlight)
            try write(member.grid)
            member.gridFramesWritten += 1
        }
    }

    /// The end of the call: a final report with BYE on every open connection.
    public func hangUp() {
        ended = true
        for member in members where member.state == .inCall {
            for case let connection? in member.connections where connection.isOpen {
                connection.rtcp.sendReport(now: now, bye: "call ended")
            }
        }
        pumpLinks()
        keying.close()
    }

    /// True while packets are in flight or waiting in a jitter buffer.
    public var isDraining: Bool {
        members.contains { member in
            member.state == .inCall && member.connections.contains { c in
                guard let c, c.isOpen else { return false }
                return c.link.pending > 0 || (c.audio?.hasBufferedAudio ?? false)
            }
        }
    }
}
