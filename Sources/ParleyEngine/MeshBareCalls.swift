import ParleyCodecs
import ParleyCore
import ParleySecurity

/// One run of a bare mesh baseline (`MeshBareCalls`): what was done and what it cost.
public struct MeshBareMeasurement: Codable, Sendable, Equatable {
    public var parties: Int
    /// 20 ms audio ticks, or video frames.
    public var ticks: Int
    /// `ticks × 0.020` (audio, 20 ms frames) or `ticks / fps` (video).
    public var mediaSeconds: Double
    /// CPU time of the calling thread over the whole timed loop (`BenchmarkClock.threadCPUSeconds`);
    /// libvpx worker threads are not included.
    public var cpuSeconds: Double
    /// Monotonic wall time of the whole timed loop.
    public var wallSeconds: Double
    /// `mediaSeconds / cpuSeconds` (audio), `mediaSeconds / wallSeconds` (video: libvpx may
    /// use worker threads, which the thread CPU clock does not see).
    public var realtimeFactor: Double
    /// Calls actually done in the timed loop.
    public var encodes: Int
    public var decodes: Int
    public var protects: Int
    public var unprotects: Int

    public init(
        parties: Int, ticks: Int, mediaSeconds: Double, cpuSeconds: Double, wallSeconds: Double,
        realtimeFactor: Double, encodes: Int, decodes: Int, protects: Int, unprotects: Int
    ) {
        self.parties = parties
        self.ticks = ticks
        self.mediaSeconds = mediaSeconds
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.realtimeFactor = realtimeFactor
        self.encodes = encodes
        self.decodes = decodes
        self.protects = protects
        self.unprotects = unprotects
    }
}

/// The bare per-packet work of a full mesh, in one process on one thread, as the baseline
/// `parley bench --mesh` compares the engine's mesh against.
///
/// Audio (`audioMesh`): per tick, each of N parties encodes its frame once, and for each of
/// the N−1 others writes an RTP packet (12-byte header + the engine's 16-byte one-byte-header
/// extension block: audio level, abs-send-time, transport-wide sequence number, then the
/// Opus payload), protects it with the SRTP session of that directed link, unprotects it with
/// the receiver's inbound session for that sender and decodes it with the receiver's
/// decoder for that sender. N encodes, N(N−1) protects, unprotects and decodes per tick.
///
/// Video (`videoMesh`): the baseline is codec calls only (no RTP packetization, no SRTP):
/// per frame each party encodes once, and each of the other N−1 parties' decoder for that
/// sender decodes the compressed frame into a preallocated picture.
///
/// The per-packet calls go through the public codec and SRTP wrappers (`OpusEncoder.encode`,
/// `OpusDecoder.decode`, `SRTPSession.protectRTP`/`unprotectRTP`, `VideoEncoder.encode`,
/// `VideoDecoder.decode`), whose unsafe-buffer forms make exactly the one C call
/// (`opus_encode_float`, `opus_decode_float`, `srtp_protect`, `srtp_unprotect`, the libvpx
/// encode/decode sequence of `VideoCodecBareCalls`) after a few argument checks, and bump
/// a counter; they allocate nothing per call. ParleyEngine has no direct dependency on
/// COpus/CSRTP/CVPX, and the C-level setup helpers (`SRTPLibrary.createSession`,
/// `VideoEncoder.openEncoder`, `OpusBareCalls`' encoder setup) are not public, so the C
/// calls cannot be made from here without those changes. `parley bench` reports the
/// wrappers' own overhead against the bare C calls separately (within a few percent).
///
/// Everything (sessions, codecs, buffers, the input copied into one contiguous block) is
/// set up before the timed loop; the loop allocates nothing. It is timed as one span with
/// the thread CPU clock and the monotonic clock, not per call. After the loop the results
/// are checked (every unprotect gave the plaintext length back, every decode gave a whole
/// frame / a picture) and a `Failure` is thrown otherwise.
public enum MeshBareCalls {
    /// Why a bare mesh run could not be made or did not check out.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The input frames do not describe a mesh run (too few parties, different
        /// lengths, wrong frame sizes…).
        case badInput(String)
        /// The calls ran but their results are not what the work should give.
        case verificationFailed(String)

        public var description: String {
            switch self {
            case .badInput(let message): return "mesh baseline input: \(message)"
            case .verificationFailed(let message): return "mesh baseline check failed: \(message)"
            }
        }
    }

    /// Bytes of the RTP header the audio baseline writes: 12 fixed + 16 of extensions.
    static let audioHeaderLength = 28
    /// The engine's audio payload type (`MediaProfile.audioPayloadType`).
    static let audioPayloadType: UInt8 = 111

    // MARK: - Audio

    /// Runs the audio mesh baseline once, from new encoders, decoders and sessions
    /// (`MeshBareAudio` keeps them across runs).
    ///
    /// - Parameters:
    ///   - configuration: every encoder's settings (DTX as given; the default has it off).
    ///   - suite: the SRTP suite of every link; each directed link has its own random key.
    ///   - frames: `frames[p][t]` is party p's t-th frame, `configuration.frameSize ×
    ///     channels` interleaved samples; every party has the same number of frames (the ticks).
    /// - Throws: `Failure.badInput` for input that does not fit, the codecs' and SRTP's own
    ///   errors if a call fails, `Failure.verificationFailed` if a result is wrong.
    /// `warmupTicks`: the first ticks run untimed and uncounted (fresh encoders and
    /// decoders settle first, as a call's have).
    public static func audioMesh(
        configuration: OpusConfiguration, suite: SRTPSuite, frames: [[[Float]]], warmupTicks: Int = 0
    ) throws -> MeshBareMeasurement {
        try configuration.validate()
        guard frames.count >= 2 else {
            throw Failure.badInput("a mesh needs at least 2 parties; got \(frames.count)")
        }
        return try MeshBareAudio(configuration: configuration, suite: suite, parties: frames.count)
            .run(frames: frames, warmupTicks: warmupTicks)
    }

    /// Writes the fixed part of an audio RTP header at `buffer`: version 2 with the
    /// extension bit, payload type 111, `ssrc`, and the engine's one-byte-header extension
    /// block (`MediaProfile.extensions`: id 1 audio level, id 2 abs-send-time, id 3
    /// transport-wide sequence number, 3 bytes of padding). Sequence number, timestamp,
    /// abs-send-time and the transport sequence are written per packet.
    static func writeAudioHeader(_ buffer: UnsafeMutableRawPointer, ssrc: UInt32) {
        let header: [UInt8] = [
            0x90, audioPayloadType, 0, 0,  // V=2, X=1; PT; sequence number
            0, 0, 0, 0,  // timestamp
            UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF),
            0xBE, 0xDE, 0x00, 0x03,  // one-byte header extensions, 3 words
            0x10, 0x80 | 30,  // id 1, 1 byte: audio level (voice, -30 dBov)
            0x22, 0, 0, 0,  // id 2, 3 bytes: abs-send-time
            0x31, 0, 0,  // id 3, 2 bytes: transport-wide sequence number
            0, 0, 0,  // padding
        ]
        header.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: audioHeaderLength) }
    }

    // MARK: - Video

    /// Runs the video mesh baseline (codec calls only: no RTP, no SRTP).
    ///
    /// - Parameters:
    ///   - codec: VP8 or VP9, for every encoder and decoder.
    ///   - frames: `frames[p]` is party p's pictures, all complete I420 pictures of one size
    ///     and the same count for every party.
    ///   - frameRate: frames per second (the encoders' time base; `mediaSeconds = ticks / frameRate`).
    ///   - bitrateKbps, cpuUsed, threads: every encoder's settings (`threads` for the decoders too).
    /// - Throws: `Failure.badInput` for input that does not fit, `CodecError` if a call
    ///   fails, `Failure.verificationFailed` if a frame gave no compressed data or no picture.
    public static func videoMesh(
        codec: VideoCodecKind, frames: [[VideoFrame]], frameRate: Double, bitrateKbps: Int, cpuUsed: Int, threads: Int
    ) throws -> MeshBareMeasurement {
        let parties = frames.count
        guard parties >= 2 else {
            throw Failure.badInput("a mesh needs at least 2 parties; got \(parties)")
        }
        let ticks = frames[0].count
        guard ticks >= 1 else { throw Failure.badInput("party 0 has no pictures; give at least one frame") }
        guard frameRate.isFinite, frameRate > 0 else {
            throw Failure.badInput("frame rate \(frameRate) is not a positive number of frames per second")
        }
        let width = frames[0][0].width
        let height = frames[0][0].height
        for p in 0..<parties {
            guard frames[p].count == ticks else {
                throw Failure.badInput(
                    "party \(p) has \(frames[p].count) pictures but party 0 has \(ticks); every party needs the same number")
            }
            for f in 0..<ticks {
                let frame = frames[p][f]
                guard frame.width == width, frame.height == height, frame.data.count >= frame.byteCount else {
                    throw Failure.badInput(
                        "party \(p) picture \(f) is \(frame.width)x\(frame.height) with \(frame.data.count) bytes; "
                            + "every picture must be a complete I420 \(width)x\(height) picture")
                }
            }
        }

        // The encoders' time base: an integral rate as n/1, otherwise in thousandths.
        let (numerator, denominator) = frameRate == frameRate.rounded()
            ? (Int(frameRate), 1) : (Int((frameRate * 1000).rounded()), 1000)
        let configuration = VideoEncoderConfiguration(
            codec: codec, width: width, height: height, frameRateNumerator: numerator,
            frameRateDenominator: denominator, bitrateKbps: bitrateKbps, cpuUsed: cpuUsed, threads: threads)
        try configuration.validate()

        var encoders: [VideoEncoder] = []
        var encoded: [EncodedVideoFrame] = []
        let pictureBytes = VideoFrame.byteCount(width: width, height: height)
        for _ in 0..<parties {
            encoders.append(try VideoEncoder(configuration: configuration))
            encoded.append(EncodedVideoFrame(capacity: max(pictureBytes, 4096)))
        }
        // One decoder and one output picture per directed pair (index p * parties + q).
        var decoders: [VideoDecoder?] = Array(repeating: nil, count: parties * parties)
        var pictures: [VideoFrame] = Array(repeating: VideoFrame(width: 0, height: 0), count: parties * parties)
        for p in 0..<parties {
            for q in 0..<parties where q != p {
                decoders[p * parties + q] = try VideoDecoder(codec: codec, threads: threads)
                pictures[p * parties + q] = VideoFrame(width: width, height: height)
            }
        }

        var encodes = 0
        var decodes = 0
        var emptyEncodes = 0
        var missingPictures = 0

        let cpuStart = BenchmarkClock.threadCPUSeconds()
        let wallStart = BenchmarkClock.monotonicNanoseconds()
        var f = 0
        while f < ticks {
            var p = 0
            while p < parties {
                let produced = try encoders[p].encode(frames[p][f], pts: Int64(f), into: &encoded[p])
                encodes += 1
                if produced {
                    let size = encoded[p].size
                    var q = 0
                    while q < parties {
                        if q != p {
                            let link = p * parties + q
                            let pictured = try encoded[p].data.withUnsafeBytes { bytes -> Bool in
                                try decoders[link].unsafelyUnwrapped.decode(
                                    UnsafeRawBufferPointer(rebasing: bytes[0..<size]), into: &pictures[link])
                            }
                            decodes += 1
                            if !pictured { missingPictures += 1 }
                        }
                        q += 1
                    }
                } else {
                    emptyEncodes += 1
                }
                p += 1
            }
            f += 1
        }
        let wallNanoseconds = BenchmarkClock.monotonicNanoseconds() &- wallStart
        let cpuSeconds = BenchmarkClock.threadCPUSeconds() - cpuStart

        guard emptyEncodes == 0 else {
            throw Failure.verificationFailed("\(emptyEncodes) of \(encodes) encodes produced no compressed frame")
        }
        guard missingPictures == 0 else {
            throw Failure.verificationFailed("\(missingPictures) of \(decodes) decodes produced no picture")
        }
        for p in 0..<parties {
            for q in 0..<parties where q != p {
                let picture = pictures[p * parties + q]
                guard picture.width == width, picture.height == height else {
                    throw Failure.verificationFailed(
                        "decoder \(p)→\(q) produced a \(picture.width)x\(picture.height) picture, not \(width)x\(height)")
                }
            }
        }
        let mediaSeconds = Double(ticks) / frameRate
        let wallSeconds = Double(wallNanoseconds) / 1e9
        return MeshBareMeasurement(
            parties: parties, ticks: ticks, mediaSeconds: mediaSeconds, cpuSeconds: cpuSeconds,
            wallSeconds: wallSeconds, realtimeFactor: mediaSeconds / max(wallSeconds, 1e-9),
            encodes: encodes, decodes: decodes, protects: 0, unprotects: 0)
    }
}

/// The audio mesh baseline's state — per party an encoder, per directed link the sender's
/// outbound and the receiver's inbound SRTP session, a decoder and an RTP packet buffer —
/// made once and kept across `run`s, as a call keeps its own (`parley bench --mesh`
/// alternates short runs of it with the engine's mesh, both long-lived).
public final class MeshBareAudio {
    public typealias Failure = MeshBareCalls.Failure
    let configuration: OpusConfiguration
    let parties: Int
    private let channels: Int
    private let frameSize: Int
    private var encoders: [OpusEncoder] = []
    private var decoders: [OpusDecoder?]
    private var outbound: [SRTPSession?]
    private var inbound: [SRTPSession?]
    private let packetCapacity: Int
    private let rtp: UnsafeMutableRawPointer
    private var sequence: [UInt16]
    private var timestamp: [UInt32]
    private var transportSequence: [UInt16]
    private let encoded: UnsafeMutableRawBufferPointer
    private let decoded: UnsafeMutableBufferPointer<Float>
    private var absSendTime: UInt32 = 0

    public init(configuration: OpusConfiguration, suite: SRTPSuite, parties: Int) throws {
        try configuration.validate()
        guard parties >= 2 else { throw Failure.badInput("a mesh needs at least 2 parties; got \(parties)") }
        self.configuration = configuration
        self.parties = parties
        channels = configuration.channels
        frameSize = configuration.frameSize
        let audioHeaderLength = MeshBareCalls.audioHeaderLength
        // Codecs: one encoder per party, one decoder per directed pair (index p * parties + q).
        for _ in 0..<parties { encoders.append(try OpusEncoder(configuration: configuration)) }
        decoders = Array(repeating: nil, count: parties * parties)
        // SRTP: per directed pair, an outbound session of the sender and an inbound session
        // of the receiver, both for the link's SSRC and keyed with the link's random key.
        outbound = Array(repeating: nil, count: parties * parties)
        inbound = Array(repeating: nil, count: parties * parties)
        // Per directed pair: the RTP packet buffer, its sequence number and timestamp.
        packetCapacity = audioHeaderLength + OpusEncoder.maximumPacketSize + SRTPSession.maximumTrailerLength
        rtp = UnsafeMutableRawPointer.allocate(byteCount: parties * parties * packetCapacity, alignment: 16)
        rtp.initializeMemory(as: UInt8.self, repeating: 0, count: parties * parties * packetCapacity)
        sequence = [UInt16](repeating: 0, count: parties * parties)
        timestamp = [UInt32](repeating: 0, count: parties * parties)
        transportSequence = [UInt16](repeating: 0, count: parties)
        encoded = UnsafeMutableRawBufferPointer.allocate(byteCount: parties * OpusEncoder.maximumPacketSize, alignment: 16)
        let decodedCount = configuration.sampleRate * 120 / 1000 * configuration.channels  // 120 ms, as the wrapper and OpusBareCalls
        decoded = UnsafeMutableBufferPointer<Float>.allocate(capacity: decodedCount)
        decoded.initialize(repeating: 0)
        for p in 0..<parties {
            for q in 0..<parties where q != p {
                let link = p * parties + q
                let ssrc = UInt32(0x5041_0000) | UInt32(p) << 8 | UInt32(q)
                let key = try SecureRandom.bytes(count: suite.keyingMaterialLength)
                outbound[link] = try SRTPSession(suite: suite, masterKey: key, direction: .outbound, ssrc: .specific(ssrc))
                inbound[link] = try SRTPSession(suite: suite, masterKey: key, direction: .inbound, ssrc: .specific(ssrc))
                decoders[link] = try OpusDecoder(sampleRate: configuration.sampleRate, channels: channels)
                sequence[link] = UInt16(truncatingIfNeeded: 1000 * p + 100 * q + 7)
                timestamp[link] = UInt32(truncatingIfNeeded: 0x1000_0000 &* UInt32(p + 1) &+ UInt32(q) &* 0x0100_0000)
                MeshBareCalls.writeAudioHeader(rtp + link * packetCapacity, ssrc: ssrc)
            }
        }
    }

    deinit {
        rtp.deallocate()
        encoded.deallocate()
        decoded.deallocate()
    }

    /// Runs `frames[p][t]` (party p's t-th frame) through the calls, going on from the
    /// last run's state; the first `warmupTicks` ticks untimed and uncounted.
    public func run(frames: [[[Float]]], warmupTicks: Int = 0) throws -> MeshBareMeasurement {
        guard frames.count == parties else {
            throw Failure.badInput("\(frames.count) parties' frames for a baseline of \(parties) parties")
        }
        let audioHeaderLength = MeshBareCalls.audioHeaderLength
        let configuration = self.configuration
        let frameSize = self.frameSize
        let channels = self.channels
        let samplesPerFrame = frameSize * channels
        let ticks = frames[0].count
        guard ticks >= 1 else { throw Failure.badInput("party 0 has no frames; give at least one tick") }
        for p in 0..<parties {
            guard frames[p].count == ticks else {
                throw Failure.badInput(
                    "party \(p) has \(frames[p].count) frames but party 0 has \(ticks); every party needs the same number")
            }
            for t in 0..<ticks where frames[p][t].count != samplesPerFrame {
                throw Failure.badInput(
                    "party \(p) frame \(t) has \(frames[p][t].count) samples; each frame must hold \(samplesPerFrame) "
                        + "(\(frameSize) samples × \(channels) channel\(channels == 1 ? "" : "s"))")
            }
        }

        // The input, copied into one block: pcm + (p * ticks + t) * samplesPerFrame.
        let pcm = UnsafeMutablePointer<Float>.allocate(capacity: parties * ticks * samplesPerFrame)
        defer { pcm.deallocate() }
        for p in 0..<parties {
            for t in 0..<ticks {
                frames[p][t].withUnsafeBufferPointer { source in
                    (pcm + (p * ticks + t) * samplesPerFrame).initialize(from: source.baseAddress!, count: samplesPerFrame)
                }
            }
        }

        var encodes = 0
        var protects = 0
        var unprotects = 0
        var decodes = 0
        var shortFrames = 0
        var wrongLengths = 0
        var lastUnprotectedLength = 0
        var lastPlaintextLength = 0
        let frameTicks = UInt32(frameSize)
        // The state in locals for the loop (no class property access per call), the
        // counters written back after it.
        let packetCapacity = self.packetCapacity, rtp = self.rtp, encoded = self.encoded, decoded = self.decoded
        let encoders = self.encoders, decoders = self.decoders, outbound = self.outbound, inbound = self.inbound
        var sequence = self.sequence, timestamp = self.timestamp, transportSequence = self.transportSequence
        var absSendTime = self.absSendTime
        defer {
            self.sequence = sequence
            self.timestamp = timestamp
            self.transportSequence = transportSequence
            self.absSendTime = absSendTime
        }
        let absSendTimeStep = UInt32(frameSize * (1 << 18) / configuration.sampleRate)  // 6.18 fixed point

        let warmup = min(max(0, warmupTicks), ticks - 1)
        var cpuStart = BenchmarkClock.threadCPUSeconds()
        var wallStart = BenchmarkClock.monotonicNanoseconds()
        var t = 0
        while t < ticks {
            if t == warmup && warmup > 0 {
                encodes = 0; protects = 0; unprotects = 0; decodes = 0
                cpuStart = BenchmarkClock.threadCPUSeconds()
                wallStart = BenchmarkClock.monotonicNanoseconds()
            }
            absSendTime = (absSendTime &+ absSendTimeStep) & 0x00FF_FFFF
            var p = 0
            while p < parties {
                let input = UnsafeBufferPointer(start: pcm + (p * ticks + t) * samplesPerFrame, count: samplesPerFrame)
                let packet = UnsafeMutableRawBufferPointer(
                    rebasing: encoded[(p * OpusEncoder.maximumPacketSize)..<((p + 1) * OpusEncoder.maximumPacketSize)])
                let payloadLength = try encoders[p].encode(input, into: packet)
                encodes += 1
                var q = 0
                while q < parties {
                    if q != p {
                        let link = p * parties + q
                        let buffer = rtp + link * packetCapacity
                        // RTP header fields of this packet; the payload after the header.
                        let seq = sequence[link]
                        sequence[link] = seq &+ 1
                        let ts = timestamp[link]
                        timestamp[link] = ts &+ frameTicks
                        let tseq = transportSequence[p]
                        transportSequence[p] = tseq &+ 1
                        buffer.storeBytes(of: UInt8(seq >> 8), toByteOffset: 2, as: UInt8.self)
                        buffer.storeBytes(of: UInt8(seq & 0xFF), toByteOffset: 3, as: UInt8.self)
                        buffer.storeBytes(of: ts.bigEndian, toByteOffset: 4, as: UInt32.self)
                        buffer.storeBytes(of: UInt8(absSendTime >> 16), toByteOffset: 19, as: UInt8.self)
                        buffer.storeBytes(of: UInt8((absSendTime >> 8) & 0xFF), toByteOffset: 20, as: UInt8.self)
                        buffer.storeBytes(of: UInt8(absSendTime & 0xFF), toByteOffset: 21, as: UInt8.self)
                        buffer.storeBytes(of: UInt8(tseq >> 8), toByteOffset: 23, as: UInt8.self)
                        buffer.storeBytes(of: UInt8(tseq & 0xFF), toByteOffset: 24, as: UInt8.self)
                        (buffer + audioHeaderLength).copyMemory(from: packet.baseAddress!, byteCount: payloadLength)
                        let plaintextLength = audioHeaderLength + payloadLength
                        let whole = UnsafeMutableRawBufferPointer(start: buffer, count: packetCapacity)

                        let protectedLength = try outbound[link].unsafelyUnwrapped.protectRTP(whole, length: plaintextLength)
                        protects += 1
                        let unprotectedLength = try inbound[link].unsafelyUnwrapped.unprotectRTP(whole, length: protectedLength)
                        unprotects += 1
                        if unprotectedLength != plaintextLength { wrongLengths += 1 }
                        lastUnprotectedLength = unprotectedLength
                        lastPlaintextLength = plaintextLength

                        let samples = try decoders[link].unsafelyUnwrapped.decode(
                            UnsafeRawBufferPointer(start: buffer + audioHeaderLength, count: unprotectedLength - audioHeaderLength),
                            into: decoded)
                        decodes += 1
                        if samples != frameSize { shortFrames += 1 }
                    }
                    q += 1
                }
                p += 1
            }
            t += 1
        }
        let wallNanoseconds = BenchmarkClock.monotonicNanoseconds() &- wallStart
        let cpuSeconds = BenchmarkClock.threadCPUSeconds() - cpuStart

        let links = parties * (parties - 1)
        let timed = ticks - warmup  // the ticks measured
        guard wrongLengths == 0 else {
            throw Failure.verificationFailed(
                "\(wrongLengths) of \(unprotects) unprotects did not give the plaintext length back "
                    + "(last: \(lastUnprotectedLength) bytes, expected \(lastPlaintextLength))")
        }
        guard shortFrames == 0 else {
            throw Failure.verificationFailed("\(shortFrames) of \(decodes) decodes did not give \(frameSize) samples")
        }
        guard encodes == parties * timed, protects == links * timed, unprotects == protects, decodes == protects else {
            throw Failure.verificationFailed(
                "counts \(encodes) encodes, \(protects) protects, \(unprotects) unprotects, \(decodes) decodes; "
                    + "expected \(parties * timed), then \(links * timed) each")
        }
        let mediaSeconds = Double(timed * configuration.frameDurationMilliseconds) / 1000
        return MeshBareMeasurement(
            parties: parties, ticks: timed, mediaSeconds: mediaSeconds, cpuSeconds: cpuSeconds,
            wallSeconds: Double(wallNanoseconds) / 1e9,
            realtimeFactor: mediaSeconds / max(cpuSeconds, 1e-9),
            encodes: encodes, decodes: decodes, protects: protects, unprotects: unprotects)
    }

}
