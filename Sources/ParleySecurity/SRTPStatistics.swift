/// Counters of one `SRTPSession`: packets processed and packets dropped, by kind.
public struct SRTPStatistics: Sendable, Equatable, Codable {
    /// RTP packets protected (outbound).
    public var protectedRTPPackets = 0
    /// RTCP packets protected (outbound).
    public var protectedRTCPPackets = 0
    /// SRTP packets unprotected and accepted (inbound).
    public var unprotectedRTPPackets = 0
    /// SRTCP packets unprotected and accepted (inbound).
    public var unprotectedRTCPPackets = 0
    /// Packets whose authentication tag did not verify (wrong key, altered packet).
    public var authenticationFailures = 0
    /// Packets refused by the replay check: duplicates and packets behind the window.
    public var replayFailures = 0
    /// Packets too short, not version 2, or that libsrtp could not parse.
    public var malformedPackets = 0
    /// Every other failure (buffer without trailer room, unknown SSRC, key expired, wrong
    /// direction, library errors).
    public var otherFailures = 0

    public init() {}

    /// All refused packets.
    public var failures: Int { authenticationFailures + replayFailures + malformedPackets + otherFailures }
}
