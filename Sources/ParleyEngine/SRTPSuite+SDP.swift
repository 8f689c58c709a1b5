import ParleyRTP
import ParleySecurity

extension SRTPSuite {
    /// The SDES (`a=crypto`) name of this suite. Written out case by case: the two enums
    /// live in modules that do not know each other.
    public var sdpCryptoSuite: SDPCryptoSuite {
        switch self {
        case .aeadAES128GCM: return .aeadAES128GCM
        case .aeadAES256GCM: return .aeadAES256GCM
        case .aesCM128HmacSHA1_80: return .aesCM128HmacSHA1_80
        case .aesCM128HmacSHA1_32: return .aesCM128HmacSHA1_32
        }
    }

    /// The SRTP suite an `a=crypto` line names.
    public init(sdp suite: SDPCryptoSuite) {
        switch suite {
        case .aeadAES128GCM: self = .aeadAES128GCM
        case .aeadAES256GCM: self = .aeadAES256GCM
        case .aesCM128HmacSHA1_80: self = .aesCM128HmacSHA1_80
        case .aesCM128HmacSHA1_32: self = .aesCM128HmacSHA1_32
        }
    }
}
