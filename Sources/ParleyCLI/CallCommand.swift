import ArgumentParser
import Foundation
import ParleyContacts
import ParleyEngine
import ParleyNetwork
import ParleyRelay
import ParleySecurity

/// The signaling of one call with one contact, through the contact's relay: sealed
/// envelopes deposited into the peer's mailbox and fetched from ours (claimed once, on one
/// connection kept for the call). Everything runs on the caller's thread.
final class CallSignaling {
    let contactIndex: Int
    let contact: ContactBook.Contact
    let channel: SignalingChannel
    let callID: [UInt8]
    private let relay: RelaySession
    private let ourMailbox: MailboxID
    private let peerMailbox: MailboxID
    private(set) var deposits = 0

    /// Connects to the contact's relay and claims our mailbox for it.
    static func connect(contact: ContactBook.Contact, claimKey: Ed25519.KeyPair) throws -> (RelaySession, MailboxID, MailboxID) {
        let (host, port) = try RelayExchange.endpoint(contact.relayHint)
        guard let ours = MailboxID(bytes: try hexBytes(contact.mailbox)), let theirs = MailboxID(bytes: try hexBytes(contact.peerMailbox)) else {
            throw CLIError.failed("the contact's mailbox ids are damaged; exchange invitations again")
        }
        let session = RelaySession(host: host, port: port, retry: RelayExchange.retry)
        let key = RelayClaimKey(claimKey)
        do {
            try RelayExchange.blocking { try await session.claim(mailbox: ours, key: key) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        return (session, ours, theirs)
    }

    init(contactIndex: Int, contact: ContactBook.Contact, channel: SignalingChannel, relay: RelaySession,
         ourMailbox: MailboxID, peerMailbox: MailboxID) {
        self.contactIndex = contactIndex
        self.contact = contact
        self.channel = channel
        callID = channel.sessionID
        self.relay = relay
        self.ourMailbox = ourMailbox
        self.peerMailbox = peerMailbox
    }

    /// Deposits a sealed envelope for the peer (short TTL: call signaling is stale in minutes).
    func send(_ envelope: [UInt8]) throws {
        let relay = self.relay, mailbox = peerMailbox
        do {
            try RelayExchange.blocking { _ = try await relay.deposit(mailbox: mailbox, envelope: envelope, ttl: 120) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        deposits += 1
    }

    func send(_ message: SignalingMessage) throws { try send(try channel.seal(message)) }

    /// This call's envelopes in our mailbox (acknowledged: they are gone from the relay).
    /// Other calls' envelopes stay for whoever handles them.
    func receive() throws -> [[UInt8]] {
        let relay = self.relay, mailbox = ourMailbox
        let envelopes: [RelayEnvelope]
        do {
            envelopes = try RelayExchange.blocking { try await relay.fetch(mailbox: mailbox) }
        } catch { throw RelayExchange.relayFailure(contact.relayHint, error) }
        let mine = envelopes.filter { (try? CallSetup.callID(ofEnvelope: $0.bytes)) == callID }
        let ids = mine.map(\.id)
        if !ids.isEmpty { try? RelayExchange.blocking { try await relay.ack(mailbox: mailbox, ids: ids) } }
        return mine.map(\.bytes)
    }

    func close() {
        let relay = self.relay
        try? RelayExchange.blocking { await relay.close() }
    }
}

func hexBytes(_ text: String) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
        guard let byte = UInt8(text[index..<next], radix: 16) else { throw CLIError.failed("'\(text)' is not hex") }
        bytes.append(byte)
        index = next
    }
    return bytes
}

/// ICE for one call: the agent's candidates and state changes, queued on libnice's thread
/// and taken by the command's thread (which signals them).
final class CallICE: @unchecked Sendable {
    let transport: ICETransport
    private let lock = NSLock()
    private var pending: [ICECandidate] = []
    private var gatheringDone = false
    private var gatheringSignaled = false
    private(set) var states: [ICEState] = []
    let start: Date

    init(role: ICEAgent.Role, options: ICEOptions, config: NetworkConfig) throws {
        let start = Date()
        self.start = start
        var configuration = ICEAgent.Configuration(role: role)
        configuration.localAddresses = options.localAddress
        // The command line first, then `parley config`.
        if let stun = options.stun ?? config.stun { configuration.stunServer = try ICEServer(parsing: stun) }
        let fromCommandLine = options.turn != nil
        if let turn = options.turn ?? config.turn {
            configuration.turnServer = try ICEServer(parsing: turn)
            let secret = fromCommandLine ? options.turnSecret : (options.turnSecret ?? config.turnSecret)
            let user = fromCommandLine ? options.turnUser : (options.turnUser ?? config.turnUser)
            let password = fromCommandLine ? options.turnPassword : (options.turnPassword ?? config.turnPassword)
            if let secret {
                configuration.turnCredentials = TURNCredentials.rest(secret: secret, user: "parley", validFor: 3600)
            } else if let user, let password {
                configuration.turnCredentials = TURNCredentials(username: user, password: password)
            } else {
                throw CLIError.invalidValue(option: "--turn", value: turn,
                                            expected: "give --turn-secret SECRET, or --turn-user and --turn-password (or set them with `parley config set`)")
            }
        }
        var handlers = ICEAgent.Handlers()
        let box = WeakBox<CallICE>()
        handlers.onCandidate = { c in box.value?.queue(c) }
        handlers.onGatheringDone = { box.value?.markGathered() }
        handlers.onStateChange = { s in box.value?.record(s) }
        transport = try ICETransport(configuration: configuration, handlers: handlers, clock: { Date().timeIntervalSince(start) })
        box.value = self
    }

    private func queue(_ c: ICECandidate) { lock.withLock { pending.append(c) } }
    private func markGathered() { lock.withLock { gatheringDone = true } }
    private func record(_ s: ICEState) { lock.withLock { states.append(s) } }

    /// Candidates gathered since the last call, and whether gathering just finished.
    func take() -> (candidates: [ICECandidate], finished: Bool) {
        lock.withLock {
            let c = pending
            pending = []
            let finished = gatheringDone && !gatheringSignaled
            if finished { gatheringSignaled = true }
            return (c, finished)
        }
    }

    /// Sends our new candidates (and end-of-candidates) to the peer; applies theirs.
    func exchange(_ signaling: CallSignaling, incoming: [SignalingMessage]) throws -> Bool {
        let (candidates, finished) = take()
        for c in candidates { try signaling.send(SignalingMessage(kind: .candidate, body: Array(c.sdp.utf8))) }
        if finished { try signaling.send(SignalingMessage(kind: .candidate, body: [])) }
        var hungUp = false
        for message in incoming {
            switch message.kind {
            case .candidate:
                if message.body.isEmpty {
                    transport.agent.remoteGatheringDone()
                } else if let sdp = String(validating: message.body, as: UTF8.self) {
                    try? transport.agent.addRemoteCandidate(sdp)
                }
            case .hangup: hungUp = true
            default: break
            }
        }
        return hungUp
    }
}

final class WeakBox<T: AnyObject>: @unchecked Sendable {
    weak var value: T?
}

/// ICE options shared by `call` and `listen`.
struct ICEOptions: ParsableArguments {
    @Option(name: .customLong("stun"), help: ArgumentHelp(
        "A STUN server for server-reflexive candidates, A.B.C.D[:PORT].", valueName: "SERVER"))
    var stun: String?

    @Option(name: .customLong("turn"), help: ArgumentHelp(
        "A TURN server (UDP) for relay candidates, when no direct path works: A.B.C.D[:PORT].", valueName: "SERVER"))
    var turn: String?

    @Option(name: .customLong("turn-secret"), help: ArgumentHelp(
        "The TURN server's shared secret (coturn --static-auth-secret): time-limited credentials are made from it (TURN REST scheme).",
        valueName: "SECRET"))
    var turnSecret: String?

    @Option(name: .customLong("turn-user"), help: ArgumentHelp("A TURN user name (with --turn-password), instead of --turn-secret.", valueName: "NAME"))
    var turnUser: String?

    @Option(name: .customLong("turn-password"), help: ArgumentHelp("The TURN user's password.", valueName: "PASSWORD"))
    var turnPassword: String?

    @Option(name: .customLong("local-address"), help: ArgumentHelp(
        "Gather host candidates only on this local IPv4 address (repeatable; default: every interface).",
        valueName: "ADDRESS"))
    var localAddress: [String] = []

    @Option(name: .customLong("connect-timeout"), help: ArgumentHelp(
        "Seconds to wait for the answer and a working ICE path.", valueName: "SECONDS"))
    var connectTimeout: Double = 20
}

/// The media options shared by `call` and `listen`.
struct DirectMediaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WAV file to send (silence when absent or after its end).", valueName: "FILE"))
    var audio: String?

    @Option(help: ArgumentHelp("Directory for received.wav and report.json.", valueName: "DIR"))
    var out: String = "out/call"

    @Option(help: ArgumentHelp("Seconds of media once connected.", valueName: "SECONDS"))
    var duration: Double = 10

    @Option(help: ArgumentHelp("End the call when nothing arrives from the peer for this long (it vanished).",
                               valueName: "SECONDS"))
    var silentTimeout: Double = 5

    func directOptions() throws -> DirectCallOptions {
        guard duration > 0, duration.isFinite else { throw CLIError.invalidValue(option: "--duration", value: "\(duration)", expected: "give a positive number of seconds") }
        if let audio, !FileManager.default.fileExists(atPath: audio) {
            throw CLIError.invalidValue(option: "--audio", value: audio, expected: "the file does not exist")
        }
        guard silentTimeout > 0, silentTimeout.isFinite else {
            throw CLIError.invalidValue(option: "--silent-timeout", value: "\(silentTimeout)", expected: "give a positive number of seconds")
        }
        var options = DirectCallOptions(audioPath: audio, outputDirectory: out, duration: duration)
        options.silentTimeout = silentTimeout
        return options
    }
}

/// Runs the media of an established call and writes its report.
enum DirectCallRunner {
    static func run(call: EstablishedCall, ice: CallICE, localSSRC: UInt32, signaling: CallSignaling,
                    options: DirectCallOptions, startedAt: Date) throws {
        let remote = try DirectCallDescription(parsing: call.remoteDescription)
        print("Connected after \(String(format: "%.0f", Date().timeIntervalSince(startedAt) * 1000)) ms: "
              + (ice.transport.agent.selectedPair.map { "\($0)" } ?? "path selected"))
        print("Compare these words with your contact: \(call.shortAuthenticationString.words.joined(separator: " "))")
        let media = try DirectCall(schedule: call.schedule, localSSRC: localSSRC, remoteSSRC: remote.audioSSRC,
                                   transport: ice.transport, options: options)
        let report = try media.run(progress: { print($0) })
        try? signaling.send(SignalingMessage(kind: .hangup))
        if let first = report.firstAudioPlayedAfter {
            print("First audio played \(String(format: "%.0f", (first + Date().timeIntervalSince(startedAt) - report.callSeconds) * 1000)) ms after the start.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = (options.outputDirectory as NSString).appendingPathComponent("report.json")
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("Call ended: \(report.stopReason). Sent \(report.packetsSent) packets, received \(report.packetsReceived); "
              + "\(report.audio?.packetsLost ?? 0) lost, \(report.audio?.concealedSamples ?? 0) samples concealed.")
        print("  \(report.receivedPath)\n  \(path)")
        call.schedule.wipe()
    }

    /// Keeps signaling (candidates both ways) until ICE connects; throws after `timeout`.
    static func waitForPath(_ ice: CallICE, _ signaling: CallSignaling, timeout: Double, peer: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !ice.transport.agent.state.isConnected {
            let incoming = try signaling.receive().compactMap { try? signaling.channel.open($0) }
            if try ice.exchange(signaling, incoming: incoming) { throw CLIError.failed("\(peer) hung up before the call connected") }
            if ice.transport.agent.state == .failed {
                throw CLIError.failed("no network path to \(peer) works (ICE failed); check that both sides can reach each other or set a TURN server")
            }
            if Date() > deadline {
                throw CLIError.failed("no network path to \(peer) within \(Int(timeout)) s (ICE state \(ice.transport.agent.state.rawValue)); is \(peer) online and running `parley listen`?")
            }
            usleep(20_000)
        }
        // The last candidates (and end-of-candidates) still go out.
        _ = try ice.exchange(signaling, incoming: [])
    }
}

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

            Example:
              parley call Bob --audio Fixtures/speech-48k-mono.wav --out out/call --duration 10
            """
    )

    @OptionGroup var logging: LoggingOptions
    @Argument(help: ArgumentHelp("The contact: the short id `parley contacts list` prints, or its display name.",
                                 valueName: "CONTACT"))
    var contact: String
    @OptionGroup var media: DirectMediaOptions
    @OptionGroup var ice: ICEOptions

    func run() throws {
        logging.bootstrap()
        let startedAt = Date()
        let options = try media.directOptions()
        let store = try ProfileStore()
        _ = try store.load()
        let book: ContactBook = try ContactBook.store(in: store.directory).load()
        let index = try book.resolve(contact)
        let entry = book.contacts[index]
        let name = RelayExchange.label(entry)
        try CallPolicy.checkBeforeCall(directory: store.directory, contactIDs: [entry.id], participants: 2)
        guard let claim = try book.contactMailboxes().first(where: { $0.contact == index })?.claimKey else {
            throw CLIError.failed("no mailbox for \(name)")
        }
        let (relay, ours, theirs) = try CallSignaling.connect(contact: entry, claimKey: claim)
        let callICE = try CallICE(role: .controlling, options: ice, config: try NetworkConfig.load(store.directory))
        defer { callICE.transport.agent.close() }
        let ssrc = try MediaProfile.randomStreamIdentity().ssrc
        let credentials = callICE.transport.agent.localCredentials
        let description = DirectCallDescription(ufrag: credentials.ufrag, password: credentials.password, audioSSRC: ssrc)
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
        try DirectCallRunner.run(call: call, ice: callICE, localSSRC: ssrc, signaling: signaling, options: options, startedAt: startedAt)
    }
}

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
    @Flag(help: "Answer every call the policy allows without asking.") var autoAnswer = false
    @Flag(help: "Stop after the first call.") var once = false
    @Option(help: ArgumentHelp("Stop listening after this many seconds without a call.", valueName: "SECONDS"))
    var idleTimeout: Double?

    func run() throws {
        logging.bootstrap()
        let options = try media.directOptions()
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
        var lastActivity = Date()
        while true {
            var handled = false
            for entry in relays {
                let relay = entry.relay, mailbox = entry.ours
                let envelopes = (try? RelayExchange.blocking { try await relay.fetch(mailbox: mailbox) }) ?? []
                for envelope in envelopes {
                    guard let callID = try? CallSetup.callID(ofEnvelope: envelope.bytes),
                          let message = Self.peek(envelope.bytes, book: book, index: entry.index, callID: callID, directory: store.directory),
                          message == .offer else {
                        continue  // not an offer we can open now: left for its call or expiry
                    }
                    try? RelayExchange.blocking { try await relay.ack(mailbox: mailbox, ids: [envelope.id]) }
                    handled = true
                    try answer(envelope.bytes, callID: callID, contactIndex: entry.index, book: book, relay: relay,
                               ours: entry.ours, theirs: entry.theirs, directory: store.directory, options: options)
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
    static func peek(_ envelope: [UInt8], book: ContactBook, index: Int, callID: [UInt8], directory: String) -> SignalingMessage.Kind? {
        guard let channel = try? book.signalingChannel(for: index, sessionID: callID, directory: directory) else { return nil }
        return (try? channel.open(envelope))?.kind
    }

    private func answer(_ offer: [UInt8], callID: [UInt8], contactIndex: Int, book: ContactBook, relay: RelaySession,
                        ours: MailboxID, theirs: MailboxID, directory: String, options: DirectCallOptions) throws {
        let startedAt = Date()
        let entry = book.contacts[contactIndex]
        let name = RelayExchange.label(entry)
        let channel = try book.signalingChannel(for: contactIndex, sessionID: callID, directory: directory)
        let signaling = CallSignaling(contactIndex: contactIndex, contact: entry, channel: channel, relay: relay,
                                      ourMailbox: ours, peerMailbox: theirs)
        let callICE = try CallICE(role: .controlled, options: ice, config: try NetworkConfig.load(directory))
        defer { callICE.transport.agent.close() }
        let ssrc = try MediaProfile.randomStreamIdentity().ssrc
        let credentials = callICE.transport.agent.localCredentials
        let description = DirectCallDescription(ufrag: credentials.ufrag, password: credentials.password, audioSSRC: ssrc)
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
            try DirectCallRunner.run(call: call, ice: callICE, localSSRC: ssrc, signaling: signaling, options: options,
                                     startedAt: startedAt)
        }
    }

    static func ask(_ question: String) -> Bool {
        guard isatty(0) != 0 else { return false }
        FileHandle.standardOutput.write(Data(question.utf8))
        return readLine()?.lowercased().hasPrefix("y") ?? false
    }
}
