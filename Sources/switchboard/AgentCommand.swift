import ArgumentParser
import Foundation
import SwiftProtobuf
import SwitchboardClient
import SwitchboardServer
import SwitchboardWire

/// `switchboard agent`: a terminal agent desktop. Logs in, keeps its heartbeat, shows each offer with
/// the case history across channels, accepts and completes (by hand, or `--auto-accept`).
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "A terminal agent: log in, see offers with the case history, accept and complete.",
        discussion: """
            Example:
              switchboard agent --id ana --skill billing=7 --language es --language en --auto-accept --handle-time 20
            Without --auto-accept each offer asks "accept? [y/n]", then waits for Enter to complete
            (type r then Enter to complete as resolved). Ctrl-C logs out.
            """
    )

    @Option(help: "The agent's id (e.g. an employee id).")
    var id: String

    @Option(help: "A skill, NAME=LEVEL with LEVEL 1-10 (repeatable).")
    var skill: [String] = []

    @Option(help: "A language the agent speaks, e.g. es (repeatable; default en).")
    var language: [String] = []

    @Option(help: "Capacity units (0 = the server's default, 100).")
    var capacity: UInt32 = 0

    @Flag(help: "Accept every offer at once and complete it after --handle-time seconds.")
    var autoAccept = false

    @Option(help: "With --auto-accept: seconds spent on each contact before completing it.")
    var handleTime: Double = 30

    @Option(help: "Server endpoint.")
    var server: String = "tcp://127.0.0.1:5555"

    func run() throws {
        var skills: [String: UInt32] = [:]
        for s in skill {
            let parts = s.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let level = UInt32(parts[1]), (1...10).contains(level) else {
                throw ValidationError("--skill must be NAME=LEVEL with LEVEL 1 to 10, got '\(s)'")
            }
            skills[String(parts[0])] = level
        }
        let session: AgentSession
        do {
            session = try AgentSession(
                endpoint: server, id: id, skills: skills, languages: language.isEmpty ? ["en"] : language,
                capacity: capacity)
        } catch {
            printError("switchboard agent: \(error)")
            throw ExitCode.failure
        }
        print("logged in as \(id) (heartbeat every \(Double(session.heartbeatMicros) / 1e6) s)")
        let stop = StopFlag()
        let trap = SignalTrap { _ in stop.set() }
        defer { trap.cancel() }
        let handle = handleTime
        let auto = autoAccept
        do {
            try session.run(until: { stop.isSet }) { offer in
                print(AgentSession.describe(offer))
                if auto { return .acceptAndComplete(after: handle, resolved: true) }
                print("accept? [y/n] ", terminator: "")
                guard readLine()?.lowercased().hasPrefix("y") == true else { return .decline }
                return .acceptThenAsk
            } askComplete: { contact in
                print("handling \(contact); press Enter to complete (r + Enter: resolved) ", terminator: "")
                return readLine()?.lowercased().hasPrefix("r") == true
            }
            try session.logout()
            print("logged out")
        } catch {
            printError("switchboard agent: \(error)")
            throw ExitCode.failure
        }
    }
}

/// A flag set from a signal handler's queue and read by the agent loop.
final class StopFlag: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// One agent desktop over one client: login, the offer stream, heartbeats, accept/decline/complete.
/// Shared by `switchboard agent` and the simulated agents of `switchboard demo`. Not thread-safe:
/// one thread runs it.
final class AgentSession {
    enum Decision {
        case decline
        /// Accept and complete after this many seconds (the loop keeps heartbeating meanwhile).
        case acceptAndComplete(after: Double, resolved: Bool)
        /// Accept, then ask `askComplete` (blocking) when to complete.
        case acceptThenAsk
    }

    let id: String
    let client: Client
    let heartbeatMicros: Int64
    private var streamID: UInt64 = 0
    private var due: [(at: Double, contact: UInt64, resolved: Bool)] = []
    private(set) var handled = 0

    init(endpoint: String, id: String, skills: [String: UInt32], languages: [String], capacity: UInt32) throws {
        self.id = id
        client = try Client(endpoint: endpoint)
        var login = Switchboard_V1_LoginRequest()
        login.agentID = id
        login.skills = skills.sorted { $0.key < $1.key }.map { name, level in
            var s = Switchboard_V1_SkillLevel()
            s.skill = name
            s.level = level
            return s
        }
        login.languages = languages
        login.capacity = capacity
        let response: Switchboard_V1_LoginResponse = try client.call(.agentsLogin, login)
        heartbeatMicros = max(100_000, response.heartbeatIntervalMicros)
        var open = Switchboard_V1_StreamOffersRequest()
        open.agentID = id
        streamID = try client.send(WireMethod.agentsStreamOffers.path, body: try open.serializedBytes())
    }

    /// Reads offers and heartbeats until `stop` says so or the stream ends.
    func run(until stop: () -> Bool, decide: (Switchboard_V1_Offer) -> Decision, askComplete: (UInt64) -> Bool) throws {
        var nextHeartbeat = now()
        let interval = Double(heartbeatMicros) / 1e6 / 2
        while !stop() {
            let t = now()
            if t >= nextHeartbeat {
                var hb = Switchboard_V1_HeartbeatRequest()
                hb.agentID = id
                let _: Switchboard_V1_HeartbeatResponse = try client.call(.agentsHeartbeat, hb)
                nextHeartbeat = t + interval
            }
            while let first = due.first, first.at <= now() {
                due.removeFirst()
                try complete(first.contact, resolved: first.resolved)
            }
            var wake = nextHeartbeat
            if let first = due.first { wake = min(wake, first.at) }
            let wait = max(0, min(200, Int((wake - now()) * 1000)))
            guard let reply = try client.receive(id: streamID, waitMilliseconds: wait) else { continue }
            guard reply.header.kind == .streamMessage else { return }  // the stream ended
            let item = try Switchboard_V1_StreamOffersResponse(serializedBytes: reply.body)
            guard case .offer(let offer)? = item.item else { continue }
            let contact = offer.contact.contactID
            switch decide(offer) {
            case .decline:
                var r = Switchboard_V1_DeclineRequest()
                r.agentID = id
                r.contactID = contact
                let _: Switchboard_V1_DeclineResponse = try client.call(.agentsDecline, r)
            case .acceptAndComplete(let after, let resolved):
                guard try accept(contact) else { continue }
                due.append((now() + after, contact, resolved))
                due.sort { $0.at < $1.at }
            case .acceptThenAsk:
                guard try accept(contact) else { continue }
                try complete(contact, resolved: askComplete(contact))
            }
        }
    }

    /// Accepts; false when the offer is gone (expired, withdrawn).
    private func accept(_ contact: UInt64) throws -> Bool {
        var r = Switchboard_V1_AcceptRequest()
        r.agentID = id
        r.contactID = contact
        let reply = try client.call(WireMethod.agentsAccept.path, body: try r.serializedBytes(), timeoutMilliseconds: 5_000)
        if reply.isOK { return true }
        if reply.status == .failedPrecondition || reply.status == .notFound { return false }
        throw ClientError.status(WireError(reply.status, reply.message))
    }

    private func complete(_ contact: UInt64, resolved: Bool) throws {
        var r = Switchboard_V1_CompleteRequest()
        r.agentID = id
        r.contactID = contact
        r.resolved = resolved
        let _: Switchboard_V1_CompleteResponse = try client.call(.agentsComplete, r)
        handled += 1
    }

    func logout() throws {
        for item in due { try complete(item.contact, resolved: item.resolved) }
        due.removeAll()
        var r = Switchboard_V1_LogoutRequest()
        r.agentID = id
        let _: Switchboard_V1_LogoutResponse = try client.call(.agentsLogout, r)
    }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// An offer for a terminal: the contact, then the case history across channels.
    static func describe(_ offer: Switchboard_V1_Offer) -> String {
        let c = offer.contact
        var lines = ["── offer: contact \(c.contactID) (\(name(c.channel))) on case \(c.caseID), customer \(c.customerID)"]
        if !c.subject.isEmpty { lines.append("   subject: \(c.subject)") }
        if !c.textPreview.isEmpty { lines.append("   text:    \(c.textPreview.prefix(200))") }
        if !c.language.isEmpty { lines.append("   language: \(c.language)") }
        lines.append("   threading: \(c.threading.reason)")
        if offer.history.isEmpty {
            lines.append("   history: (first contact of this case)")
        } else {
            lines.append("   history:")
            for h in offer.history {
                let who = h.handledByAgentID.isEmpty ? "nobody" : h.handledByAgentID
                lines.append("     · \(name(h.channel)) contact \(h.contactID): \(h.subject.isEmpty ? "(no subject)" : h.subject) — handled by \(who), \(outcome(h.outcome))")
            }
        }
        lines.append("   why you: \(offer.explanation.reason)")
        return lines.joined(separator: "\n")
    }

    static func name(_ channel: Switchboard_V1_Channel) -> String { Switchboard_V1_Event.topicName(channel) }

    static func outcome(_ outcome: Switchboard_V1_ContactOutcome) -> String {
        switch outcome {
        case .open: "open"
        case .resolved: "resolved"
        case .unresolved: "unresolved"
        case .abandoned: "abandoned"
        case .selfServed: "self-served"
        default: "?"
        }
    }
}
