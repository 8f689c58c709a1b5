/// What one `pull` did to produce its frame (NetEq's operations).
public enum PlayoutOperation: String, Sendable, Codable, CaseIterable {
    /// Waiting for the first packets to reach the target delay: silence.
    case buffering
    /// Played decoded audio at its natural length.
    case normal
    /// Decoded a packet and removed a pitch period (buffer above target).
    case accelerate
    /// Decoded a packet and inserted a pitch period (buffer below target, before it runs dry).
    case preemptiveExpand
    /// Recovered a lost frame from the next packet's in-band FEC.
    case fec
    /// Packet loss concealment (the packet is late or lost).
    case expand
    /// Comfort noise during a DTX gap.
    case comfortNoise
}

/// The outcome of one `AudioJitterBuffer.pull`.
public struct PullResult: Sendable, Equatable {
    /// The operation that refilled the output (the last one, when the pull needed two).
    public var operation: PlayoutOperation
    /// RTP timestamp of a packet decoded during this pull, if any.
    public var decodedTimestamp: UInt32?
    /// Where that packet's first sample lands, in samples from the start of this pull's frame.
    public var decodedOffset: Int
    /// Current target delay, seconds.
    public var targetDelay: Double
    /// Buffer level after the pull (audio waiting, decoded or not), seconds.
    public var bufferLevel: Double

    public init(operation: PlayoutOperation, decodedTimestamp: UInt32? = nil, decodedOffset: Int = 0,
                targetDelay: Double = 0, bufferLevel: Double = 0) {
        self.operation = operation
        self.decodedTimestamp = decodedTimestamp
        self.decodedOffset = decodedOffset
        self.targetDelay = targetDelay
        self.bufferLevel = bufferLevel
    }
}
