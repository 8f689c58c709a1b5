import ArgumentParser

/// `--pcap FILE` and `--pcap-plaintext`, shared by loopback, send and receive.
struct CaptureOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Capture every packet to a pcap file (SRTP as on the wire).", valueName: "FILE"))
    var pcap: String?

    @Flag(name: .long, help: "With --pcap, capture the RTP/RTCP in the clear (before encryption, after decryption).")
    var pcapPlaintext = false

    /// Refuses `--pcap-plaintext` without `--pcap`.
    func check() throws {
        if pcapPlaintext && pcap == nil {
            throw CLIError.invalidValue(option: "--pcap-plaintext", value: "set", expected: "give --pcap FILE too")
        }
    }
}
