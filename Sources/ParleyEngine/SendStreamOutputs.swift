import ParleyRTP

/// Where one outgoing stream goes: one `SecureRTPSender` stream per peer (a mesh call has
/// one per other participant, a 1:1 call one), each with its own sequence numbers and
/// keys. A send stream encodes each frame once and hands every payload to `send`, which
/// packetizes and protects it once per active output. An output that is removed (the peer
/// left) keeps its index and its statistics. Sending allocates nothing.
struct SendStreamOutputs {
    let ssrc: UInt32
    let payloadType: UInt8
    /// RTP packets kept per output for retransmission.
    let historyCapacity: Int
    private var outputs: [(sender: SecureRTPSender, stream: Int, active: Bool)] = []

    init(ssrc: UInt32, payloadType: UInt8, historyCapacity: Int) {
        self.ssrc = ssrc
        self.payloadType = payloadType
        self.historyCapacity = historyCapacity
        outputs.reserveCapacity(8)
    }

    /// Adds `sender` as an output from `initialSequenceNumber`; returns its index.
    mutating func add(sender: SecureRTPSender, initialSequenceNumber: UInt16) -> Int {
        let stream = sender.addStream(ssrc: ssrc, payloadType: payloadType, initialSequenceNumber: initialSequenceNumber,
                                      historyCapacity: historyCapacity)
        outputs.append((sender, stream, true))
        return outputs.count - 1
    }

    /// Stops sending through output `index`.
    mutating func remove(_ index: Int) {
        guard outputs.indices.contains(index) else { return }
        outputs[index].active = false
    }

    /// The sender's statistics of output `index`.
    func statistics(_ index: Int) -> SecureRTPSender.StreamStatistics {
        outputs[index].sender.statistics(of: outputs[index].stream)
    }

    /// Sends one payload as the next packet of every active output.
    func send(payload: UnsafeRawBufferPointer, marker: Bool, timestamp: UInt32,
              audioLevel: RTPExtensions.AudioLevel? = nil, now: Double) throws {
        // An index loop: iterating the array itself allocates in unoptimized builds.
        var index = 0
        while index < outputs.count {
            let output = outputs[index]
            index += 1
            guard output.active else { continue }
            try output.sender.send(stream: output.stream, payload: payload, marker: marker, timestamp: timestamp,
                                   audioLevel: audioLevel, now: now)
        }
    }
}
