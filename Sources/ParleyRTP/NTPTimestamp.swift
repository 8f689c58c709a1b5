/// A 64-bit NTP timestamp (RFC 5905): 32 bits of seconds since 1 January 1900 and 32 bits
/// of fraction. RTCP sender reports carry the full value; report blocks carry its middle
/// 32 bits (16.16 fixed point) as LSR, and DLSR in the same 1/65536 s units.
///
/// Era wrap (2036) is not handled: values are taken modulo 2^32 seconds.
public struct NTPTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    /// Seconds between the NTP epoch (1900) and the Unix epoch (1970).
    public static let unixEpochOffset: Double = 2_208_988_800

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(seconds: UInt32, fraction: UInt32) {
        rawValue = UInt64(seconds) << 32 | UInt64(fraction)
    }

    /// From seconds since 1900. Values outside [0, 2^32) are clamped, NaN gives 0.
    public init(secondsSince1900: Double) {
        guard secondsSince1900.isFinite, secondsSince1900 > 0 else {
            rawValue = secondsSince1900 == .infinity ? UInt64.max : 0
            return
        }
        let scaled = secondsSince1900 * 4_294_967_296.0
        rawValue = scaled >= 18_446_744_073_709_551_616.0 ? UInt64.max : UInt64(scaled)
    }

    /// From seconds since 1970 (Unix time), e.g. a wall clock reading.
    public init(unixTime: Double) {
        self.init(secondsSince1900: unixTime + Self.unixEpochOffset)
    }

    public var seconds: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
    public var fraction: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    public var secondsSince1900: Double {
        Double(seconds) + Double(fraction) / 4_294_967_296.0
    }

    public var unixTime: Double { secondsSince1900 - Self.unixEpochOffset }

    /// The middle 32 bits (low 16 bits of seconds, high 16 of fraction): RTCP's LSR.
    public var middle32: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 16) }

    public static func < (a: NTPTimestamp, b: NTPTimestamp) -> Bool { a.rawValue < b.rawValue }

    public var description: String { "NTP(\(seconds).\(fraction))" }
}
