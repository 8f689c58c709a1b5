import Foundation
import ParleySecurity

/// What the profile keeps about its correspondents, encrypted at rest in
/// `contacts.store` (AEAD under the profile's key file `store.key`): for now the pending
/// invitations with their per-contact secrets, waiting for an acceptance.
public struct ContactBook: Codable, Equatable, Sendable {
    /// An invitation this profile gave out and its secrets (base64), until it is accepted or expires.
    public struct PendingInvitation: Codable, Equatable, Sendable {
        public var invitationID: String
        public var uri: String
        public var expiry: Int64
        public var signingSecretKey: String
        public var agreementPrivateKey: String
        public var contribution: String
    }

    public var pendingInvitations: [PendingInvitation] = []

    public init() {}

    public static let storeFileName = "contacts.store"
    public static let keyFileName = "store.key"

    /// The encrypted store of the profile in `directory`.
    public static func store(in directory: String) -> EncryptedStore {
        EncryptedStore(path: DurableFile.join(directory, storeFileName),
                       key: .keyFile(path: DurableFile.join(directory, keyFileName)))
    }

    /// Creates the key file and an empty book for a new profile.
    public static func create(in directory: String) throws(ContactsError) {
        try EncryptedStore.createKeyFile(at: DurableFile.join(directory, keyFileName))
        try store(in: directory).save(ContactBook())
    }

    /// Records a new invitation and its secrets.
    public mutating func add(_ invitation: Invitation, secrets: InvitationSecrets) {
        func b64(_ secret: SecretBytes) -> String { Data(secret.copyBytes()).base64EncodedString() }
        pendingInvitations.append(PendingInvitation(
            invitationID: Data(invitation.invitationID).base64EncodedString(), uri: invitation.uri,
            expiry: invitation.expiry, signingSecretKey: b64(secrets.signingKeyPair.secretKey),
            agreementPrivateKey: b64(secrets.agreementKeyPair.privateKey), contribution: b64(secrets.contribution)))
    }
}
