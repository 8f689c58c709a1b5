import Foundation

/// Headless control of a running call (`--control`): commands from a script or a UI,
/// events back. The call's media thread takes the commands between two iterations
/// (`take()`) and posts events (`post`); a control channel on another thread puts commands
/// in (`submit`) and reads events out (`onEvent`). Thread-safe; taking is a swap of a
/// small array under a lock, at most once per media iteration.
public final class CallControl: @unchecked Sendable {
    /// What a controller asks of the call.
    public enum Command: Equatable, Sendable {
        /// Send silence instead of the microphone (the peers still hear that we are here).
        case mute
        case unmute
        /// Mute, send no video and play nothing of what arrives, until `resume`.
        case hold
        case resume
        /// End the call (BYE to every peer).
        case hangup
        /// Ask for a `stats` event now.
        case stats
        /// Invite another contact into the call (a group call's host only).
        case add(contact: String)
    }

    /// A command with the controller's id (echoed in the answer), if it gave one.
    public struct Request: Equatable, Sendable {
        public var id: String?
        public var command: Command

        public init(id: String? = nil, command: Command) {
            self.id = id
            self.command = command
        }
    }

    /// Something that happened, as one JSON object per line: `{"event": "joined", …}`.
    public struct Event: Codable, Equatable, Sendable {
        /// joined, left, speaking, quality-changed, stats, muted, unmuted, held, resumed,
        /// ended, ok, error.
        public var event: String
        /// The request this answers.
        public var id: String?
        /// Seconds since the media started.
        public var time: Double?
        public var peer: String?
        public var reason: String?
        public var message: String?
        /// The selected ICE pair (joined).
        public var pair: String?
        /// E-model MOS and loss (quality-changed, stats), and the quality band: good
        /// (MOS ≥ 4), fair (≥ 3.6), poor.
        public var mos: Double?
        public var lossRatio: Double?
        public var quality: String?
        /// stats: one entry per peer.
        public var peers: [PeerStats]?

        public init(_ event: String, id: String? = nil, time: Double? = nil, peer: String? = nil, reason: String? = nil,
                    message: String? = nil) {
            self.event = event
            self.id = id
            self.time = time
            self.peer = peer
            self.reason = reason
            self.message = message
        }
    }

    /// One peer in a `stats` event.
    public struct PeerStats: Codable, Equatable, Sendable {
        public var peer: String
        public var packetsReceived: Int
        public var packetsLost: Int
        public var jitter: Double
        public var roundTripTime: Double?
        public var mos: Double?
        public var framesDecoded: Int?
        public var open: Bool
    }

    private let lock = NSLock()
    private var inbox: [Request] = []
    /// Gets every event, on the thread that posts it (the media thread): keep it short
    /// (queue the line for a writer).
    public var onEvent: @Sendable (Event) -> Void

    public init(onEvent: @escaping @Sendable (Event) -> Void) {
        self.onEvent = onEvent
    }

    public func submit(_ request: Request) { lock.withLock { inbox.append(request) } }

    /// The commands submitted since the last call.
    public func take() -> [Request] {
        lock.withLock {
            guard !inbox.isEmpty else { return [] }
            let taken = inbox
            inbox.removeAll(keepingCapacity: true)
            return taken
        }
    }

    public func post(_ event: Event) { onEvent(event) }

    /// The quality band of a MOS: good (≥ 4), fair (≥ 3.6), poor.
    public static func band(mos: Double) -> String { mos >= 4 ? "good" : mos >= 3.6 ? "fair" : "poor" }
}
