import ParleyCodecs
import ParleySecurity

/// The `call-setup` case of `parley bench`: the key work of setting up one call, both
/// sides of it, with no C counterpart (absolute goal, like the RTP cases).
///
/// Per call: two fresh X25519 ephemeral key pairs (caller, callee); a random call id and
/// the transcript hash of two short offer/answer messages; both `CallKeySchedule`s (fixed
/// contact root); on each side, outbound and inbound AEAD_AES_128_GCM keying material for
/// two SSRCs (audio, video) and the four `SRTPSession`s they key (two outbound, two
/// inbound, each for its own SSRC), then the sessions and schedules are destroyed. Both
/// sides together: two key pairs, two schedules, eight keying materials, eight sessions.
enum CallSetupBenchmark {
    static let suite = SRTPSuite.aeadAES128GCM
    /// The contact root secret: fixed, the benchmark needs no secrecy.
    static let contactRoot: [UInt8] = (0..<CallKeySchedule.rootSecretLength).map {
        UInt8(truncatingIfNeeded: $0 &* 53 &+ 7)
    }
    /// The two short messages whose transcript hash binds the call.
    static let offer = Array("parley offer: audio opus/48000/2 ssrc 1001, video vp8/90000 ssrc 1002".utf8)
    static let answer = Array("parley answer: audio opus/48000/2 ssrc 2001, video vp8/90000 ssrc 2002".utf8)
    /// Audio and video SSRCs of each side.
    static let callerSSRCs: [UInt32] = [1001, 1002]
    static let calleeSSRCs: [UInt32] = [2001, 2002]
    /// Sessions one call creates, both sides together.
    static let sessionsPerCall = 8

    /// `calls` call setups; the clock is read around each whole call (tens of µs or more,
    /// far above a clock read). Output: SRTP sessions created.
    static func run(calls: Int) throws(SecurityError) -> (seconds: Double, output: Int) {
        let root = SecretBytes(copying: contactRoot)
        var nanoseconds: UInt64 = 0
        var sessions = 0
        for _ in 0..<max(calls, 0) {
            let start = BenchmarkClock.monotonicNanoseconds()
            let created = try setUpCall(root: root)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            sessions &+= created
        }
        return (Double(nanoseconds) / 1e9, sessions)
    }

    /// One call, both sides. Returns the sessions created, after checking that both sides
    /// agree on the short authentication string and on every stream's keying material.
    @inline(never)
    static func setUpCall(root: SecretBytes) throws(SecurityError) -> Int {
        let callerKeys = try X25519.generateKeyPair()
        let calleeKeys = try X25519.generateKeyPair()
        let callID = try SecureRandom.bytes(count: CallKeySchedule.callIDLength)
        let transcript = CallKeySchedule.transcriptHash([offer, answer])
        let caller = try CallKeySchedule(
            ephemeralPrivateKey: callerKeys.privateKey, peerEphemeralPublicKey: calleeKeys.publicKey,
            contactRoot: root, callID: callID, transcriptHash: transcript, role: .caller)
        let callee = try CallKeySchedule(
            ephemeralPrivateKey: calleeKeys.privateKey, peerEphemeralPublicKey: callerKeys.publicKey,
            contactRoot: root, callID: callID, transcriptHash: transcript, role: .callee)
        defer {
            caller.wipe()
            callee.wipe()
        }
        guard caller.shortAuthenticationString == callee.shortAuthenticationString else {
            throw SecurityError.invalidParameter("call setup: the two sides derived different short authentication strings")
        }
        let callerSide = try side(caller, own: callerSSRCs, peer: calleeSSRCs)
        let calleeSide = try side(callee, own: calleeSSRCs, peer: callerSSRCs)
        // What one side sends with, the other receives with.
        guard callerSide.outbound == calleeSide.inbound, calleeSide.outbound == callerSide.inbound else {
            throw SecurityError.invalidParameter("call setup: the two sides derived different SRTP keying material")
        }
        return callerSide.sessions + calleeSide.sessions
    }

    /// One side: keying material for its own streams (outbound) and the peer's (inbound),
    /// and the sessions keyed with it, created and destroyed here.
    private static func side(
        _ schedule: CallKeySchedule, own: [UInt32], peer: [UInt32]
    ) throws(SecurityError) -> (outbound: [SecretBytes], inbound: [SecretBytes], sessions: Int) {
        var outbound: [SecretBytes] = []
        var inbound: [SecretBytes] = []
        var sessions: [SRTPSession] = []
        outbound.reserveCapacity(own.count)
        inbound.reserveCapacity(peer.count)
        sessions.reserveCapacity(own.count + peer.count)
        for ssrc in own {
            let material = try schedule.outboundKeyingMaterial(suite: suite, ssrc: ssrc)
            outbound.append(material)
            sessions.append(try session(material, direction: .outbound, ssrc: ssrc))
        }
        for ssrc in peer {
            let material = try schedule.inboundKeyingMaterial(suite: suite, ssrc: ssrc)
            inbound.append(material)
            sessions.append(try session(material, direction: .inbound, ssrc: ssrc))
        }
        let count = sessions.count
        sessions.removeAll()  // srtp_dealloc, inside the timed call
        return (outbound, inbound, count)
    }

    private static func session(
        _ material: SecretBytes, direction: SRTPSession.Direction, ssrc: UInt32
    ) throws(SecurityError) -> SRTPSession {
        var key = material.copyBytes()
        defer { for index in key.indices { key[index] = 0 } }
        return try SRTPSession(suite: suite, masterKey: key, direction: direction, ssrc: .specific(ssrc))
    }
}
