import CSodium

/// The key schedule of one member in a mesh group call (design.md, "Group call"): from our
/// ephemeral X25519 key, the host-signed roster and the group secret to pairwise SRTP keys
/// with each other member. Members who are not each other's contacts are keyed the same way.
///
/// ```
/// pair(A, B)  = HKDF-SHA256(ikm: X25519(a, B), salt: group secret,
///                           info: "parley group pair v1" || call id (16) || roster version (4, BE)
///                                 || min(idA, idB) (16) || max(idA, idB) (16), L = 32)
/// srtp(s, sender, receiver, ssrc) = HKDF-Expand(pair(sender, receiver),
///                           info: "parley group srtp v1" || suite name (ASCII)
///                                 || sender id (16) || receiver id (16) || ssrc (4, BE),
///                           L = s.keyingMaterialLength)     // master key || master salt
/// ```
///
/// Ids are ordered bytewise (lexicographic). A roster update (join/leave) comes with a new
/// version and a new group secret, so every pair key changes; a removed member, lacking the
/// new group secret (and the others' private keys), cannot derive the new keys.
///
/// The schedule does not take over our ephemeral private key: it stays valid across roster
/// versions of the same call (`rekeyed(roster:hostPublicKey:groupSecret:)`); wipe it at the
/// end of the call. `wipe()` and deinit zero the pair secrets.
public final class GroupKeySchedule: CustomStringConvertible {
    /// Bytes of the group secret.
    public static let groupSecretLength = 32
    /// Bytes of a pair secret.
    public static let pairSecretLength = 32

    static let pairLabel = Array("parley group pair v1".utf8)
    static let srtpLabel = Array("parley group srtp v1".utf8)

    /// Our member id.
    public let memberID: [UInt8]
    /// The verified roster these keys belong to.
    public let roster: GroupRoster
    private let hostPublicKey: [UInt8]
    private let ephemeralPrivateKey: SecretBytes
    private var pairSecrets: [[UInt8]: SecretBytes]
    /// True once `wipe()` ran: no more keys come out.
    public private(set) var isWiped = false

    /// A fresh random group secret (host side, one per roster version).
    public static func generateGroupSecret() throws(SecurityError) -> SecretBytes {
        try SecretBytes(random: groupSecretLength)
    }

    /// Verifies the roster and derives a pair secret with every other member.
    ///
    /// - Throws: `.groupRoster(.badSignature)` etc. for a refused roster,
    ///   `.groupRoster(.notAMember)` if `memberID` is not listed with our public key,
    ///   `.wrongLength` for a wrong-size group secret, `.lowOrderPublicKey` for a degenerate key.
    public init(
        memberID: [UInt8], ephemeralPrivateKey: SecretBytes, roster: GroupRoster, hostPublicKey: [UInt8],
        groupSecret: SecretBytes
    ) throws(SecurityError) {
        try roster.verify(hostPublicKey: hostPublicKey)
        guard groupSecret.count == Self.groupSecretLength else {
            throw .wrongLength(what: "group secret", expected: Self.groupSecretLength, actual: groupSecret.count)
        }
        let ourPublic = try X25519.publicKey(privateKey: ephemeralPrivateKey)
        guard let me = roster.member(id: memberID), me.ephemeralPublicKey == ourPublic else {
            throw .groupRoster(.notAMember)
        }
        var salt = groupSecret.copyBytes()
        defer { salt.withUnsafeMutableBytes { sodiumWipe($0) } }
        var secrets: [[UInt8]: SecretBytes] = [:]
        for other in roster.members where other.id != memberID {
            let shared = try X25519.sharedSecret(privateKey: ephemeralPrivateKey, publicKey: other.ephemeralPublicKey)
            defer { shared.wipe() }
            var ikm = shared.copyBytes()
            defer { ikm.withUnsafeMutableBytes { sodiumWipe($0) } }
            var secret = try HKDF.derive(
                ikm: ikm, salt: salt,
                info: Self.pairInfo(callID: roster.callID, rosterVersion: roster.version, memberA: memberID, memberB: other.id),
                length: Self.pairSecretLength)
            defer { secret.withUnsafeMutableBytes { sodiumWipe($0) } }
            secrets[other.id] = SecretBytes(copying: secret)
        }
        self.memberID = memberID
        self.ephemeralPrivateKey = ephemeralPrivateKey
        self.roster = roster
        self.hostPublicKey = hostPublicKey
        self.pairSecrets = secrets
    }

    deinit { wipe() }

    /// A schedule for a roster update of the same call (join/leave): the new roster must have
    /// the same call id and a higher version, and comes with a new group secret. This
    /// schedule is wiped once the new one exists.
    public func rekeyed(roster newRoster: GroupRoster, hostPublicKey newHost: [UInt8]? = nil, groupSecret: SecretBytes) throws(SecurityError) -> GroupKeySchedule {
        guard newRoster.callID == roster.callID, newRoster.version > roster.version else {
            throw .groupRoster(.staleUpdate(current: roster.version, received: newRoster.version))
        }
        let next = try GroupKeySchedule(
            memberID: memberID, ephemeralPrivateKey: ephemeralPrivateKey, roster: newRoster,
            hostPublicKey: newHost ?? hostPublicKey, groupSecret: groupSecret)
        wipe()
        return next
    }

    /// The HKDF info of a pair secret; symmetric in the two ids.
    public static func pairInfo(callID: [UInt8], rosterVersion: UInt32, memberA: [UInt8], memberB: [UInt8]) -> [UInt8] {
        let (low, high) = memberA.lexicographicallyPrecedes(memberB) ? (memberA, memberB) : (memberB, memberA)
        return pairLabel + callID + bigEndian(rosterVersion) + low + high
    }

    /// The HKDF info of one SRTP key: label, suite name, sender id, receiver id, SSRC.
    public static func srtpInfo(suite: SRTPSuite, senderID: [UInt8], receiverID: [UInt8], senderSSRC: UInt32) -> [UInt8] {
        srtpLabel + Array(suite.rawValue.utf8) + senderID + receiverID + bigEndian(senderSSRC)
    }

    /// The other members' ids, in roster order.
    public var peerIDs: [[UInt8]] { roster.members.map(\.id).filter { $0 != memberID } }

    /// SRTP master key || master salt for the stream `senderID` sends to `receiverID` from
    /// `senderSSRC`. One of the two must be us. Both members of the pair get the same bytes.
    ///
    /// - Throws: `.groupRoster(.notAMember)` for an id not in the roster (or neither is us),
    ///   `.invalidParameter` after `wipe()`.
    public func srtpKeyingMaterial(suite: SRTPSuite, senderID: [UInt8], receiverID: [UInt8], senderSSRC: UInt32) throws(SecurityError) -> SecretBytes {
        guard !isWiped else {
            throw SecurityError.invalidParameter("the group call keys were wiped; use the schedule of the current roster")
        }
        let peer: [UInt8]
        if senderID == memberID { peer = receiverID } else if receiverID == memberID { peer = senderID } else {
            throw .groupRoster(.notAMember)
        }
        guard let pair = pairSecrets[peer] else { throw .groupRoster(.notAMember) }
        var prk = pair.copyBytes()
        defer { prk.withUnsafeMutableBytes { sodiumWipe($0) } }
        var okm = try HKDF.expand(
            prk: prk, info: Self.srtpInfo(suite: suite, senderID: senderID, receiverID: receiverID, senderSSRC: senderSSRC),
            length: suite.keyingMaterialLength)
        defer { okm.withUnsafeMutableBytes { sodiumWipe($0) } }
        return SecretBytes(copying: okm)
    }

    /// Keying material for our stream to `peerID` from `ssrc`.
    public func outboundKeyingMaterial(suite: SRTPSuite, to peerID: [UInt8], ssrc: UInt32) throws(SecurityError) -> SecretBytes {
        try srtpKeyingMaterial(suite: suite, senderID: memberID, receiverID: peerID, senderSSRC: ssrc)
    }

    /// Keying material for `peerID`'s stream to us from `ssrc`.
    public func inboundKeyingMaterial(suite: SRTPSuite, from peerID: [UInt8], ssrc: UInt32) throws(SecurityError) -> SecretBytes {
        try srtpKeyingMaterial(suite: suite, senderID: peerID, receiverID: memberID, senderSSRC: ssrc)
    }

    /// Zeroes every pair secret. Idempotent. Our ephemeral private key is the caller's to wipe.
    public func wipe() {
        for secret in pairSecrets.values { secret.wipe() }
        isWiped = true
    }

    public var description: String {
        "GroupKeySchedule(roster v\(roster.version), \(pairSecrets.count) peers, \(isWiped ? "wiped" : "live"))"
    }

    private static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }
}
