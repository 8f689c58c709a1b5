/// Puts complete video frames into decode order and decides what to decode, what to drop
/// and when a keyframe is needed — the part of a video receiver between frame assembly
/// (which completes frames in whatever order their last packet arrives, waiting a while
/// for retransmissions) and the decoder.
///
/// - Frames are ordered by their first RTP sequence number. A frame is decodable when it
///   continues the last decoded frame (its first sequence number follows the previous
///   frame's last), or when it is a keyframe.
/// - A keyframe is decoded as soon as it is next, gap or not: it needs nothing before it.
/// - Otherwise a gap before the next frame waits for the missing frame (NACK
///   retransmissions) until it is known lost — `packetsLost(_:)` from the NACK scheduler,
///   `frameLost()` from the assembler — or the next frame has waited `maximumWait`. Then
///   the frames up to the next keyframe are dropped (`framesDropped`) and a keyframe is
///   requested (PLI), at most once per `keyframeRequestInterval` while still waiting.
/// - Before the first keyframe, frames are dropped and a keyframe is requested.
/// - Frames older than what was decoded (late duplicates) are dropped.
///
/// `Payload` is whatever the caller keeps of a frame (its bytes). Times are seconds on
/// the receiver's clock. Not thread-safe.
public final class VideoFrameBuffer<Payload> {
    public struct Frame {
        public var timestamp: UInt32
        public var firstSequenceNumber: UInt16
        public var lastSequenceNumber: UInt16
        public var isKeyframe: Bool
        public var payload: Payload

        public init(timestamp: UInt32, firstSequenceNumber: UInt16, lastSequenceNumber: UInt16, isKeyframe: Bool, payload: Payload) {
            self.timestamp = timestamp
            self.firstSequenceNumber = firstSequenceNumber
            self.lastSequenceNumber = lastSequenceNumber
            self.isKeyframe = isKeyframe
            self.payload = payload
        }
    }

    public struct Configuration: Sendable, Equatable {
        /// How long a frame after a gap waits for the gap to fill, in seconds.
        public var maximumWait = 0.5
        /// The least time between two keyframe requests while waiting for a keyframe.
        public var keyframeRequestInterval = 0.3
        /// Frames held at most; beyond, the oldest gap is treated as lost.
        public var maximumFrames = 64

        public init() {}
    }

    /// webrtc-stats names where they exist.
    public struct Counters: Sendable, Equatable, Codable {
        public var framesReceived = 0
        /// Frames handed to the decoder.
        public var framesDecoded = 0
        /// Frames never decoded: after a lost frame until the next keyframe, before the
        /// first keyframe, or late.
        public var framesDropped = 0
        /// Keyframe requests made (each one PLI: `pliCount`).
        public var keyframeRequests = 0
        /// Gaps given up (a frame known or assumed lost).
        public var framesLost = 0
    }

    /// What `poll` says to do.
    public enum Action {
        /// Decode this frame (`startsOver`: a keyframe after a loss; reset nothing else).
        case decode(Frame, startsOver: Bool)
        /// Send a keyframe request (PLI) for the stream.
        case requestKeyframe
    }

    private struct Held {
        var frame: Frame
        var first: Int64
        var last: Int64
        var arrival: Double
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    private var held: [Held] = []
    /// Unwrapped last sequence number of the last decoded frame.
    private var decodedThrough: Int64?
    private var reference: Int64?
    private var waitingForKeyframe = true
    private var lastKeyframeRequest: Double?
    private var gapLost = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Frames held, waiting for their turn.
    public var heldCount: Int { held.count }
    /// True while only a keyframe can be decoded next.
    public var isWaitingForKeyframe: Bool { waitingForKeyframe }

    private func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let reference else { return Int64(sequenceNumber) + 65_536 }
        var value = (reference & ~0xFFFF) | Int64(sequenceNumber)
        if value - reference > 32_768 { value -= 65_536 } else if reference - value > 32_768 { value += 65_536 }
        return value
    }

    /// A complete frame from the assembler.
    public func insert(_ frame: Frame, now: Double) {
        counters.framesReceived += 1
        let first = unwrap(frame.firstSequenceNumber)
        var last = unwrap(frame.lastSequenceNumber)
        if last < first { last += 65_536 }
        if reference == nil || first > reference! { reference = first }
        if let decodedThrough, last <= decodedThrough {
            counters.framesDropped += 1  // late: already past it
            return
        }
        guard !held.contains(where: { $0.first == first }) else {
            counters.framesDropped += 1  // a duplicate
            return
        }
        var index = held.count
        while index > 0 && held[index - 1].first > first { index -= 1 }
        held.insert(Held(frame: frame, first: first, last: last, arrival: now), at: index)
    }

    /// The assembler gave a frame up, or the NACK scheduler gave packets up: the gap before
    /// the next held frame will not fill.
    public func frameLost() {
        gapLost = true
    }

    /// `frameLost()` if any of `sequenceNumbers` is still ahead of what was decoded.
    public func packetsLost(_ sequenceNumbers: [UInt16]) {
        guard let decodedThrough else {
            if !sequenceNumbers.isEmpty { gapLost = true }
            return
        }
        if sequenceNumbers.contains(where: { unwrap($0) > decodedThrough }) { gapLost = true }
    }

    /// What to do now: decode frames in order, drop what cannot be decoded, ask for a
    /// keyframe. Call after every insert and on a timer (for `maximumWait`).
    public func poll(now: Double) -> [Action] {
        var actions: [Action] = []
        while let next = held.first {
            let continuous = decodedThrough.map { next.first == $0 + 1 } ?? false
            if continuous && !waitingForKeyframe {
                held.removeFirst()
                decodedThrough = next.last
                counters.framesDecoded += 1
                actions.append(.decode(next.frame, startsOver: false))
                continue
            }
            if next.frame.isKeyframe {
                // A keyframe needs nothing before it: decode it at once, gap or not.
                held.removeFirst()
                if decodedThrough != nil && !continuous { counters.framesLost += waitingForKeyframe ? 0 : 1 }
                let startsOver = !continuous || waitingForKeyframe
                decodedThrough = next.last
                waitingForKeyframe = false
                gapLost = false
                counters.framesDecoded += 1
                actions.append(.decode(next.frame, startsOver: startsOver))
                continue
            }
            let waitedOut = now - next.arrival >= configuration.maximumWait || held.count > configuration.maximumFrames
            guard gapLost || waitedOut || decodedThrough == nil || waitingForKeyframe else { break }
            // Not decodable: it references what was lost. Drop it and wait for a keyframe.
            if !waitingForKeyframe {
                if decodedThrough != nil { counters.framesLost += 1 }
                waitingForKeyframe = true
            }
            held.removeFirst()
            decodedThrough = next.last
            counters.framesDropped += 1
        }
        if waitingForKeyframe, lastKeyframeRequest.map({ now - $0 >= configuration.keyframeRequestInterval }) ?? true,
           counters.framesReceived > 0 {
            lastKeyframeRequest = now
            counters.keyframeRequests += 1
            actions.append(.requestKeyframe)
        }
        return actions
    }

    /// Forgets everything (a new stream or SSRC): the next frame must be a keyframe.
    public func reset() {
        held.removeAll()
        decodedThrough = nil
        reference = nil
        waitingForKeyframe = true
        gapLost = false
    }
}
