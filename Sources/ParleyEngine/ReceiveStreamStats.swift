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
