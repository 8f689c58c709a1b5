/// Where a direct call stands, once a second: for the progress lines and the live panel.
public struct DirectCallProgress: Sendable {
    public struct Peer: Sendable {
        public var name: String
        public var open: Bool
        public var packetsReceived: Int
        public var packetsLost: Int
        /// Seconds (RFC 3550 interarrival jitter).
        public var jitter: Double
        public var roundTripTime: Double?
        public var mos: Double?
        /// RTP payload bytes received from the peer (audio and video), cumulative.
        public var bytesReceived: Int
        /// Bytes sent to the peer on the wire (SRTP, RTCP), cumulative.
        public var bytesSent: Int
        public var framesDecoded: Int?
        /// The active speaker among the peers.
        public var speaking: Bool

        public init(name: String, open: Bool, packetsReceived: Int, packetsLost: Int, jitter: Double, roundTripTime: Double?,
                    mos: Double?, bytesReceived: Int, bytesSent: Int, framesDecoded: Int?, speaking: Bool) {
            self.name = name
            self.open = open
            self.packetsReceived = packetsReceived
            self.packetsLost = packetsLost
            self.jitter = jitter
            self.roundTripTime = roundTripTime
            self.mos = mos
            self.bytesReceived = bytesReceived
            self.bytesSent = bytesSent
            self.framesDecoded = framesDecoded
            self.speaking = speaking
        }
    }

    /// Seconds since the media started.
    public var seconds: Double
    public var audioFramesSent: Int
    /// Video frames sent (nil: no video).
    public var videoFramesSent: Int?
    public var muted: Bool
    public var held: Bool
    public var peers: [Peer]

    public init(seconds: Double, audioFramesSent: Int, videoFramesSent: Int?, muted: Bool, held: Bool, peers: [Peer]) {
        self.seconds = seconds
        self.audioFramesSent = audioFramesSent
        self.videoFramesSent = videoFramesSent
        self.muted = muted
        self.held = held
        self.peers = peers
    }

    /// The plain progress line (output that is not a terminal).
    public var line: String {
        var line = "\(Self.format(seconds, 1, width: 5)) s  sent \(audioFramesSent)"
        if let videoFramesSent { line += " + \(videoFramesSent) video frames" }
        if held { line += " (on hold)" } else if muted { line += " (muted)" }
        for peer in peers {
            if peers.count > 1 { line += "  | \(peer.name):" }
            guard peer.open else { line += " gone"; continue }
            line += "  received \(peer.packetsReceived)  lost \(peer.packetsLost)  jitter \(Self.format(peer.jitter * 1000, 1)) ms  RTT "
                + (peer.roundTripTime.map { "\(Self.format($0 * 1000, 1)) ms" } ?? "-")
            if let frames = peer.framesDecoded { line += "  video \(frames) frames" }
        }
        return line
    }

    /// `value` with `digits` decimals, right-aligned to `width`.
    public static func format(_ value: Double, _ digits: Int, width: Int = 0) -> String {
        var text = "\(Int((value * pow10(digits)).rounded()))"
        if digits > 0 {
            let negative = text.hasPrefix("-")
            var digitsOnly = negative ? String(text.dropFirst()) : text
            while digitsOnly.count <= digits { digitsOnly = "0" + digitsOnly }
            digitsOnly.insert(".", at: digitsOnly.index(digitsOnly.endIndex, offsetBy: -digits))
            text = (negative ? "-" : "") + digitsOnly
        }
        while text.count < width { text = " " + text }
        return text
    }

    private static func pow10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }
}
