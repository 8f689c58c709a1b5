#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What can go wrong in ParleySecurity. Messages say what happened and what to do.
///
/// Per-packet cases carry no strings, so that throwing one allocates nothing: a flood of
/// forged packets costs counters, not memory.
public enum SecurityError: Error, Equatable, CustomStringConvertible {
    /// SRTP or SRTCP.
    public enum PacketKind: String, Sendable, Equatable {
        case rtp = "RTP"
        case rtcp = "RTCP"

        var secure: String { self == .rtp ? "SRTP" : "SRTCP" }
    }

    /// The keying material handed to a session is not master key + master salt for the suite.
    case invalidKeyLength(suite: SRTPSuite, expected: Int, actual: Int)
    /// A session parameter outside what libsrtp accepts.
    case invalidParameter(String)
    /// The packet buffer cannot hold the result (protect needs trailer space after the packet).
    case bufferTooSmall(needed: Int, available: Int)
    /// The packet is shorter than a header (plus tag when unprotecting), not RTP version 2,
    /// or libsrtp could not parse it.
    case malformedPacket(PacketKind, length: Int)
    /// The authentication tag did not verify: wrong key or suite, or an altered packet.
    case authenticationFailed(PacketKind)
    /// The packet's index was already received (a replay or a duplicate).
    case replayedPacket(PacketKind)
    /// The packet's index is behind the replay window.
    case packetTooOld(PacketKind)
    /// No stream for this SSRC in the session (a session bound to one SSRC saw another).
    case unknownStream(PacketKind)
    /// The session key reached its usage limit (2^48 SRTP / 2^31 SRTCP packets).
    case keyExpired
    /// protect on an inbound session or unprotect on an outbound one.
    case wrongDirection(SRTPSession.Direction)
    /// Another libsrtp2 failure.
    case srtp(function: String, status: Int32)
    /// libsodium could not be initialized (no entropy source).
    case sodiumUnavailable
    /// The text does not fit in the largest QR code (version 40) at this error-correction level.
    case qrTextTooLong(byteCount: Int, errorCorrection: QRCode.Level)
    /// The text holds a NUL character, which libqrencode's string input cannot carry.
    case qrTextContainsNUL
    /// Another libqrencode failure (errno: EINVAL, ENOMEM…).
    case qrEncodingFailed(errno: Int32)
    /// A file (a QR code PNG) could not be written.
    case fileWriteFailed(path: String, errno: Int32)
    /// A key, nonce, seed, salt or signature of the wrong size.
    case wrongLength(what: String, expected: Int, actual: Int)
    /// An AEAD message did not authenticate: wrong key, nonce or associated data, or an
    /// altered ciphertext.
    case messageAuthenticationFailed
    /// X25519 gave the all-zero shared secret: the peer's public key is a low-order point.
    case lowOrderPublicKey
    /// An algorithm this machine cannot run (AES-256-GCM without AES-NI/PCLMUL, or ARM crypto).
    case algorithmUnavailable(String)
    /// Another libsodium call failed.
    case sodium(function: String, status: Int32)
    /// A group-call roster was refused (bad signature, member count, duplicates, malformed).
    case groupRoster(GroupRoster.Problem)

    public var description: String {
        switch self {
        case .invalidKeyLength(let suite, let expected, let actual):
            return "SRTP keying material for \(suite.rawValue) must be \(expected) bytes "
                + "(\(suite.masterKeyLength)-byte master key followed by \(suite.masterSaltLength)-byte salt), got \(actual); "
                + "check that both sides agree on the suite"
        case .invalidParameter(let message):
            return message
        case .bufferTooSmall(let needed, let available):
            return "SRTP packet buffer too small: \(needed) bytes needed, \(available) available; "
                + "leave SRTPSession.maximumTrailerLength spare bytes after the packet"
        case .malformedPacket(let kind, let length):
            return "malformed \(kind.secure) packet (\(length) bytes): too short or not \(kind.rawValue) version 2; dropped"
        case .authenticationFailed(let kind):
            return "\(kind.secure) authentication failed: wrong key, or the packet was altered; "
                + "check both sides use the same key and suite"
        case .replayedPacket(let kind):
            return "\(kind.secure) replay check failed: this packet index was already received; dropped"
        case .packetTooOld(let kind):
            return "\(kind.secure) replay check failed: the packet is older than the replay window; dropped "
                + "(raise replayWindowSize if the network reorders this much)"
        case .unknownStream(let kind):
            return "\(kind.secure) packet for an SSRC this session has no key for; "
                + "create the session with ssrc: .any or the sender's SSRC"
        case .keyExpired:
            return "SRTP master key used for too many packets; rekey the call"
        case .wrongDirection(let direction):
            return direction == .inbound
                ? "cannot protect with an inbound SRTP session; create an outbound session for sending"
                : "cannot unprotect with an outbound SRTP session; create an inbound session for receiving"
        case .srtp(let function, let status):
            return "libsrtp2 \(function) failed with status \(status) (\(SecurityError.statusName(status)))"
        case .sodiumUnavailable:
            return "libsodium could not be initialized; the system has no usable random source"
        case .qrTextTooLong(let byteCount, let level):
            return "text too long for a QR code: \(byteCount) bytes, at most \(level.maximumByteCount) fit "
                + "at error-correction level \(level.rawValue); shorten it or use a lower level"
        case .qrTextContainsNUL:
            return "cannot encode a QR code: the text contains a NUL character"
        case .qrEncodingFailed(let error):
            return "libqrencode failed to encode the QR code (errno \(error): \(String(cString: strerror(error))))"
        case .fileWriteFailed(let path, let error):
            return "cannot write \(path): \(String(cString: strerror(error)))"
        case .wrongLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual); check where it came from"
        case .messageAuthenticationFailed:
            return "message authentication failed: wrong key, or the message was altered; "
                + "check both sides use the same key, nonce and associated data"
        case .lowOrderPublicKey:
            return "X25519 key agreement refused: the peer's public key is a low-order point "
                + "(all-zero shared secret); the key is invalid or forged, do not use it"
        case .algorithmUnavailable(let name):
            return "\(name) is not available on this CPU; use XChaCha20-Poly1305 instead"
        case .sodium(let function, let status):
            return "libsodium \(function) failed with status \(status) (out of memory, or a limit exceeded)"
        case .groupRoster(let problem):
            return problem.description
        }
    }

    /// The name of a libsrtp2 `srtp_err_status_t` value.
    static func statusName(_ status: Int32) -> String {
        let names = [
            "ok", "fail", "bad_param", "alloc_fail", "dealloc_fail", "init_fail", "terminus", "auth_fail",
            "cipher_fail", "replay_fail", "replay_old", "algo_fail", "no_such_op", "no_ctx", "cant_check",
            "key_expired", "socket_err", "signal_err", "nonce_bad", "read_fail", "write_fail", "parse_err",
            "encode_err", "semaphore_err", "pfkey_err", "bad_mki", "pkt_idx_old", "pkt_idx_adv",
        ]
        return status >= 0 && Int(status) < names.count ? "srtp_err_status_\(names[Int(status)])" : "unknown"
    }
}
