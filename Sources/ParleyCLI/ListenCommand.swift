import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// `parley listen`: answers calls from contacts, as the policy allows.
struct ListenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Wait for calls from your contacts and answer them.",
        discussion: """
            Claims your mailbox for each contact at its relay and waits for call offers. An \
            offer is checked against the profile's policy before anything is answered (only \
            contacts, not blocked, approved by the guardian on a supervised profile, a license \
            for more than two people); a refused call gets a coarse refusal and no media. \
            With --auto-answer every allowed call is answered (headless use); otherwise you \
            are asked on the terminal. --once stops after the first call.

            Example:
              parley listen --auto-answer --once --audio Fixtures/speech-48k-mono.wav --out out/listen
            """
    )

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var media: DirectMediaOptions
    @OptionGroup var ice: ICEOptions
    @OptionGroup var controlOptions: ControlOptions
    @Flag(help: "Answer every call the policy allows without asking.") var autoAnswer = false
    @Flag(help: "Stop after the first call.") var once = false
    @Option(help: ArgumentHelp("Stop listening after this many seconds without a call.", valueName: "SECONDS"))
    var idleTimeout: Double?

    func run() throws {
        logging.bootstrap()
        let options = try media.directOptions()
        let controller = try controlOptions.open()
        defer { controller?.close() }
        let control = controller?.control
        let store = try ProfileStore()
        _ = try store.load()
        let book: ContactBook = try ContactBook.store(in: store.directory).load()
        let mailboxes = try book.contactMailboxes()
        guard !mailboxes.isEmpty else { throw CLIError.failed("you have no contacts yet; exchange an invitation first (`parley invite`)") }
        var relays: [(index: Int, relay: RelaySession, ours: MailboxID, theirs: MailboxID)] = []
        for mailbox in mailboxes {
            let (relay, ours, theirs) = try CallSignaling.connect(contact: book.contacts[mailbox.contact], claimKey: mailbox.claimKey)
            relays.append((mailbox.contact, relay, ours, theirs))
        }
        print("Listening for calls from \(mailboxes.count) contact\(mailboxes.count == 1 ? "" : "s")…")
        // Out at once, also into a file or pipe: a supervisor (`parley bench --setup`) waits for it.
        fflush(nil)
        var lastActivity = Date()
        while true {
            var handled = false
            for entry in relays {
                let relay = entry.relay, mailbox = entry.ours
                let envelopes = (try? RelayExchange.blocking { try await relay.fetch(mailbox: mailbox) }) ?? []
                for envelope in envelopes {
                    guard let callID = try? CallSetup.callID(ofEnvelope: envelope.bytes),
                          let message = Self.peek(envelope.bytes, book: book, index: entry.index, callID: callID, directory: store.directory),
                          message.kind == .offer else {
                        continue  // not an offer we can open now: left for its call or expiry
                    }
                    try? RelayExchange.blocking { try await relay.ack(mailbox: mailbox, ids: [envelope.id]) }
                    handled = true
                    do {
                        if message.body.first == GroupInvite.version {
                            let autoAnswer = self.autoAnswer
                            try GroupCallRunner.member(
                                invitation: envelope.bytes, callID: callID, contactIndex: entry.index, book: book, relay: relay,
                                ours: entry.ours, theirs: entry.theirs, directory: store.directory, options: options, ice: ice,
                                control: control, admit: { autoAnswer || Self.ask($0) })
                        } else {
                            try answer(envelope.bytes, callID: callID, contactIndex: entry.index, book: book, relay: relay,
                                       ours: entry.ours, theirs: entry.theirs, directory: store.directory, options: options,
                                       control: control)
                        }
                    } catch {
                        // One call that fails (the caller gave up, no path) does not end the listening.
                        if once { throw error }
                        FileHandle.standardError.write(Data("parley: the call failed: \(error)\n".utf8))
                    }
                    if once { return }
                    lastActivity = Date()
                    print("Listening…")
                }
            }
            if let idleTimeout, Date().timeIntervalSince(lastActivity) > idleTimeout {
                print("No call for \(Int(idleTimeout)) s; stopped listening.")
                return
            }
            if !handled { usleep(20_000) }
        }
    }

    /// The kind of a sealed message, if it opens on a fresh channel for its call (without
    /// keeping that channel: its sequence file is locked while it lives).
    static func peek(_ envelope: [UInt8], book: ContactBook, index: Int, callID: [UInt8], directory: String) -> SignalingMessage? {
        guard let channel = try? book.signalingChannel(for: index, sessionID: callID, directory: directory) else { return nil }
        return try? channel.open(envelope)
    }

    private func answer(_ offer: [UInt8], callID: [UInt8], contactIndex: Int, book: ContactBook, relay: RelaySession,
                        ours: MailboxID, theirs: MailboxID, directory: String, options: DirectCallOptions,
                        control: CallControl?) throws {
        let startedAt = Date()
        let entry = book.contacts[contactIndex]
        let name = RelayExchange.label(entry)
        let channel = try book.signalingChannel(for: contactIndex, sessionID: callID, directory: directory)
        let signaling = CallSignaling(contactIndex: contactIndex, contact: entry, channel: channel, relay: relay,
                                      ourMailbox: ours, peerMailbox: theirs)
        let callICE = try CallICE(role: .controlled, options: ice, config: try NetworkConfig.load(directory))
        defer { callICE.transport.agent.close() }
        let local = try LocalMedia(sendsVideo: options.videoPath != nil)
        let description = local.description(ice: callICE)
        let autoAnswer = self.autoAnswer
        let reply = try CallCallee.answer(offer, on: channel, contact: entry, description: description.sdp) { offer throws(ContactsError) in
            try CallPolicy.checkBeforeCall(directory: directory, contactIDs: [entry.id], participants: offer.participants)
            guard autoAnswer || Self.ask("Incoming call from \(name). Answer? [y/N] ") else {
                throw ContactsError.other("you did not answer")
            }
        }
        switch reply {
        case .declined(let envelope, let reason):
            try? signaling.send(envelope)
            print("Refused a call from \(name): \(reason)")
        case .answered(let envelope, let call):
            try signaling.send(envelope)
            print("Answered a call from \(name); connecting…")
            let remote = try DirectCallDescription(parsing: call.remoteDescription)
            try callICE.transport.agent.setRemoteCredentials(ufrag: remote.ufrag, password: remote.password)
            try callICE.transport.agent.gather()
            try DirectCallRunner.waitForPath(callICE, signaling, timeout: ice.connectTimeout, peer: name)
            try DirectCallRunner.run(call: call, ice: callICE, local: local, peer: name, signaling: signaling, options: options,
                                     startedAt: startedAt, control: control)
        }
    }

    static func ask(_ question: String) -> Bool {
        guard isatty(0) != 0 else { return false }
        FileHandle.standardOutput.write(Data(question.utf8))
        return readLine()?.lowercased().hasPrefix("y") ?? false
    }
}
