import Foundation
import ParleySecurity
import Testing

@testable import ParleyContacts

/// Two channels of one session: the inviter's and the acceptor's, each with its own
/// sequence file in a scratch directory.
private struct SignalingPair {
    let directory = StoreScratchDirectory()
    let root: SecretBytes
    let inviterKeys: Ed25519.KeyPair
    let acceptorKeys: Ed25519.KeyPair
    let sessionID: [UInt8]
    let algorithm: AEAD.Algorithm
    let inviter: SignalingChannel
    let acceptor: SignalingChannel

    init(algorithm: AEAD.Algorithm = .xChaCha20Poly1305) throws {
        root = try SecretBytes(random: 32)
        inviterKeys = try Ed25519.generateKeyPair()
        acceptorKeys = try Ed25519.generateKeyPair()
        sessionID = (0..<16).map { UInt8($0) }
        self.algorithm = algorithm
        inviter = try SignalingChannel(
            root: root, role: .inviter, signingKey: inviterKeys.secretKey, peerSigningKey: acceptorKeys.publicKey,
            sessionID: sessionID, algorithm: algorithm,
            sequences: SignalingSequenceStore(path: directory.file("inviter.seq")))
        acceptor = try SignalingChannel(
            root: root, role: .acceptor, signingKey: acceptorKeys.secretKey, peerSigningKey: inviterKeys.publicKey,
            sessionID: sessionID, algorithm: algorithm,
            sequences: SignalingSequenceStore(path: directory.file("acceptor.seq")))
    }

    /// A fresh inviter channel over the same sequence file (a restarted process).
    func restartedInviter(sessionID: [UInt8]? = nil) throws -> SignalingChannel {
        try SignalingChannel(
            root: root, role: .inviter, signingKey: inviterKeys.secretKey, peerSigningKey: acceptorKeys.publicKey,
            sessionID: sessionID ?? self.sessionID, algorithm: algorithm,
            sequences: SignalingSequenceStore(path: directory.file("inviter.seq")))
    }

    /// A fresh acceptor channel (empty replay window), possibly for another session.
    func freshAcceptor(sessionID: [UInt8]? = nil) throws -> SignalingChannel {
        try SignalingChannel(
            root: root, role: .acceptor, signingKey: acceptorKeys.secretKey, peerSigningKey: inviterKeys.publicKey,
            sessionID: sessionID ?? self.sessionID, algorithm: algorithm,
            sequences: SignalingSequenceStore(path: directory.file("acceptor2.seq")))
    }
}


@Suite struct SignalingTests {
    @Test(arguments: AEAD.Algorithm.allCases)
    func signalingRoundTripBothDirections(algorithm: AEAD.Algorithm) throws {
        guard algorithm.isAvailable else { return }
        let pair = try SignalingPair(algorithm: algorithm)
        defer { pair.directory.remove() }
        let offer = SignalingMessage(kind: .offer, body: Array("v=0 offer".utf8))
        let envelope = try pair.inviter.seal(offer)
        #expect(try SignalingEnvelopeHeader(parsing: envelope).algorithm == algorithm)
        #expect(try pair.acceptor.open(envelope) == offer)
        let answer = SignalingMessage(kind: .answer, body: Array("v=0 answer".utf8))
        #expect(try pair.inviter.open(pair.acceptor.seal(answer)) == answer)
        // The plaintext never appears in the envelope.
        let text = Array("v=0 offer".utf8)
        #expect(!(0...(envelope.count - text.count)).contains { Array(envelope[$0..<($0 + text.count)]) == text })
        // A channel cannot open its own envelopes (other direction's key, other signer).
        #expect(throws: ContactsError.self) { try pair.inviter.open(pair.inviter.seal(offer)) }
    }

    @Test func signalingMessageKindsRoundTrip() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        for kind in SignalingMessage.Kind.allCases {
            for body in [[], [0], Array(0...255).map { UInt8($0) }] as [[UInt8]] {
                let message = SignalingMessage(kind: kind, body: body)
                #expect(try SignalingMessage(decoding: message.encoded()) == message)
                #expect(try pair.acceptor.open(pair.inviter.seal(message)) == message)
            }
        }
        #expect(throws: ContactsError.self) { try SignalingMessage(decoding: []) }
        #expect(throws: ContactsError.self) { try SignalingMessage(decoding: [0, 1, 2]) }
        #expect(throws: ContactsError.self) { try SignalingMessage(decoding: [99]) }
    }

    @Test func signalingTamperingAnyByteIsRefused() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let message = SignalingMessage(kind: .candidate, body: Array("candidate:1 1 udp 2130706431 10.0.0.1 7400 typ host".utf8))
        let envelope = try pair.inviter.seal(message)
        for index in envelope.indices {
            var altered = envelope
            altered[index] ^= 0x01
            #expect(throws: ContactsError.self) { try pair.acceptor.open(altered) }
        }
        // Truncated and extended envelopes too.
        #expect(throws: ContactsError.self) { try pair.acceptor.open(Array(envelope.dropLast())) }
        #expect(throws: ContactsError.self) { try pair.acceptor.open(envelope + [0]) }
        #expect(throws: ContactsError.self) { try pair.acceptor.open([]) }
        // The untouched one still opens (the failures did not advance the window).
        #expect(try pair.acceptor.open(envelope) == message)
    }

    @Test func signalingAEADFailureIsRefusedEvenWhenSigned() throws {
        // A peer-signed envelope whose ciphertext does not decrypt (e.g. the wrong root):
        // the signature passes, the AEAD refuses.
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let other = try SecretBytes(random: 32)
        let wrongRoot = try SignalingChannel(
            root: other, role: .inviter, signingKey: pair.inviterKeys.secretKey,
            peerSigningKey: pair.acceptorKeys.publicKey, sessionID: pair.sessionID, algorithm: pair.algorithm,
            sequences: SignalingSequenceStore(path: pair.directory.file("other.seq")))
        let envelope = try wrongRoot.seal(SignalingMessage(kind: .hangup))
        #expect(throws: ContactsError.invalidSignalingMessage("it does not decrypt (altered, or not for this contact)")) {
            try pair.acceptor.open(envelope)
        }
    }

    @Test func signalingWrongSessionIDIsRefused() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let envelope = try pair.inviter.seal(SignalingMessage(kind: .offer, body: [1, 2, 3]))
        let otherSession = try pair.freshAcceptor(sessionID: [UInt8](repeating: 0xAA, count: 16))
        #expect(throws: ContactsError.invalidSignalingMessage("it belongs to another session")) {
            try otherSession.open(envelope)
        }
    }

    @Test func aChannelOpensEitherAlgorithmItRunsWhateverItSealsWith() throws {
        guard AEAD.Algorithm.aes256GCM.isAvailable else { return }
        let pair = try SignalingPair(algorithm: .xChaCha20Poly1305)
        defer { pair.directory.remove() }
        let aes = try SignalingChannel(
            root: pair.root, role: .inviter, signingKey: pair.inviterKeys.secretKey,
            peerSigningKey: pair.acceptorKeys.publicKey, sessionID: pair.sessionID, algorithm: .aes256GCM,
            sequences: SignalingSequenceStore(path: pair.directory.file("aes.seq")))
        // An AES-256-GCM sender and an XChaCha20-Poly1305 sender reach the same receiver.
        let sealed = try aes.seal(SignalingMessage(kind: .ack, body: [1]))
        #expect(try SignalingEnvelopeHeader(parsing: sealed).algorithm == .aes256GCM)
        #expect(try pair.acceptor.open(sealed) == SignalingMessage(kind: .ack, body: [1]))
        let fresh = try pair.freshAcceptor()  // the two senders here each start at sequence 1
        #expect(try fresh.open(pair.inviter.seal(SignalingMessage(kind: .ack, body: [2]))) == SignalingMessage(kind: .ack, body: [2]))
        // Each algorithm has its own key: the same root and direction, different keys.
        let x = try SignalingChannel.deriveKey(root: pair.root, direction: 1, algorithm: .xChaCha20Poly1305)
        let a = try SignalingChannel.deriveKey(root: pair.root, direction: 1, algorithm: .aes256GCM)
        #expect(x != a)
        // The algorithm byte is authenticated: relabelling an envelope breaks it.
        var relabelled = try aes.seal(SignalingMessage(kind: .ack, body: [3]))
        relabelled[1] = SignalingEnvelopeHeader.id(of: .xChaCha20Poly1305)
        #expect(throws: ContactsError.self) { try pair.acceptor.open(relabelled) }
    }

    @Test func theSealingAlgorithmIsAES256GCMOnlyWhenBothSidesRunIt() {
        let aes = SignalingCapabilities.aes256GCM
        #expect(SignalingCapabilities.algorithm(peer: aes, local: aes) == .aes256GCM)
        #expect(SignalingCapabilities.algorithm(peer: 0, local: aes) == .xChaCha20Poly1305)
        #expect(SignalingCapabilities.algorithm(peer: aes, local: 0) == .xChaCha20Poly1305)
        #expect(SignalingCapabilities.algorithm(peer: nil, local: aes) == .xChaCha20Poly1305, "unknown peer: the safe choice")
        #expect(SignalingCapabilities.algorithm(peer: 0xFF, local: aes) == .aes256GCM, "reserved bits are ignored")
    }

    @Test func signalingReplayIsRefused() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let envelope = try pair.inviter.seal(SignalingMessage(kind: .offer))
        _ = try pair.acceptor.open(envelope)
        #expect(throws: ContactsError.signalingReplayed(sequence: 1)) { try pair.acceptor.open(envelope) }
        let second = try pair.inviter.seal(SignalingMessage(kind: .hangup))
        _ = try pair.acceptor.open(second)
        #expect(throws: ContactsError.signalingReplayed(sequence: 1)) { try pair.acceptor.open(envelope) }
        #expect(throws: ContactsError.signalingReplayed(sequence: 2)) { try pair.acceptor.open(second) }
    }

    @Test func signalingReorderingWithinWindowAcceptedBeyondRefused() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let envelopes = try (0..<70).map { try pair.inviter.seal(SignalingMessage(kind: .candidate, body: [UInt8($0)])) }
        // Sequences 1...70. Deliver 64 (seq 64) first, then the 63 before it in reverse order.
        #expect(try pair.acceptor.open(envelopes[63]).body == [63])
        for index in stride(from: 62, through: 0, by: -1) {
            #expect(try pair.acceptor.open(envelopes[index]).body == [UInt8(index)])
        }
        // Now deliver 70 (seq 70): seq 6 and below fall out of the window.
        let fresh = try pair.freshAcceptor()
        #expect(try fresh.open(envelopes[69]).body == [69])
        #expect(try fresh.open(envelopes[6]).body == [6])  // seq 7: 63 behind, inside
        #expect(throws: ContactsError.signalingReplayed(sequence: 6)) { try fresh.open(envelopes[5]) }  // 64 behind
        #expect(throws: ContactsError.signalingReplayed(sequence: 1)) { try fresh.open(envelopes[0]) }
        #expect(try fresh.open(envelopes[40]).body == [40])
        #expect(throws: ContactsError.signalingReplayed(sequence: 41)) { try fresh.open(envelopes[40]) }
    }

    @Test func signalingReplayWindowUnit() {
        var window = SignalingReplayWindow()
        #expect(!window.allows(0))
        #expect(window.allows(1))
        window.record(1000)
        #expect(!window.allows(1000))
        #expect(window.allows(937))  // 63 behind
        #expect(!window.allows(936))  // 64 behind
        window.record(937)
        #expect(!window.allows(937))
        window.record(1001)  // shift by one: 937 is now 64 behind
        #expect(!window.allows(937))
        #expect(window.allows(999))
        window.record(UInt64.max - 1)
        #expect(window.allows(UInt64.max))
        #expect(!window.allows(1001))
    }

    @Test func signalingRestartedSenderNeverReusesSequence() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        var sequences: [UInt64] = []
        var nonces: Set<[UInt8]> = []
        var envelopes: [[UInt8]] = []
        var channel = pair.inviter
        for run in 0..<4 {  // the first run and three restarts
            if run > 0 { channel = try pair.restartedInviter() }
            for index in 0..<(run == 2 ? 70 : 5) {  // one run crosses a reservation block
                let envelope = try channel.seal(SignalingMessage(kind: .ack, body: [UInt8(run), UInt8(index)]))
                let header = try SignalingEnvelopeHeader(parsing: envelope)
                sequences.append(header.sequence)
                nonces.insert(SignalingChannel.nonce(sequence: header.sequence, algorithm: pair.algorithm))
                envelopes.append(envelope)
            }
        }
        #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
        #expect(nonces.count == sequences.count)
        #expect(sequences.first == 1)
        // The receiver opens every one: the restart gaps only move forward.
        let receiver = try pair.freshAcceptor()
        for envelope in envelopes { _ = try receiver.open(envelope) }
    }

    @Test func signalingSequenceStoreReservesBeforeUse() throws {
        let directory = StoreScratchDirectory()
        defer { directory.remove() }
        let path = directory.file("seq")
        let store = try SignalingSequenceStore(path: path, reserveBlock: 4)
        #expect(!DurableFile.exists(path))
        #expect(try store.next() == 1)
        #expect(store.reservedLimit == 5)
        #expect(try DurableFile.read(path) == Array("PSQ1".utf8) + [0, 0, 0, 0, 0, 0, 0, 5])
        #expect(try store.next() == 2)
        // A "crash" now: the next process starts at the persisted limit.
        let restarted = try SignalingSequenceStore(path: path, reserveBlock: 4)
        #expect(try restarted.next() == 5)
        #expect(try restarted.next() == 6)
        // A damaged file is reported, not silently reset.
        try DurableFile.write([1, 2, 3], to: path)
        #expect(throws: ContactsError.corruptStore(path: path, reason: "not a Parley signaling sequence file")) {
            try SignalingSequenceStore(path: path)
        }
        #expect(throws: ContactsError.self) { try SignalingSequenceStore(path: path, reserveBlock: 0) }
    }

    @Test func signalingSealFailsWhenSequenceCannotBeReserved() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        try DurableFile.write([0], to: pair.directory.file("blocker"))
        let channel = try SignalingChannel(
            root: pair.root, role: .inviter, signingKey: pair.inviterKeys.secretKey,
            peerSigningKey: pair.acceptorKeys.publicKey, sessionID: pair.sessionID, algorithm: pair.algorithm,
            sequences: SignalingSequenceStore(path: pair.directory.file("blocker/seq")))
        #expect {
            try channel.seal(SignalingMessage(kind: .offer))
        } throws: { error in
            if case .storage = error as? ContactsError { return true }
            return false
        }
    }

    @Test func signalingDirectionKeysDiffer() throws {
        let pair = try SignalingPair()
        defer { pair.directory.remove() }
        let id = SignalingEnvelopeHeader.id(of: pair.algorithm)
        #expect(pair.inviter.sendKey != pair.inviter.receiveKeys[id])
        #expect(pair.inviter.sendKey == pair.acceptor.receiveKeys[id])
        #expect(pair.inviter.receiveKeys[id] == pair.acceptor.sendKey)
        let one = try SignalingChannel.deriveKey(root: pair.root, direction: 1, algorithm: pair.algorithm)
        let two = try SignalingChannel.deriveKey(root: pair.root, direction: 2, algorithm: pair.algorithm)
        #expect(one != two)
        #expect(one.count == 32)
    }

    @Test func signalingNonceLayout() {
        #expect(SignalingChannel.nonce(sequence: 0x0102, algorithm: .aes256GCM) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2])
        let long = SignalingChannel.nonce(sequence: UInt64.max, algorithm: .xChaCha20Poly1305)
        #expect(long.count == 24)
        #expect(long == [UInt8](repeating: 0, count: 16) + [UInt8](repeating: 0xFF, count: 8))
    }

    @Test func signalingErrorMessagesCarryNoKeys() {
        let text = "\(ContactsError.signalingReplayed(sequence: 7))"
        #expect(text.contains("7"))
        #expect("\(ContactsError.invalidSignalingMessage("x"))".hasPrefix("signaling message refused"))
    }
}
