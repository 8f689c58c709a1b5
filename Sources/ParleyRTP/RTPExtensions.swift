/// The header extensions Parley reads and writes. Each is a small value type that
/// validates on construction and on decoding.
public enum RTPExtensions {
    /// Client-to-mixer audio level, RFC 6464: one byte, the V (voice activity) bit and
    /// the level in -dBov, 0 (loudest) ... 127 (silence or quieter).
    public struct AudioLevel: RTPExtensionValue {
        public static let uri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
        public static let kind = RTPExtensionKind.audioLevel
        public static let byteCount = 1

        /// The V bit: the sender's voice activity detector says this packet holds speech.
        public let voiceActivity: Bool
        /// Level in -dBov: 0 is 0 dBov, 127 is -127 dBov or below.
        public let level: UInt8

        /// Throws when `level` is above 127.
        public init(voiceActivity: Bool, level: UInt8) throws(RTPError) {
            guard level <= 127 else {
                throw .malformed(what: "audio level", reason: "level \(level) is outside 0...127 (-dBov)")
            }
            self.voiceActivity = voiceActivity
            self.level = level
        }

        /// From a level in dBov (0 or below), rounded and clamped to 0...127.
        public init(voiceActivity: Bool, dBov: Double) {
            self.voiceActivity = voiceActivity
            let magnitude = -dBov
            if !(magnitude > 0) {  // also catches NaN
                self.level = 0
            } else if magnitude >= 127 {
                self.level = 127
            } else {
                self.level = UInt8(magnitude.rounded())
            }
        }

        /// The level in dBov (0 ... -127).
        public var dBov: Int { -Int(level) }

        public init(decoding data: UnsafeRawBufferPointer) throws(RTPError) {
            try Self.checkDecodeLength(data)
            voiceActivity = data[0] & 0x80 != 0
            level = data[0] & 0x7F
        }

        public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
            try Self.checkEncodeLength(buffer)
            buffer[0] = (voiceActivity ? 0x80 : 0) | level
            return Self.byteCount
        }
    }

    /// Absolute send time (webrtc.org): 24 bits, seconds in 6.18 fixed point, wrapping
    /// every 64 s, resolution 2^-18 s (about 3.8 µs).
    public struct AbsSendTime: RTPExtensionValue {
        public static let uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        public static let kind = RTPExtensionKind.absSendTime
        public static let byteCount = 3
        /// Units per second (2^18).
        public static let unitsPerSecond: UInt32 = 1 << 18

        /// The 24-bit wire value.
        public let rawValue: UInt32

        /// Throws when `rawValue` does not fit 24 bits.
        public init(rawValue: UInt32) throws(RTPError) {
            guard rawValue <= 0xFF_FFFF else {
                throw .malformed(what: "abs-send-time", reason: "value 0x\(String(rawValue, radix: 16)) does not fit 24 bits")
            }
            self.rawValue = rawValue
        }

        /// From a 64-bit NTP timestamp (32.32): bits 14...37, as webrtc.org defines it.
        public init(ntpTimestamp: UInt64) {
            rawValue = UInt32(truncatingIfNeeded: ntpTimestamp >> 14) & 0xFF_FFFF
        }

        /// From a time in microseconds (any epoch), reduced modulo 64 s.
        public init(microseconds: Int64) {
            // units = us * 2^18 / 1e6, computed without overflow from the remainder mod 64 s.
            let period: Int64 = 64_000_000
            var reduced = microseconds % period
            if reduced < 0 { reduced += period }
            rawValue = UInt32((reduced << 18) / 1_000_000) & 0xFF_FFFF
        }

        /// Seconds in 0 ..< 64.
        public var seconds: Double { Double(rawValue) / Double(Self.unitsPerSecond) }

        public init(decoding data: UnsafeRawBufferPointer) throws(RTPError) {
            try Self.checkDecodeLength(data)
            rawValue = RTPPacketBytes.u24(data, 0)
        }

        public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
            try Self.checkEncodeLength(buffer)
            RTPPacketBytes.put24(rawValue, buffer, 0)
            return Self.byteCount
        }
    }

    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01):
    /// 16 bits, one counter for every packet on the transport, for congestion feedback.
    public struct TransportSequenceNumber: RTPExtensionValue {
        public static let uri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
        public static let kind = RTPExtensionKind.transportSequenceNumber
        public static let byteCount = 2

        public let value: UInt16

        public init(_ value: UInt16) { self.value = value }

        public init(decoding data: UnsafeRawBufferPointer) throws(RTPError) {
            try Self.checkDecodeLength(data)
            value = RTPPacketBytes.u16(data, 0)
        }

        public func encode(into buffer: UnsafeMutableRawBufferPointer) throws(RTPError) -> Int {
            try Self.checkEncodeLength(buffer)
            RTPPacketBytes.put16(value, buffer, 0)
            return Self.byteCount
        }
    }
}
