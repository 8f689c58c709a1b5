import ParleyMetrics

extension AudioReceiveStream {
    /// The stream's cumulative webrtc-stats (nil before its first packet).
    public func inboundStats() -> InboundAudioStats? {
        guard let ssrc else { return nil }
        var stats = InboundAudioStats(ssrc: ssrc)
        stats.packetsReceived = packetsReceived
        stats.packetsLost = statistics.packetsLost
        stats.jitter = statistics.jitter
        stats.bytesReceived = bytesReceived
        stats.packetsDiscarded = latePackets
        stats.jitterBufferEmittedCount = (framesDecoded + framesConcealed) * frameSize
        stats.totalSamplesReceived = stats.jitterBufferEmittedCount
        stats.concealedSamples = framesConcealed * frameSize
        stats.concealmentEvents = concealmentEvents
        if let jitterBuffer {
            let j = jitterBuffer.statistics
            stats.jitterBufferDelay = j.jitterBufferDelay
            stats.jitterBufferTargetDelay = j.jitterBufferTargetDelay
            stats.jitterBufferEmittedCount = j.jitterBufferEmittedCount
            stats.totalSamplesReceived = j.totalSamplesReceived
            stats.concealedSamples = j.concealedSamples
            stats.silentConcealedSamples = j.silentConcealedSamples
            stats.concealmentEvents = j.concealmentEvents
            stats.insertedSamplesForDeceleration = j.insertedSamplesForDeceleration
            stats.removedSamplesForAcceleration = j.removedSamplesForAcceleration
            stats.packetsDiscarded = j.packetsDiscarded
            stats.fecPacketsReceived = j.fecPacketsRecovered
        }
        return stats
    }
}

extension VideoReceiveStream {
    /// The stream's cumulative webrtc-stats (nil before its first packet).
    public func inboundStats(width: Int = 0, height: Int = 0) -> InboundVideoStats? {
        guard let ssrc else { return nil }
        var stats = InboundVideoStats(ssrc: ssrc)
        stats.packetsReceived = packetsReceived
        stats.packetsLost = statistics.packetsLost
        stats.jitter = statistics.jitter
        stats.bytesReceived = bytesReceived
        stats.framesReceived = bufferCounters.framesReceived
        stats.framesDecoded = framesDecoded
        stats.framesDropped = framesDropped
        stats.frameWidth = width
        stats.frameHeight = height
        stats.totalDecodeTime = decodeTimer.threadSeconds
        stats.freezeCount = freezes.freezeCount
        stats.totalFreezesDuration = freezes.totalFreezesDuration
        stats.nackCount = nackCounters.nackPackets
        stats.pliCount = bufferCounters.keyframeRequests
        return stats
    }
}

extension AudioReceiveStream {
    /// The E-model's view of the played audio so far (its loss runs), for a mouth-to-ear
    /// delay and bitrate the caller knows; nil before anything was played.
    func callQuality(oneWayDelayMilliseconds: Double, bitrate: Double) -> CallQuality? {
        guard lossRuns.packets > 0 else { return nil }
        return CallQuality(oneWayDelayMilliseconds: oneWayDelayMilliseconds, lossRatio: lossRuns.lossRatio,
                           burstRatio: lossRuns.burstRatio, codec: .opus(bitrate: bitrate))
    }

    /// The jitter buffer's mean delay of the played audio so far, seconds (webrtc-stats:
    /// jitterBufferDelay / jitterBufferEmittedCount); 0 without a jitter buffer.
    public var meanJitterBufferDelay: Double {
        guard let s = jitterBuffer?.statistics, s.jitterBufferEmittedCount > 0 else { return 0 }
        return s.jitterBufferDelay / Double(s.jitterBufferEmittedCount)
    }

    /// The E-model's view of a loopback's played audio, whose mouth-to-ear delay is
    /// packetization (one frame of `frameDurationMilliseconds`) + Opus's lookahead (6.5 ms)
    /// + the emulated network's mean one-way delay (`networkDelay`, seconds) + the jitter
    /// buffer's mean delay; nil before anything was played.
    func callQuality(networkDelay: Double, frameDurationMilliseconds: Int, bitrate: Double) -> CallQuality? {
        callQuality(oneWayDelayMilliseconds: Double(frameDurationMilliseconds) + 6.5 + (networkDelay + meanJitterBufferDelay) * 1000,
                    bitrate: bitrate)
    }

    /// Milliseconds of audio in one frame.
    var frameMilliseconds: Double { Double(frameSize) * 1000 / Double(sampleRate) }
}

extension StatsSample {
    /// A receiving side's sample: its streams' stats, the round trip RTCP measured (as a
    /// remote-inbound entry of the first stream) and the audio quality.
    static func receiving(
        at time: Double, audio: InboundAudioStats?, video: InboundVideoStats?, roundTripTime: Double?,
        quality: CallQuality?
    ) -> StatsSample {
        var remote: [RemoteInboundStats] = []
        if let roundTripTime, let ssrc = audio?.ssrc ?? video?.ssrc {
            var stats = RemoteInboundStats(kind: audio != nil ? "audio" : "video", ssrc: ssrc)
            stats.roundTripTime = roundTripTime
            remote.append(stats)
        }
        return StatsSample(timestamp: time, inboundAudio: audio.map { [$0] } ?? [], inboundVideo: video.map { [$0] } ?? [],
                           remoteInbound: remote, quality: quality)
    }
}
