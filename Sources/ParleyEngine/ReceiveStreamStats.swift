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
