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
