import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// `parley call CONTACT`: calls a contact through the relay and runs the call.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a contact: end-to-end encrypted audio over a direct (ICE) path.",
        discussion: """
            Seals a call offer to the contact (its ICE credentials and audio SSRC, under \
            keys from your contact session and a fresh ephemeral key), leaves it in the \
            contact's mailbox at their relay, and trickles ICE candidates the same way. \
            When the contact's `parley listen` answers, ICE finds a path, both sides show \
            the same five words (compare them by voice), and Opus audio flows both ways \
            under SRTP keys only the two of you hold. The relay sees sealed envelopes only.

            With --with, a group call: each invited contact joins from its `parley listen`, \
            every pair of people finds its own path and its own keys, and everyone hears the \
            mix of the others and sees their video in a grid (received.y4m).

            Examples:
              parley call Bob --audio Fixtures/speech-48k-mono.wav --out out/call --duration 10
              parley call Bob --with Carol --video Fixtures/motion-640x360.ivf --out out/group
            """
    )

    @OptionGroup var logging: LoggingOptions
    @Argument(help: ArgumentHelp("The contact: the short id `parley contacts list` prints, or its display name.",
                                 valueName: "CONTACT"))
    var contact: String
    @Option(name: .customLong("with"), help: ArgumentHelp(
        "Make it a group call (a mesh: everyone sends to everyone) with these contacts too, comma-separated; needs a group license.",
        valueName: "CONTACT2,CONTACT3"))
    var with: String?
    @OptionGroup var media: DirectMediaOptions
    @OptionGroup var ice: ICEOptions
    @OptionGroup var controlOptions: ControlOptions

    func run() throws {
        logging.bootstrap()
        let startedAt = Date()
        let options = try media.directOptions()
        let controller = try controlOptions.open()
        defer { controller?.close() }
        let control = controller?.control
        let store = try ProfileStore()
        _ = try store.load()
        let book: ContactBook = try ContactBook.store(in: store.directory).load()
        let index = try book.resolve(contact)
        if let with {
            var indices = [index]
            for other in with.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !other.isEmpty {
                let i = try book.resolve(other)
                guard !indices.contains(i) else {
                    throw CLIError.invalidValue(option: "--with", value: with, expected: "each contact once (\(other) is already in the call)")
                }
                indices.append(i)
            }
            guard indices.count + 1 <= MeshConfiguration.maximumParticipants else {
                throw CLIError.invalidValue(option: "--with", value: with,
                                            expected: "at most \(MeshConfiguration.maximumParticipants) people in a mesh call, you included")
            }
            try GroupCallRunner.host(contacts: indices, book: book, directory: store.directory, options: options, ice: ice,
                                     startedAt: startedAt, control: control)
            return
        }
        let entry = book.contacts[index]
        let name = RelayExchange.label(entry)
        try CallPolicy.checkBeforeCall(directory: store.directory, contactIDs: [entry.id], participants: 2)
        guard let claim = try book.contactMailboxes().first(where: { $0.contact == index })?.claimKey else {
            throw CLIError.failed("no mailbox for \(name)")
        }
        let (relay, ours, theirs) = try CallSignaling.connect(contact: entry, claimKey: claim)
        let callICE = try CallICE(role: .controlling, options: ice, config: try NetworkConfig.load(store.directory))
        defer { callICE.transport.agent.close() }
        let local = try LocalMedia(sendsVideo: options.videoPath != nil)
        let description = local.description(ice: callICE)
        let caller = try CallCaller(description: description.sdp)
        let channel = try book.signalingChannel(for: index, sessionID: caller.callID, directory: store.directory)
        let signaling = CallSignaling(contactIndex: index, contact: entry, channel: channel, relay: relay,
                                      ourMailbox: ours, peerMailbox: theirs)
        defer { signaling.close() }
        try signaling.send(try caller.sealOffer(on: channel))
        print("Calling \(name) through \(entry.relayHint) (call \(caller.callID.prefix(4).map { String(format: "%02x", $0) }.joined()))…")
        try callICE.transport.agent.gather()

        // The answer first (candidates that came before it are applied after it).
        let deadline = Date().addingTimeInterval(ice.connectTimeout)
        var established: EstablishedCall?
        var early: [[UInt8]] = []
        while established == nil {
            for envelope in try signaling.receive() {
                guard established == nil else { early.append(envelope); continue }
                do {
                    established = try caller.receive(envelope, on: channel, contact: entry)
                } catch ContactsError.callDeclined(let reason) {
                    throw CLIError.failed("\(name) refused the call: \(reason)")
                } catch {
                    continue  // not the answer (damaged, or a message before it): dropped
                }
            }
            _ = try callICE.exchange(signaling, incoming: [])
            if established == nil {
                if Date() > deadline { throw CLIError.failed("\(name) did not answer within \(Int(ice.connectTimeout)) s; is `parley listen` running on their side?") }
                usleep(20_000)
            }
        }
        guard let call = established else { return }
        print("\(name) answered; connecting…")
        let remote = try DirectCallDescription(parsing: call.remoteDescription)
        try callICE.transport.agent.setRemoteCredentials(ufrag: remote.ufrag, password: remote.password)
        _ = try callICE.exchange(signaling, incoming: early.compactMap { try? channel.open($0) })
        try DirectCallRunner.waitForPath(callICE, signaling, timeout: max(1, deadline.timeIntervalSinceNow + 5), peer: name)
        try DirectCallRunner.run(call: call, ice: callICE, local: local, peer: name, signaling: signaling, options: options,
                                 startedAt: startedAt, control: control)
    }
}
