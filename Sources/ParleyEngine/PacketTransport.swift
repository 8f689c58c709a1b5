/// Where a call's protected packets go: an in-process link, a UDP socket, later ICE.
public protocol PacketTransport: AnyObject {
    /// Sends one datagram (an SRTP or SRTCP packet). Errors are the transport's; the
    /// caller counts them and goes on.
    func send(_ packet: UnsafeRawBufferPointer) throws
}

/// Sees every packet a call sends or receives, for capture (`--pcap`).
public protocol PacketTap: AnyObject {
    /// `protected` is what went on the wire; `plaintext` the RTP/RTCP before protection
    /// (sending) or after unprotection (receiving), when there is one.
    func tap(protected: UnsafeRawBufferPointer, plaintext: UnsafeRawBufferPointer?, outgoing: Bool, time: Double)
}
