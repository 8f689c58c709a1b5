import CSRTP

/// One direction of SRTP for a call: protects outgoing RTP/RTCP, or unprotects incoming
/// SRTP/SRTCP, in place in caller-provided buffers, over libsrtp2.
///
/// Create one session per direction (an outbound one for what you send, an inbound one
/// for what you receive). A call's session holds one stream per SSRC, each with its own
/// keying material: create it for one SSRC, then `addStream(masterKey:ssrc:)` the others.
/// Keys can be given as arrays or as `SecretBytes`, which libsrtp reads in place.
///
/// libsrtp tracks the rollover counter (ROC) of each stream from the sequence numbers and
/// enforces replay protection: RTP with a window of `replayWindowSize` packets, RTCP with
/// libsrtp's fixed 128-packet window. Failures throw a `SecurityError` and are counted in
/// `statistics`; the session stays usable.
///
/// Packet processing allocates nothing on the heap in steady state. (libsrtp allocates a
/// stream the first time it sees an SSRC on an `.any` session.) A session is not
/// thread-safe: use it from one thread at a time.
public final class SRTPSession {
    /// Which way packets go through the session.
    public enum Direction: String, Sendable, Codable {
        /// Protects packets this side sends.
        case outbound
        /// Unprotects packets this side receives.
        case inbound
    }

    /// The streams (SSRCs) the session's key applies to.
    public enum SSRC: Sendable, Hashable {
        /// Any SSRC in the session's direction (libsrtp's `ssrc_any_outbound`/`ssrc_any_inbound`).
        case any
        /// One SSRC only; packets of other SSRCs fail with `unknownStream`.
        case specific(UInt32)
    }

    /// Spare bytes `protectRTP` needs after the packet (`SRTP_MAX_TRAILER_LEN`).
    public static let maximumTrailerLength = SRTPLibrary.maximumTrailerLength
    /// Spare bytes `protectRTCP` needs after the packet (`SRTP_MAX_TRAILER_LEN + 4`).
    public static let maximumRTCPTrailerLength = SRTPLibrary.maximumRTCPTrailerLength

    public let suite: SRTPSuite
    public let direction: Direction
    public let ssrc: SSRC
    public let replayWindowSize: Int
    public let allowRepeatTransmission: Bool

    /// Packets processed and refused so far.
    ///
    /// Unchecked exclusivity: the counters are bumped once per packet on the media path, and
    /// a dynamic check (`swift_beginAccess`) per packet cost more than the increment. The
    /// session is single-threaded and no access to `statistics` overlaps another (each is
    /// one read or one increment), so the check can never fire.
    @exclusivity(unchecked)
    public private(set) var statistics = SRTPStatistics()

    private let context: OpaquePointer

    /// Creates a session.
    ///
    /// - Parameters:
    ///   - suite: the protection profile; both sides must use the same.
    ///   - masterKey: master key followed by master salt, `suite.keyingMaterialLength` bytes.
    ///   - direction: `.outbound` to protect, `.inbound` to unprotect.
    ///   - ssrc: the streams the key applies to.
    ///   - replayWindowSize: the SRTP replay window in packets (64...32767).
    ///   - allowRepeatTransmission: let the sender protect the same sequence number again
    ///     (retransmissions of identical packets only).
    public init(
        suite: SRTPSuite = .default, masterKey: [UInt8], direction: Direction, ssrc: SSRC = .any,
        replayWindowSize: Int = 128, allowRepeatTransmission: Bool = false
    ) throws(SecurityError) {
        self.context = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: direction, ssrc: ssrc,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        self.suite = suite
        self.direction = direction
        self.ssrc = ssrc
        self.replayWindowSize = replayWindowSize
        self.allowRepeatTransmission = allowRepeatTransmission
    }

    /// Creates a session keyed from a `SecretBytes` (e.g. `CallKeySchedule` keying
    /// material), which libsrtp reads in place: the key is never copied into a Swift array.
    /// Same parameters and errors as `init(suite:masterKey:direction:ssrc:…)` with an array.
    public init(
        suite: SRTPSuite = .default, masterKey: SecretBytes, direction: Direction, ssrc: SSRC = .any,
        replayWindowSize: Int = 128, allowRepeatTransmission: Bool = false
    ) throws(SecurityError) {
        self.context = try SRTPLibrary.createSession(
            suite: suite, masterKey: masterKey, direction: direction, ssrc: ssrc,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
        self.suite = suite
        self.direction = direction
        self.ssrc = ssrc
        self.replayWindowSize = replayWindowSize
        self.allowRepeatTransmission = allowRepeatTransmission
    }

    deinit {
        srtp_dealloc(context)
    }

    /// Adds the stream of one more SSRC with its own key (master key || salt), so one
    /// session can protect or unprotect several streams keyed separately, as the call key
    /// schedule does (one key per sender SSRC and direction). The stream uses this
    /// session's suite, direction, replay window and repeat-transmission setting.
    ///
    /// - Throws: `invalidKeyLength` for keying material of the wrong length,
    ///   `invalidParameter` if the session already has a stream of that SSRC (the one it
    ///   was created for, one added before, or on an `.any` session one libsrtp made for a
    ///   packet of that SSRC), `.srtp` if libsrtp refuses.
    public func addStream(masterKey: [UInt8], ssrc: UInt32) throws(SecurityError) {
        try SRTPLibrary.addStream(
            to: context, suite: suite, masterKey: masterKey, direction: direction, ssrc: ssrc,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
    }

    /// `addStream(masterKey:ssrc:)` with the key in a `SecretBytes`, read in place.
    public func addStream(masterKey: SecretBytes, ssrc: UInt32) throws(SecurityError) {
        try SRTPLibrary.addStream(
            to: context, suite: suite, masterKey: masterKey, direction: direction, ssrc: ssrc,
            replayWindowSize: replayWindowSize, allowRepeatTransmission: allowRepeatTransmission)
    }

    // MARK: RTP

    /// Protects the RTP packet in the first `length` bytes of `packet`, in place.
    ///
    /// - Returns: the length of the SRTP packet (`length + suite.overhead`).
    /// - Throws: `bufferTooSmall` unless `packet` has `maximumTrailerLength` bytes after
    ///   the packet; `malformedPacket` for a packet shorter than an RTP header or not version 2.
    public func protectRTP(_ packet: UnsafeMutableRawBufferPointer, length: Int) throws(SecurityError) -> Int {
        try process(packet, length: length, kind: .rtp, protect: true)
    }

    /// Unprotects the SRTP packet in the first `length` bytes of `packet`, in place.
    ///
    /// - Returns: the length of the RTP packet.
    /// - Throws: `authenticationFailed`, `replayedPacket`, `packetTooOld`, `malformedPacket`…;
    ///   the failure is counted in `statistics` and the buffer content is then unspecified.
    public func unprotectRTP(_ packet: UnsafeMutableRawBufferPointer, length: Int) throws(SecurityError) -> Int {
        try process(packet, length: length, kind: .rtp, protect: false)
    }

    /// `protectRTP` on an array; the array must have `maximumTrailerLength` bytes after `length`.
    public func protectRTP(_ packet: inout [UInt8], length: Int) throws(SecurityError) -> Int {
        try process(&packet, length: length, kind: .rtp, protect: true)
    }

    /// `unprotectRTP` on an array.
    public func unprotectRTP(_ packet: inout [UInt8], length: Int) throws(SecurityError) -> Int {
        try process(&packet, length: length, kind: .rtp, protect: false)
    }

    // MARK: RTCP

    /// Protects the RTCP (compound) packet in the first `length` bytes of `packet`, in place.
    ///
    /// - Returns: the length of the SRTCP packet (`length + suite.rtcpOverhead`).
    /// - Throws: `bufferTooSmall` unless `packet` has `maximumRTCPTrailerLength` bytes after
    ///   the packet.
    public func protectRTCP(_ packet: UnsafeMutableRawBufferPointer, length: Int) throws(SecurityError) -> Int {
        try process(packet, length: length, kind: .rtcp, protect: true)
    }

    /// Unprotects the SRTCP packet in the first `length` bytes of `packet`, in place.
    public func unprotectRTCP(_ packet: UnsafeMutableRawBufferPointer, length: Int) throws(SecurityError) -> Int {
        try process(packet, length: length, kind: .rtcp, protect: false)
    }

    /// `protectRTCP` on an array; the array must have `maximumRTCPTrailerLength` bytes after `length`.
    public func protectRTCP(_ packet: inout [UInt8], length: Int) throws(SecurityError) -> Int {
        try process(&packet, length: length, kind: .rtcp, protect: true)
    }

    /// `unprotectRTCP` on an array.
    public func unprotectRTCP(_ packet: inout [UInt8], length: Int) throws(SecurityError) -> Int {
        try process(&packet, length: length, kind: .rtcp, protect: false)
    }

    // MARK: Rollover counter

    /// The rollover counter libsrtp holds for the stream of `ssrc` (the number of times its
    /// 16-bit sequence number wrapped).
    public func rolloverCounter(ssrc: UInt32) throws(SecurityError) -> UInt32 {
        var roc: UInt32 = 0
        let status = srtp_get_stream_roc(context, ssrc, &roc)
        guard status == srtp_err_status_ok else {
            throw status == srtp_err_status_bad_param
                ? SecurityError.unknownStream(.rtp)
                : SecurityError.srtp(function: "srtp_get_stream_roc", status: Int32(bitPattern: status.rawValue))
        }
        return roc
    }

    /// Sets the rollover counter of the stream of `ssrc` (a receiver joining a stream
    /// mid-way, told the sender's ROC by signaling). On an `.any` session libsrtp needs a
    /// packet of that SSRC first.
    public func setRolloverCounter(_ roc: UInt32, ssrc: UInt32) throws(SecurityError) {
        let status = srtp_set_stream_roc(context, ssrc, roc)
        guard status == srtp_err_status_ok else {
            throw status == srtp_err_status_bad_param
                ? SecurityError.unknownStream(.rtp)
                : SecurityError.srtp(function: "srtp_set_stream_roc", status: Int32(bitPattern: status.rawValue))
        }
    }

    // MARK: Processing

    @inline(__always)
    private func process(
        _ packet: inout [UInt8], length: Int, kind: SecurityError.PacketKind, protect: Bool
    ) throws(SecurityError) -> Int {
        var result = 0
        var failure: SecurityError? = nil
        packet.withUnsafeMutableBytes { bytes in
            do throws(SecurityError) {
                result = try process(bytes, length: length, kind: kind, protect: protect)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return result
    }

    private func process(
        _ packet: UnsafeMutableRawBufferPointer, length: Int, kind: SecurityError.PacketKind, protect: Bool
    ) throws(SecurityError) -> Int {
        let expected: Direction = protect ? .outbound : .inbound
        guard direction == expected else { throw fail(.wrongDirection(direction)) }
        // Shortest acceptable input: an RTP header (12) or RTCP header + sender SSRC (8),
        // plus, when unprotecting, the tag (and the SRTCP index).
        let header = kind == .rtp ? 12 : 8
        let minimum = protect ? header : header + (kind == .rtp ? suite.authTagLength : suite.rtcpOverhead)
        guard length >= minimum, length <= packet.count, let base = packet.baseAddress else {
            if length > packet.count { throw fail(.bufferTooSmall(needed: length, available: packet.count)) }
            throw fail(.malformedPacket(kind, length: length))
        }
        guard base.load(as: UInt8.self) >> 6 == 2 else { throw fail(.malformedPacket(kind, length: length)) }
        if protect {
            let trailer = kind == .rtp ? SRTPSession.maximumTrailerLength : SRTPSession.maximumRTCPTrailerLength
            guard packet.count - length >= trailer else {
                throw fail(.bufferTooSmall(needed: length + trailer, available: packet.count))
            }
        }
        guard length <= Int(Int32.max) else { throw fail(.malformedPacket(kind, length: length)) }
        var octets = Int32(length)
        let status: srtp_err_status_t
        switch (kind, protect) {
        case (.rtp, true): status = srtp_protect(context, base, &octets)
        case (.rtp, false): status = srtp_unprotect(context, base, &octets)
        case (.rtcp, true): status = srtp_protect_rtcp(context, base, &octets)
        case (.rtcp, false): status = srtp_unprotect_rtcp(context, base, &octets)
        }
        guard status == srtp_err_status_ok else {
            throw fail(SRTPSession.error(for: status, kind: kind, length: length, protect: protect))
        }
        switch (kind, protect) {
        case (.rtp, true): statistics.protectedRTPPackets &+= 1
        case (.rtp, false): statistics.unprotectedRTPPackets &+= 1
        case (.rtcp, true): statistics.protectedRTCPPackets &+= 1
        case (.rtcp, false): statistics.unprotectedRTCPPackets &+= 1
        }
        return Int(octets)
    }

    /// Counts `error` and returns it.
    private func fail(_ error: SecurityError) -> SecurityError {
        switch error {
        case .authenticationFailed: statistics.authenticationFailures &+= 1
        case .replayedPacket, .packetTooOld: statistics.replayFailures &+= 1
        case .malformedPacket: statistics.malformedPackets &+= 1
        default: statistics.otherFailures &+= 1
        }
        return error
    }

    /// The `SecurityError` for a libsrtp2 status.
    static func error(
        for status: srtp_err_status_t, kind: SecurityError.PacketKind, length: Int, protect: Bool
    ) -> SecurityError {
        switch status {
        case srtp_err_status_auth_fail: return .authenticationFailed(kind)
        case srtp_err_status_replay_fail: return .replayedPacket(kind)
        case srtp_err_status_replay_old, srtp_err_status_pkt_idx_old: return .packetTooOld(kind)
        case srtp_err_status_bad_param, srtp_err_status_parse_err, srtp_err_status_bad_mki:
            return .malformedPacket(kind, length: length)
        case srtp_err_status_no_ctx: return .unknownStream(kind)
        case srtp_err_status_key_expired: return .keyExpired
        default:
            let function: String
            switch (kind, protect) {
            case (.rtp, true): function = "srtp_protect"
            case (.rtp, false): function = "srtp_unprotect"
            case (.rtcp, true): function = "srtp_protect_rtcp"
            case (.rtcp, false): function = "srtp_unprotect_rtcp"
            }
            return .srtp(function: function, status: Int32(bitPattern: status.rawValue))
        }
    }
}
