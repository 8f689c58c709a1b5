import ParleyCore

/// An adaptive audio jitter buffer in the manner of WebRTC NetEq, driven by two calls:
/// `insert` when an RTP packet arrives (any thread's arrival time, on the receiver's
/// clock) and `pull` once per 10/20 ms tick of the playout clock, which always yields one
/// frame of PCM.
///
/// - Target delay: `DelayManager` (relative arrival delay histogram with forgetting,
///   quantile, floor and ceiling). The target is a *slack*: how long before the pull that
///   needs it a packet of zero relative delay should arrive.
/// - Decision per decoded packet (NetEq DecisionLogic, measured on the packet): its slack
///   is (pull time − arrival) + its relative delay. Below the target, *preemptive
///   expand* (decode and repeat a pitch period); a whole pull above it, *accelerate*
///   (decode and remove one); otherwise decoded audio left queued from earlier stretches
///   is pure added delay and is removed. Both go through `TimeStretcher`, so clock drift
///   and target changes are absorbed smoothly. A missing packet is recovered from
///   the next packet's in-band FEC when that packet is here, concealed (decoder PLC)
///   otherwise; with nothing buffered the buffer conceals without advancing (the packet
///   may only be late), and skips what it already concealed when packets resume.
///   After a DTX packet, comfort noise fills the gap.
/// - Reordering (in-order insertion), duplicates and too-late packets (discarded and
///   counted), timestamp jumps and SSRC changes (reset) are handled; malformed packets
///   are counted drops, never crashes.
///
/// Not thread-safe: the engine confines it to the media thread (packets reach it through
/// the receive ring). All storage is allocated in `init`.
public final class AudioJitterBuffer {
    public let configuration: JitterBufferConfiguration
    public let format: AudioFormat
    /// Pulls to wait before the next try at cutting queued audio after one that failed.
    private var wasteRetryIn = 0
    /// Samples per channel of one `pull`.
    public let outputFrameSize: Int
    public private(set) var statistics = JitterBufferStatistics()

    private let decoder: AudioDecoding
    private let channels: Int
    private let sampleRate: Int
    private let rtpPerSample: Int64
    private let packetSamples: Int
    private let packetRTP: Int64
    private var packets: PacketBuffer
    private var delay: DelayManager
    private var stretcher: TimeStretcher

    // Decoded audio waiting to be pulled (interleaved), and decode scratch space.
    private var fifo: [Float]
    private var fifoCount = 0 // samples per channel
    /// During a `pull`: its output and how many samples per channel of it are filled.
    private var pullOutput: UnsafeMutablePointer<Float>?
    private var pullFilled = 0
    /// Decoded audio queued ahead of the next decode: the part of the pull's output
    /// already filled and the FIFO (samples per channel).
    private var queuedFrames: Int { pullFilled + fifoCount }
    private let scratch: DecodeScratch
    private let scratchFrames: Int

    // Stream state.
    private var ssrc: UInt32?
    private var lastRawTimestamp: UInt32 = 0
    private var lastUnwrapped: Int64 = 0
    private var anchored = false
    private var playing = false
    private var playoutTimestamp: Int64 = 0
    private var comfortNoiseMode = false
    private var stalledFrames = 0
    private var filteredLevel: Double = 0
    private var concealing = false
    private var played: [Int64]

    /// `decodeScratch`: decode space shared with other buffers pulled on the same thread
    /// (a mesh call's receivers): one hot buffer instead of one cold buffer each.
    public init(decoder: AudioDecoding, configuration: JitterBufferConfiguration = JitterBufferConfiguration(),
                decodeScratch: DecodeScratch? = nil) throws {
        let format = decoder.format
        try configuration.validate(sampleRate: format.sampleRate)
        guard format.channels >= 1, format.channels <= 8 else {
            throw PlayoutError.decoderFormatMismatch(expected: "1 to 8 channels", got: format.description)
        }
        self.decoder = decoder
        self.configuration = configuration
        self.format = format
        channels = format.channels
        sampleRate = format.sampleRate
        rtpPerSample = Int64(configuration.rtpClockRate / format.sampleRate)
        outputFrameSize = format.frames(milliseconds: configuration.outputFrameMilliseconds)
        packetSamples = format.frames(milliseconds: configuration.packetMilliseconds)
        packetRTP = Int64(packetSamples) * Int64(configuration.rtpClockRate / format.sampleRate)
        packets = PacketBuffer(capacity: configuration.capacity, maximumPayload: configuration.maximumPayloadBytes)
        delay = DelayManager(configuration: configuration)
        stretcher = TimeStretcher(sampleRate: format.sampleRate, channels: format.channels)
        // Largest decode: 120 ms (Opus maximum) plus one inserted period.
        scratchFrames = format.frames(milliseconds: 120) + stretcher.maximumLag
        scratch = decodeScratch ?? DecodeScratch()
        scratch.reserve(scratchFrames * format.channels)
        fifo = [Float](repeating: 0, count: (scratchFrames + 2 * outputFrameSize) * format.channels)
        played = [Int64](repeating: Int64.min, count: 64)
    }

    /// The slack the buffer currently aims for (see the type's notes), seconds.
    public var targetDelay: Double { delay.targetDelay }
    /// Audio waiting (decoded plus buffered packets up to the newest), seconds.
    public var bufferLevel: Double { level() }
    /// `bufferLevel` as of the newest arrival, smoothed (informational), seconds.
    public var smoothedBufferLevel: Double { filteredLevel }
    /// Packets waiting.
    public var packetCount: Int { packets.count }

    /// Hands the buffer one received RTP packet. `arrival` is the receive time in seconds
    /// on the receiver's clock (the same clock `pull` is paced by).
    public func insert(_ payload: ArraySlice<UInt8>, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, arrival: Double) {
        statistics.packetsReceived += 1
        guard !payload.isEmpty, payload.count <= configuration.maximumPayloadBytes, arrival.isFinite else {
            statistics.malformedPacketsDiscarded += 1
            statistics.packetsDiscarded += 1
            return
        }
        if let current = self.ssrc, current != ssrc {
            resetStream()
        }
        self.ssrc = ssrc
        var unwrapped: Int64
        if !anchored {
            anchored = true
            lastRawTimestamp = timestamp
            lastUnwrapped = Int64(timestamp)
            unwrapped = lastUnwrapped
        } else {
            unwrapped = lastUnwrapped + Int64(Int32(bitPattern: timestamp &- lastRawTimestamp))
        }
        // Timestamp jump: far from where playout (or the buffer) is.
        let reference = playing ? playoutTimestamp : lastUnwrapped
        let jump = Int64(configuration.timestampJumpThreshold * Double(configuration.rtpClockRate))
        if abs(unwrapped - reference) > jump {
            resetStream()
            anchored = true
            lastRawTimestamp = timestamp
            lastUnwrapped = Int64(timestamp)
            unwrapped = lastUnwrapped
        }
        if unwrapped > lastUnwrapped {
            lastUnwrapped = unwrapped
            lastRawTimestamp = timestamp
        }
        // Duplicate of something already played?
        let slot = Int((unwrapped / max(1, packetRTP)) & 63)
        if played[slot] == unwrapped {
            statistics.duplicatePacketsDiscarded += 1
            statistics.packetsDiscarded += 1
            return
        }
        if packets.position(of: unwrapped) != nil {
            statistics.duplicatePacketsDiscarded += 1
            statistics.packetsDiscarded += 1
            return
        }
        delay.update(arrival: arrival, mediaTime: Double(unwrapped) / Double(configuration.rtpClockRate))
        if playing && !comfortNoiseMode && unwrapped < playoutTimestamp {
            statistics.latePacketsDiscarded += 1
            statistics.packetsDiscarded += 1
            return
        }
        if packets.isFull {
            packets.remove(at: 0)
            statistics.overflowPacketsDiscarded += 1
            statistics.packetsDiscarded += 1
        }
        let dtx = decoder.isDiscontinuousTransmission(payload)
        _ = packets.insert(payload, timestamp: unwrapped, sequenceNumber: sequenceNumber, arrival: arrival, isDTX: dtx,
                           relativeDelay: delay.lastRelativeDelay)
    }

    /// Convenience for a whole array payload.
    public func insert(_ payload: [UInt8], sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, arrival: Double) {
        insert(payload[...], sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc, arrival: arrival)
    }

    /// Produces exactly `outputFrameSize` samples per channel into `output` (whose count
    /// must be at least `outputFrameSize * channels`; a shorter buffer gets nothing and
    /// `.buffering` back). `now` is the playout clock, seconds.
    public func pull(now: Double, into output: inout [Float]) -> PullResult {
        output.withUnsafeMutableBufferPointer { pull(now: now, into: $0) }
    }

    /// `pull` into a caller's buffer (a mixer's input slot: no copy in between).
    public func pull(now: Double, into output: UnsafeMutableBufferPointer<Float>) -> PullResult {
        let need = outputFrameSize
        guard output.count >= need * channels, output.baseAddress != nil else { return PullResult(operation: .buffering) }
        var result = PullResult(operation: .normal)
        if !playing {
            if canStart(now: now) {
                playing = true
                playoutTimestamp = packets.entry(at: 0).timestamp
                filteredLevel = arrivalLevel(now: now)
                stalledFrames = 0
            } else {
                for i in 0..<(need * channels) { output[i] = 0 }
                statistics.totalSamplesReceived += need
                result.operation = .buffering
                result.targetDelay = delay.targetDelay
                result.bufferLevel = level()
                return result
            }
        }
        let s = configuration.levelSmoothing
        filteredLevel = s * filteredLevel + (1 - s) * arrivalLevel(now: now)
        // Decoded audio goes straight into `output` (what is left from the last pull first),
        // and only what does not fit waits in the FIFO: in the usual pull one decode fills
        // the output and the FIFO is never touched.
        let out = output.baseAddress!
        let fromFifo = min(fifoCount, need)
        let remaining = (fifoCount - fromFifo) * channels
        if fromFifo > 0 {
            fifo.withUnsafeMutableBufferPointer { fifo in
                out.update(from: fifo.baseAddress!, count: fromFifo * channels)
                if remaining > 0 { fifo.baseAddress!.update(from: fifo.baseAddress! + fromFifo * channels, count: remaining) }
            }
        }
        fifoCount -= fromFifo
        pullOutput = out
        pullFilled = fromFifo
        var guardRounds = 0
        while pullFilled < need && guardRounds < 16 {
            refill(now: now, result: &result)
            guardRounds += 1
        }
        let filled = pullFilled
        pullOutput = nil
        pullFilled = 0
        if filled < need { // Cannot happen with a sane decoder; pad with silence.
            (out + filled * channels).update(repeating: 0, count: (need - filled) * channels)
        }
        statistics.totalSamplesReceived += need
        result.targetDelay = delay.targetDelay
        result.bufferLevel = level()
        return result
    }

    // MARK: - Decisions

    private func canStart(now: Double) -> Bool {
        guard !packets.isEmpty else { return false }
        let first = packets.entry(at: 0)
        let packetDuration = Double(packetSamples) / Double(sampleRate)
        if span() >= delay.targetDelay + packetDuration { return true }
        return now - first.arrival + first.relativeDelay >= delay.targetDelay
    }

    /// Seconds from the playout point to the end of the newest buffered packet.
    private func span() -> Double {
        guard !packets.isEmpty else { return 0 }
        let from = playing ? playoutTimestamp : packets.entry(at: 0).timestamp
        let last = packets.entry(at: packets.count - 1).timestamp
        return Double(max(0, last + packetRTP - from)) / Double(configuration.rtpClockRate)
    }

    private func level() -> Double { Double(fifoCount) / Double(sampleRate) + span() }

    /// The level as it stood when the newest packet arrived: the current level plus the
    /// time since. Between arrivals it does not move, so it follows drift and the arrival
    /// pattern smoothly instead of the saw-tooth the pulls carve into `level()`.
    private func arrivalLevel(now: Double) -> Double {
        guard !packets.isEmpty else { return level() }
        let newest = packets.entry(at: packets.count - 1)
        return level() + max(0, now - newest.arrival)
    }

    private func refill(now: Double, result: inout PullResult) {
        let target = delay.targetDelay
        if packets.isEmpty {
            if comfortNoiseMode {
                appendComfortNoise(advance: true, result: &result)
            } else {
                stalledFrames += 1
                appendConcealment(result: &result)
            }
            return
        }
        let first = packets.entry(at: 0)
        if comfortNoiseMode {
            if first.timestamp <= playoutTimestamp || span() >= target {
                comfortNoiseMode = false
                playoutTimestamp = first.timestamp
            } else {
                appendComfortNoise(advance: true, result: &result)
                return
            }
        }
        if first.timestamp > playoutTimestamp && stalledFrames > 0 {
            // What was concealed while nothing was buffered stands in for the missing packets.
            playoutTimestamp = min(first.timestamp, playoutTimestamp + Int64(stalledFrames) * packetRTP)
            stalledFrames = 0
        }
        stalledFrames = 0
        if first.timestamp <= playoutTimestamp {
            decodeFirst(now: now, target: target, result: &result)
            return
        }
        // The packet at the playout point is missing but later ones are here.
        if first.timestamp == playoutTimestamp + packetRTP, !first.isDTX {
            let payload = packets.payload(at: 0)
            let recovered: Int?
            do { recovered = try decoder.decodeFEC(from: payload, frameSize: packetSamples, into: &scratch.samples) } catch { recovered = nil }
            if let n = recovered, n > 0, n <= scratchFrames {
                statistics.fecPacketsRecovered += 1
                concealing = false
                appendScratch(frames: n)
                playoutTimestamp += Int64(n) * rtpPerSample
                result.operation = .fec
                return
            }
        }
        playoutTimestamp += packetRTP
        appendConcealment(result: &result)
    }

    private func decodeFirst(now: Double, target: Double, result: inout PullResult) {
        let entry = packets.entry(at: 0)
        let payload = packets.payload(at: 0)
        if entry.isDTX {
            packets.remove(at: 0)
            markPlayed(entry.timestamp)
            playoutTimestamp = entry.timestamp + packetRTP
            comfortNoiseMode = true
            appendComfortNoise(advance: false, result: &result)
            return
        }
        let decoded: Int
        do { decoded = try decoder.decode(payload, into: &scratch.samples) } catch { decoded = 0 }
        packets.remove(at: 0)
        markPlayed(entry.timestamp)
        guard decoded > 0, decoded + stretcher.maximumLag <= scratchFrames else {
            statistics.malformedPacketsDiscarded += 1
            statistics.packetsDiscarded += 1
            playoutTimestamp = entry.timestamp + packetRTP
            appendConcealment(result: &result)
            return
        }
        playoutTimestamp = entry.timestamp + Int64(decoded) * rtpPerSample
        concealing = false
        // NetEq-style decision, measured on the packet itself: its *slack* — how long before
        // this pull it arrived, plus how late it was relative to the fastest packet — is
        // the slack a zero-relative-delay packet gets. The target covers the quantile of
        // relative delays; decoded audio still queued (`waste`) only adds delay.
        let slack = now - entry.arrival + entry.relativeDelay
        let queued = queuedFrames
        let waste = Double(queued) / Double(sampleRate)
        let grid = Double(outputFrameSize) / Double(sampleRate)
        var frames = decoded
        // With nothing else buffered, a cut must leave this pull whole: removing more than
        // the decoded audio spares would only be concealed again a moment later.
        let spare = packets.isEmpty ? max(0, fifoCount + decoded - (outputFrameSize - pullFilled)) : Int.max
        var operation = PlayoutOperation.normal
        var removed = 0, inserted = 0
        if slack < target - configuration.lowerBand {
            inserted = stretcher.preemptiveExpand(&scratch.samples, frames: frames, desired: Int((target - slack) * Double(sampleRate)))
        } else if slack >= target + grid + configuration.upperBand {
            // A whole pull of slack to spare: shorten past the queued audio.
            removed = stretcher.accelerate(&scratch.samples, frames: frames, desired: Int((slack - target) * Double(sampleRate)),
                                           limit: spare)
        } else if waste >= Double(stretcher.minimumLag) / Double(sampleRate) {
            // Queued audio is only a little added delay: try to cut it, but after a try that
            // found no period to cut (speech that is not voiced just now), wait a few frames
            // before the next pitch search instead of searching at every pull.
            if wasteRetryIn > 0 {
                wasteRetryIn -= 1
            } else {
                removed = stretcher.accelerate(&scratch.samples, frames: frames, desired: queued, limit: min(queued, spare))
                if removed == 0 { wasteRetryIn = 4 }
            }
        }
        if removed > 0 {
            frames -= removed
            operation = .accelerate
            statistics.removedSamplesForAcceleration += removed
        } else if inserted > 0 {
            frames += inserted
            operation = .preemptiveExpand
            statistics.insertedSamplesForDeceleration += inserted
        }
        let offset = queued
        let emitTime = now + Double(offset) / Double(sampleRate)
        statistics.jitterBufferDelay += max(0, emitTime - entry.arrival) * Double(frames)
        statistics.jitterBufferTargetDelay += target * Double(frames)
        statistics.jitterBufferEmittedCount += frames
        appendScratch(frames: frames)
        result.operation = operation
        result.decodedTimestamp = UInt32(truncatingIfNeeded: entry.timestamp)
        result.decodedOffset = offset
    }

    // MARK: - Output assembly

    private func appendScratch(frames: Int) {
        guard frames > 0, frames * channels <= scratch.samples.count else { return }
        var from = 0
        if let out = pullOutput, pullFilled < outputFrameSize {
            from = min(frames, outputFrameSize - pullFilled)
            scratch.samples.withUnsafeBufferPointer { scratch in
                (out + pullFilled * channels).update(from: scratch.baseAddress!, count: from * channels)
            }
            pullFilled += from
        }
        let n = (frames - from) * channels
        let start = fifoCount * channels
        guard n > 0, start + n <= fifo.count else { return }
        fifo.withUnsafeMutableBufferPointer { fifo in
            scratch.samples.withUnsafeBufferPointer { scratch in
                (fifo.baseAddress! + start).update(from: scratch.baseAddress! + from * channels, count: n)
            }
        }
        fifoCount += frames - from
    }

    private func appendConcealment(result: inout PullResult) {
        let n = decoder.conceal(frameSize: packetSamples, into: &scratch.samples)
        let frames = min(max(0, n), scratchFrames)
        var energy: Float = 0
        var i = 0
        while i < frames * channels { energy += scratch.samples[i] * scratch.samples[i]; i += 1 }
        statistics.concealedSamples += frames
        if frames > 0 && energy / Float(frames * channels) < 1e-6 { statistics.silentConcealedSamples += frames }
        if !concealing { statistics.concealmentEvents += 1; concealing = true }
        appendScratch(frames: frames)
        result.operation = .expand
    }

    private func appendComfortNoise(advance: Bool, result: inout PullResult) {
        let n = decoder.comfortNoise(frameSize: packetSamples, into: &scratch.samples)
        let frames = min(max(0, n), scratchFrames)
        statistics.comfortNoiseSamples += frames
        concealing = false
        appendScratch(frames: frames)
        if advance { playoutTimestamp += Int64(frames) * rtpPerSample }
        result.operation = .comfortNoise
    }

    private func markPlayed(_ timestamp: Int64) {
        played[Int((timestamp / max(1, packetRTP)) & 63)] = timestamp
    }

    /// Forgets the stream (SSRC change, timestamp jump): packets, decoded audio, timeline.
    /// The delay statistics stay (same network path) but the fastest-packet window restarts.
    private func resetStream() {
        packets.removeAll()
        fifoCount = 0
        playing = false
        anchored = false
        comfortNoiseMode = false
        stalledFrames = 0
        concealing = false
        for i in 0..<played.count { played[i] = Int64.min }
        delay.resetWindow()
        decoder.reset()
        statistics.resets += 1
    }
}

/// Decode scratch space for `AudioJitterBuffer`s. A decode's samples live in it only
/// within one `pull`, so buffers pulled one after another on the same thread can share
/// one: its memory stays in cache instead of each buffer touching its own. Never share one
/// between buffers pulled on different threads.
public final class DecodeScratch: @unchecked Sendable {
    var samples: [Float] = []

    public init() {}

    /// Grows the space to at least `count` samples (when a buffer is made, not per pull).
    func reserve(_ count: Int) {
        if samples.count < count { samples = [Float](repeating: 0, count: count) }
    }
}
