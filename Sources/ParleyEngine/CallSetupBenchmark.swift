import ParleyCodecs
import ParleySecurity

/// The `call-setup` case of `parley bench`: the key work of setting up one call, both
/// sides of it, with no C counterpart (absolute goal, like the RTP cases).
///
/// Per call: two fresh X25519 ephemeral key pairs (caller, callee); a random call id and
/// the transcript hash of two short offer/answer messages; both `CallKeySchedule`s (fixed
/// contact root); then on each side what a real call keys (`LoopbackCall`): one outbound
/// `SRTPSession` created for the side's RTCP SSRC, to which its audio and video SSRCs are
/// added as streams, and one inbound session created for the peer's RTCP SSRC, to which
/// the peer's audio and video SSRCs are added; every stream has its own AES_128_GCM
/// keying material from the schedule, handed to libsrtp in place (`SecretBytes`). Then the
/// sessions and schedules are destroyed. Both sides together: two key pairs, two
/// schedules, twelve keying materials, four sessions holding twelve streams. Both sides
/// must derive the same short authentication string and the same keying material for
/// every stream (what one sends with, the other receives with).
enum CallSetupBenchmark {
    static let suite = SRTPSuite.aeadAES128GCM
    /// The contact root secret: fixed, the benchmark needs no secrecy.
    static let contactRoot: [UInt8] = (0..<CallKeySchedule.rootSecretLength).map {
        UInt8(truncatingIfNeeded: $0 &* 53 &+ 7)
    }
    /// The two short messages whose transcript hash binds the call.
    static let offer = Array("parley offer: rtcp ssrc 1000, audio opus/48000/2 ssrc 1001, video vp8/90000 ssrc 1002".utf8)
    static let answer = Array("parley answer: rtcp ssrc 2000, audio opus/48000/2 ssrc 2001, video vp8/90000 ssrc 2002".utf8)
    /// RTCP, audio and video SSRCs of each side; the first (RTCP) creates the session, the
    /// others are added to it.
    static let callerSSRCs: [UInt32] = [1000, 1001, 1002]
    static let calleeSSRCs: [UInt32] = [2000, 2001, 2002]
    /// SRTP streams one call keys, both sides together (the case's output per call).
    static let streamsPerCall = 12

    /// `calls` call setups; the clock is read around each whole call (tens of µs or more,
    /// far above a clock read). Output: SRTP streams keyed.
    static func run(calls: Int) throws(SecurityError) -> (seconds: Double, output: Int) {
        let root = SecretBytes(copying: contactRoot)
        var nanoseconds: UInt64 = 0
        var streams = 0
        for _ in 0..<max(calls, 0) {
            let start = BenchmarkClock.monotonicNanoseconds()
            let keyed = try setUpCall(root: root)
            nanoseconds &+= BenchmarkClock.monotonicNanoseconds() &- start
            streams &+= keyed
        }
        return (Double(nanoseconds) / 1e9, streams)
    }

    /// One call, both sides. Returns the SRTP streams keyed, after checking that both sides
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
        return callerSide.streams + calleeSide.streams
    }

    /// One side: keying material for its own streams (outbound) and the peer's (inbound),
    /// and the two sessions keyed with it, created and destroyed here.
    private static func side(
        _ schedule: CallKeySchedule, own: [UInt32], peer: [UInt32]
    ) throws(SecurityError) -> (outbound: [SecretBytes], inbound: [SecretBytes], streams: Int) {
        let outbound = try keyingMaterial(own) { ssrc throws(SecurityError) in
            try schedule.outboundKeyingMaterial(suite: suite, ssrc: ssrc)
        }
        let inbound = try keyingMaterial(peer) { ssrc throws(SecurityError) in
            try schedule.inboundKeyingMaterial(suite: suite, ssrc: ssrc)
        }
        // As LoopbackCall: the sender may retransmit identical packets.
        let sending = try session(outbound, ssrcs: own, direction: .outbound, allowRepeatTransmission: true)
        let receiving = try session(inbound, ssrcs: peer, direction: .inbound, allowRepeatTransmission: false)
        withExtendedLifetime((sending, receiving)) {}  // srtp_dealloc at the end of this call, timed
        return (outbound, inbound, own.count + peer.count)
    }

    private static func keyingMaterial(
        _ ssrcs: [UInt32], _ derive: (UInt32) throws(SecurityError) -> SecretBytes
    ) throws(SecurityError) -> [SecretBytes] {
        var materials: [SecretBytes] = []
        materials.reserveCapacity(ssrcs.count)
        for ssrc in ssrcs { materials.append(try derive(ssrc)) }
        return materials
    }

    /// One session created for the first SSRC, the others added as streams, each with its
    /// own keying material.
    private static func session(
        _ materials: [SecretBytes], ssrcs: [UInt32], direction: SRTPSession.Direction, allowRepeatTransmission: Bool
    ) throws(SecurityError) -> SRTPSession {
        let session = try SRTPSession(
            suite: suite, masterKey: materials[0], direction: direction, ssrc: .specific(ssrcs[0]),
            allowRepeatTransmission: allowRepeatTransmission)
        for index in 1..<ssrcs.count {
            try session.addStream(masterKey: materials[index], ssrc: ssrcs[index])
        }
        return session
    }
}
