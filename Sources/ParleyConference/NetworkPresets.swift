/// Named network profiles. Each is written in the profile syntax and parsed like user text,
/// so the table in the README is exactly what runs. Rough grounding:
///
/// - `clean`: a perfect link (no delay, loss or cap): the baseline.
/// - `wifi`: a busy home Wi-Fi hop: a few ms of base delay and a heavy-tailed extra delay
///   from contention and link-layer retries (median a few ms, tail past 20–30 ms; e.g. Sui et
///   al., "Characterizing and Improving WiFi Latency", MobiCom 2016), 0.5 % residual loss.
/// - `4g`: LTE: 50 ms one way (typical RTT 80–120 ms), 15 ms normal jitter, about 1 %
///   loss, a 10 Mbit/s uplink with a deep (200 ms) operator buffer.
/// - `congested`: a 1 Mbit/s bottleneck with a 150 ms drop-tail queue: anything sent above
///   1 Mbit/s first builds delay, then is dropped (queue overflow).
/// - `lossy-burst`: a Gilbert–Elliott channel losing 5 % of packets in bursts of 3 on
///   average, 30 ms delay, 5 ms jitter.
public enum NetworkPresets {
    public struct Preset: Sendable {
        public let name: String
        public let text: String
        public let summary: String
    }

    public static let all: [Preset] = [
        Preset(name: "clean", text: "", summary: "perfect link"),
        Preset(name: "wifi", text: "delay=5ms,jitter=5ms:pareto,loss=0.5%",
               summary: "home Wi-Fi: small base delay, heavy-tailed jitter, little loss"),
        Preset(name: "4g", text: "delay=50ms,jitter=15ms:normal,loss=1%,rate=10mbit,queue=200ms",
               summary: "LTE: 50 ms one way, 15 ms jitter, 1% loss, 10 Mbit/s with a deep buffer"),
        Preset(name: "congested", text: "delay=20ms,jitter=2ms:normal,rate=1mbit,queue=150ms",
               summary: "1 Mbit/s bottleneck, 150 ms drop-tail queue"),
        Preset(name: "lossy-burst", text: "delay=30ms,jitter=5ms:normal,burst=5%:3",
               summary: "Gilbert-Elliott 5% loss in bursts of 3 packets on average"),
    ]

    public static var names: [String] { all.map(\.name) }

    /// The parameters of preset `name`, or nil if there is none.
    public static func parameters(named name: String) -> NetworkParameters? {
        guard let preset = all.first(where: { $0.name == name.lowercased() }) else { return nil }
        // The preset texts are constants checked by the tests; a failure here is a bug.
        return try? NetworkProfileParser.parseSegment(Substring(preset.text)).parameters
    }
}
